"""The supervisor dashboard in Chromium: drill from the top of the scope down to a village and
open a household; the charts are drawn by the vendored library, with no console error and no
request leaving the app; a table sorts by a column."""

import os
import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests import factories as f
from tests.browser.helpers import sign_in

pytestmark = pytest.mark.django_db(transaction=True)


def shot(page, name):
    """Screenshots for a look by eye, when SCREENSHOTS names a folder."""
    if folder := os.environ.get("SCREENSHOTS"):
        page.screenshot(path=f"{folder}/{name}.png", full_page=True)


def charts_drawn(page) -> list[str]:
    """The charts on the page that Chart.js has drawn."""
    return page.evaluate(
        "Array.from(document.querySelectorAll('canvas[data-chart]'))"
        ".filter((canvas) => window.Chart && Chart.getChart(canvas)).map((canvas) => canvas.dataset.chart)"
    )


def test_a_supervisor_drills_down_from_their_county_to_a_household(page, live_server, world):
    f.ScopeFactory(user=world.supervisor, region=world.county_a, kind="supervision")
    f.VisitFactory(cadre=world.cadre, household=world.household_in, visited_at=timezone.now() - timedelta(days=2))
    f.VisitFactory(cadre=world.cadre, household=world.household_v3, visited_at=timezone.now() - timedelta(days=40))
    due = timezone.now() - timedelta(days=12)
    f.CommitmentFactory(concern__household=world.household_v2, owner=world.cadre, pledged_at=due - timedelta(days=10), original_due_at=due, due_at=due)
    f.ConcernFactory(household=world.household_in, category=f.CategoryFactory(code="housing", name="Housing"))
    errors, elsewhere = [], []
    # The browser asks for /favicon.ico by itself (the app has none): not the page's error.
    page.on(
        "console",
        lambda message: message.type == "error"
        and not message.location.get("url", "").endswith("/favicon.ico")
        and errors.append(message.text),
    )
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("request", lambda request: request.url.startswith(live_server.url) or elsewhere.append(request.url))

    sign_in(page, live_server.url, "supervisor")
    page.get_by_test_id("nav-dashboard").click()

    # The top of the scope: county A, its townships in the table.
    expect(page.get_by_test_id("dashboard-title")).to_contain_text("County A")
    expect(page.get_by_test_id("row-regions")).to_have_count(2)
    expect(page.get_by_test_id("value-overdue")).to_have_text("1")
    page.wait_for_function("document.querySelectorAll('canvas[data-chart]').length === 4")
    assert sorted(charts_drawn(page)) == ["aging", "concerns", "coverage", "trend"]
    shot(page, "dashboard-county")

    # Sort the townships by their overdue pledges: fewest first, then most first.
    table = page.get_by_test_id("table-regions")
    table.get_by_test_id("sort-overdue").click()
    expect(table.locator("tbody tr").first).to_contain_text("Township 2")
    table.get_by_test_id("sort-overdue").click()
    expect(table.locator("tbody tr").first).to_contain_text("Township 1")
    expect(table.locator("th[aria-sort=descending]")).to_have_count(1)

    # A number of the concern table opens the concerns behind it.
    page.get_by_test_id("total-concerns").get_by_role("link").last.click()  # Housing
    expect(page.get_by_test_id("concern-row")).to_have_count(1)
    expect(page.get_by_test_id("concerns")).to_contain_text("Housing")
    page.go_back()

    # A unit's regularity opens its cadres' in-person visits month by month.
    unit_a = page.get_by_test_id("row-units").filter(has_text="Unit A")
    unit_a.locator("td").nth(4).get_by_role("link").click()  # region, visits, on time, coverage, regularity
    expect(page.get_by_test_id("rows-title")).to_contain_text("Unit A")
    expect(page.get_by_test_id("row").filter(has_text="Cadre Zhang")).to_have_count(1)
    expect(page.get_by_test_id("row").filter(has_text="Cadre Zhang").get_by_test_id("regularity")).to_have_text(re.compile(r"^\d+ / \d+$"))
    page.go_back()

    # Every unit: the table by unit a page at a time, with the total of all of them.
    page.get_by_test_id("all-units").click()
    expect(page.get_by_test_id("units-title")).to_be_visible()
    expect(page.get_by_test_id("row-units").filter(has_text="Unit A")).to_have_count(1)
    expect(page.get_by_test_id("total-units")).to_contain_text("All units")
    page.go_back()

    # Down to township 1, then to village 1.
    table.get_by_role("link", name="Township 1").click()
    expect(page.get_by_test_id("dashboard-title")).to_contain_text("Township 1")
    expect(page.get_by_test_id("dashboard-trail")).to_contain_text("County A")
    page.get_by_test_id("table-regions").get_by_role("link", name="Village 1").click()
    expect(page.get_by_test_id("dashboard-title")).to_contain_text("Village 1")

    # A village lists its households with their last in-person visit; one opens its page.
    households = page.get_by_test_id("households")
    expect(households.get_by_test_id("household-row")).to_have_count(1)
    expect(households.get_by_test_id("last-visit")).to_have_text(timezone.localdate(timezone.now() - timedelta(days=2)).isoformat())
    assert sorted(charts_drawn(page)) == ["aging", "concerns", "trend"]
    shot(page, "dashboard-village")
    households.get_by_role("link", name="Wang household").click()
    expect(page.get_by_test_id("household-name")).to_have_text("Wang household")

    assert errors == []
    assert elsewhere == []


def test_the_tables_are_there_without_javascript(browser, live_server, world):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    sign_in(page, live_server.url, "supervisor")

    page.goto(f"{live_server.url}/dashboard/")

    expect(page.get_by_test_id("row-regions")).to_have_count(2)
    expect(page.get_by_test_id("tile-visit_coverage")).to_be_visible()
    context.close()
