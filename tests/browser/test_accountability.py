"""Supervision and accountability in Chromium: the inspector filters the overdue report, records
an accountability action on an overdue cadre from its row and decides it; a supervisor writes a
supervision report with a finding picked by search, issues it, and finds it read-only."""

import os
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accountability.models import AccountabilityAction, SupervisionReport
from tests import factories as f
from tests.browser.helpers import open_menu, sign_in

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = {"width": 360, "height": 740}




def shot(page, name):
    """Screenshots for a look by eye, when SCREENSHOTS names a folder."""
    if folder := os.environ.get("SCREENSHOTS"):
        page.screenshot(path=f"{folder}/{name}.png", full_page=True)


def overdue(world, household, text, days):
    due = timezone.now() - timedelta(days=days, hours=1)
    return f.CommitmentFactory(
        concern__household=household,
        owner=world.cadre,
        text=text,
        pledged_at=due - timedelta(days=10),
        original_due_at=due,
        due_at=due,
    )


def test_the_inspector_records_and_decides_an_action_on_an_overdue_cadre(page, live_server, world):
    overdue(world, world.household_in, "Pave the lane to the school", 3)
    well = overdue(world, world.household_v2, "Fix the village well", 40)

    sign_in(page, live_server.url, "inspector")
    page.get_by_test_id("nav-overdue-report").click()
    page.locator("summary").click()
    page.select_option("select[name=bucket]", "31-90")
    page.get_by_test_id("apply-filters").click()
    expect(page.get_by_test_id("overdue-row")).to_have_count(1)

    page.get_by_test_id("record-action").click()
    expect(page.get_by_test_id("action-subject")).to_contain_text("Cadre Zhang")
    well_box = page.locator(f"input[name=commitments][value='{well.pk}']")
    expect(well_box).to_be_checked()
    expect(page.locator("input[name=commitments]")).to_have_count(2)  # both overdue pledges offered
    page.select_option("select[name=form]", "reminder_talk")
    page.fill("textarea[name=grounds]", "The village well has been overdue for 40 days without progress.")
    page.fill("input[name=deciding_body]", "Township 1 discipline commission")
    shot(page, "action-form")
    page.get_by_test_id("save-action").click()

    expect(page.get_by_test_id("action-status")).to_have_text("proposed")
    expect(page.get_by_test_id("cited-commitments")).to_contain_text("Fix the village well")
    page.select_option("select[name=to]", "decided")
    page.fill("input[name=decided_on]", timezone.localdate().isoformat())
    page.get_by_test_id("move-action").click()
    expect(page.get_by_test_id("action-status")).to_have_text("decided")
    expect(page.get_by_test_id("history-row")).to_contain_text("proposed → decided")
    expect(page.get_by_test_id("decided-on")).to_have_text(timezone.localdate().isoformat())
    shot(page, "action-decided")

    # The cadre's performance archive shows the action beside their figures; it prints.
    page.get_by_role("link", name="performance archive").click()
    expect(page.get_by_test_id("archive-action")).to_contain_text("reminder talk")
    expect(page.get_by_test_id("fig-pledges")).to_contain_text("/ 2")  # both pledges overdue now
    page.emulate_media(media="print")
    expect(page.get_by_test_id("period-form")).to_be_hidden()
    expect(page.locator(".app-navbar")).to_be_hidden()
    shot(page, "archive-print")
    page.emulate_media(media="screen")

    action = AccountabilityAction.objects.get()
    assert (action.status, action.subject_cadre_id, action.deciding_body) == (
        "decided",
        world.cadre.pk,
        "Township 1 discipline commission",
    )
    assert list(action.commitments.values_list("pk", flat=True)) == [well.pk]


def test_a_supervisor_issues_a_report_and_it_becomes_read_only(page, live_server, world):
    overdue(world, world.household_in, "Mend the footbridge", 12)
    page.set_viewport_size(PHONE)

    sign_in(page, live_server.url, "supervisor")
    open_menu(page)
    page.get_by_test_id("nav-supervision").click()
    page.get_by_test_id("new-report").click()
    page.fill("input[name=title]", "Township 1, autumn check")
    page.select_option("select[name=region]", str(world.t1.pk))
    today = timezone.localdate()
    page.fill("input[name=period_start]", (today - timedelta(days=90)).isoformat())
    page.fill("input[name=period_end]", today.isoformat())
    page.fill("input[name=rectification_due]", (today + timedelta(days=20)).isoformat())
    page.get_by_test_id("save-report").click()
    expect(page.get_by_test_id("report-status")).to_have_text("draft")

    page.get_by_test_id("add-finding").click()
    page.fill("textarea[name=text]", "A pledge overdue twelve days without a request for more time")
    page.fill("input[name=search]", "footbridge")
    page.get_by_test_id("find").click()
    page.get_by_test_id("pick").click()
    expect(page.locator("textarea[name=text]")).to_have_value(
        "A pledge overdue twelve days without a request for more time"
    )
    page.get_by_test_id("save-finding").click()
    expect(page.get_by_test_id("finding-cadre")).to_contain_text("Cadre Zhang")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    page.get_by_test_id("issue-report").click()
    expect(page.get_by_test_id("report-status")).to_have_text("issued")
    expect(page.get_by_test_id("read-only")).to_be_visible()
    expect(page.get_by_test_id("add-finding")).to_have_count(0)
    shot(page, "report-issued")

    report = SupervisionReport.objects.get()
    page.goto(f"{live_server.url}/accountability/reports/{report.pk}/edit/")
    expect(page.get_by_role("alert")).to_contain_text("is read-only")
    expect(page).to_have_url(f"{live_server.url}/accountability/reports/{report.pk}/")

    # The cadre the finding names reads the issued report.
    sign_in(page, live_server.url, "cadre")
    page.goto(f"{live_server.url}/accountability/reports/")
    page.get_by_role("link", name="Township 1, autumn check").click()
    expect(page.get_by_test_id("finding")).to_contain_text("overdue twelve days")
