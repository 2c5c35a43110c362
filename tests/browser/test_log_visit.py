"""Logging a visit in Chromium at a phone's width."""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from casework.calendar import WorkingCalendar
from casework.models import Commitment, DeadlinePolicy, Urgency
from casework.services import deadline_latest
from tests import factories as f
from visits.models import Visit

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_cadre_logs_a_visit_with_a_pledge_and_a_resolution(page, live_server, world):
    DeadlinePolicy.objects.create(urgency=Urgency.NORMAL, working_days=10)
    category = f.CategoryFactory(code="housing", name="Housing")
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto(f"{live_server.url}/")
    page.fill("input[name=username]", "cadre")
    page.fill("input[name=password]", f.PASSWORD)
    page.locator("form button[type=submit]").first.click()

    page.get_by_test_id("log-visit").click()
    page.select_option("select[name=household]", str(world.household_in.pk))
    page.fill("textarea[name=thoughts]", "Worried about the old roof in the rainy season")
    page.fill("input[name=companions]", "1")

    page.select_option("select[name=concerns-0-category]", str(category.pk))
    page.fill("textarea[name=concerns-0-text]", "Roof leaks over the bedroom")
    expect(page.locator("textarea[name=concerns-0-pledge_text]")).to_be_hidden()
    page.check("input[name=concerns-0-outcome][value=pledged]")
    page.fill("textarea[name=concerns-0-pledge_text]", "Send the repair team")
    latest = timezone.localdate(deadline_latest(category=category, urgency="normal", pledged_at=timezone.now(), calendar=WorkingCalendar()))
    expect(page.locator("input[name=concerns-0-due_date]")).to_have_value(latest.isoformat())

    page.get_by_role("button", name="添加一项诉求").or_(page.locator("[data-add-concern]")).first.click()
    page.select_option("select[name=concerns-1-category]", str(category.pk))
    page.fill("textarea[name=concerns-1-text]", "Pension form not filed")
    page.check("input[name=concerns-1-outcome][value=resolved]")
    page.fill("textarea[name=concerns-1-note]", "Filled it in together")
    page.get_by_test_id("save-visit").click()

    expect(page.get_by_test_id("visit-concerns")).to_contain_text("Roof leaks over the bedroom")
    expect(page.get_by_test_id("visit-concerns")).to_contain_text("Filled it in together")
    visit = Visit.objects.get()
    expect(page.get_by_test_id("resident-code")).to_have_text(visit.resident_code.code)
    assert set(visit.concerns.values_list("outcome", flat=True)) == {"pledged", "resolved"}
    commitment = Commitment.objects.get()
    assert timezone.localdate(commitment.due_at) == latest and commitment.owner == world.cadre
