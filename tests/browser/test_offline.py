"""Logging visits with no connection, in Chromium at a phone's width."""

import pytest
from PIL import Image
from playwright.sync_api import expect

from tests import factories as f
from tests.browser.helpers import open_menu
from tests.visits.test_photos import jpeg_with_gps
from visits.models import Visit, VisitPhoto
from visits.photos import MAX_SIDE

pytestmark = pytest.mark.django_db(transaction=True)


def open_the_form_as_the_cadre(page, live_server, *, cached=False):
    """Signed in at a phone's width on the visit form; ``cached``: once the service worker
    controls the page and has the form cached, so that it opens offline."""
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto(f"{live_server.url}/")
    page.fill("input[name=username]", "cadre")
    page.fill("input[name=password]", f.PASSWORD)
    page.locator("form button[type=submit]").first.click()
    expect(page.locator("input[name=password]")).to_have_count(0)  # signed in before going on
    page.goto(f"{live_server.url}/visits/new/")
    if cached:
        page.wait_for_function("navigator.serviceWorker.ready.then(() => true)")
        page.reload()
        page.wait_for_function("navigator.serviceWorker.controller !== null")


def test_visits_logged_offline_arrive_exactly_once_when_the_connection_returns(page, context, live_server, world):
    open_the_form_as_the_cadre(page, live_server, cached=True)

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


def test_a_photo_taken_offline_waits_with_its_visit_and_arrives_once_resized(page, context, live_server, world):
    open_the_form_as_the_cadre(page, live_server, cached=True)

    context.set_offline(True)
    page.select_option("select[name=household]", str(world.household_in.pk))
    page.fill("textarea[name=thoughts]", "Showed us the cracked wall")
    page.set_input_files("input[name=photos]", files=[{"name": "wall.jpg", "mimeType": "image/jpeg", "buffer": jpeg_with_gps()}])
    page.get_by_test_id("save-visit").click()
    expect(page.locator("[data-saved-offline]")).to_be_visible()
    expect(page.get_by_test_id("outbox-badge")).to_contain_text("1")

    page.reload()  # the photo waits in the phone's storage, not in the page
    expect(page.get_by_test_id("outbox-badge")).to_contain_text("1")
    assert Visit.objects.count() == 0

    context.set_offline(False)
    expect(page.get_by_test_id("outbox-badge")).to_be_hidden(timeout=15000)
    visit = Visit.objects.get()
    assert visit.thoughts == "Showed us the cracked wall"
    photo = VisitPhoto.objects.get(visit=visit)
    with photo.image.open() as stored, Image.open(stored) as image:
        assert image.format == "JPEG" and max(image.size) == MAX_SIDE and not image.getexif()
    page.evaluate("window.grassrootsOutbox.flush()")
    assert Visit.objects.count() == 1 and VisitPhoto.objects.count() == 1
    page.goto(f"{live_server.url}/visits/{visit.pk}/")
    expect(page.get_by_test_id("photos").locator("img")).to_have_count(1)


OUTBOX_SIZE = """() => new Promise((resolve) => {
  setTimeout(() => resolve("timed out"), 5000);
  const open = indexedDB.open("grassroots", 1);
  open.onerror = () => resolve("could not open");
  open.onupgradeneeded = () => open.result.createObjectStore("outbox", { keyPath: "id" });
  open.onsuccess = () => {
    const request = open.result.transaction("outbox").objectStore("outbox").count();
    request.onsuccess = () => resolve(request.result);
  };
})"""


def test_signing_out_warns_about_unsent_visits_then_clears_them(page, context, live_server, world):
    open_the_form_as_the_cadre(page, live_server)
    page.route("**/api/v1/visits/", lambda route: route.abort())  # the server stays out of reach
    context.set_offline(True)
    page.select_option("select[name=household]", str(world.household_in.pk))
    page.fill("textarea[name=thoughts]", "Not sent yet")
    page.get_by_test_id("save-visit").click()
    context.set_offline(False)
    expect(page.get_by_test_id("outbox-badge")).to_contain_text("1")

    warnings = []

    def accept(dialog):
        warnings.append(dialog.message)
        dialog.accept()

    page.on("dialog", accept)
    open_menu(page)
    page.locator("form[data-logout] button").click()
    expect(page.locator("input[name=username]")).to_be_visible()
    assert len(warnings) == 1 and "1" in warnings[0]
    assert page.evaluate(OUTBOX_SIZE) == 0
    assert page.evaluate("Promise.race([caches.keys().then((k) => k.length), new Promise((r) => setTimeout(() => r('timed out'), 5000))])") == 0
    assert Visit.objects.count() == 0
