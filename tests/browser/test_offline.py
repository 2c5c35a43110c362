"""Logging visits with no connection, in Chromium at a phone's width."""

import pytest
from playwright.sync_api import expect

from tests import factories as f
from visits.models import Visit

pytestmark = pytest.mark.django_db(transaction=True)


def test_visits_logged_offline_arrive_exactly_once_when_the_connection_returns(page, context, live_server, world):
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto(f"{live_server.url}/")
    page.fill("input[name=username]", "cadre")
    page.fill("input[name=password]", f.PASSWORD)
    page.locator("form button[type=submit]").first.click()
    page.goto(f"{live_server.url}/visits/new/")
    # Wait until the service worker controls the page and has the form cached.
    page.evaluate("navigator.serviceWorker.ready")
    page.reload()
    page.wait_for_function("navigator.serviceWorker.controller !== null")

    context.set_offline(True)
    for text in ("First visit without signal", "Second visit without signal"):
        page.select_option("select[name=household]", str(world.household_in.pk))
        page.fill("textarea[name=thoughts]", text)
        page.get_by_test_id("save-visit").click()
        expect(page.locator("[data-saved-offline]")).to_be_visible()
    expect(page.get_by_test_id("outbox-badge")).to_contain_text("2")

    page.reload()  # served by the service worker: the form opens offline
    expect(page.locator("textarea[name=thoughts]")).to_be_visible()
    expect(page.get_by_test_id("outbox-badge")).to_contain_text("2")
    assert Visit.objects.count() == 0

    context.set_offline(False)
    expect(page.get_by_test_id("outbox-badge")).to_be_hidden(timeout=15000)
    assert sorted(Visit.objects.values_list("thoughts", flat=True)) == ["First visit without signal", "Second visit without signal"]
    # Sending again changes nothing.
    page.evaluate("window.grassrootsOutbox.flush()")
    assert Visit.objects.count() == 2
