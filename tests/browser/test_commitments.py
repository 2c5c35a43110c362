"""A commitment's extension in Chromium at a phone's width: the cadre asks, the supervisor
approves from the queue in one click, the cadre sees the new due date."""

import os
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from casework.models import Commitment, CommitmentRequest, DeadlinePolicy, Urgency
from tests import factories as f
from tests.browser.helpers import open_menu, sign_in

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = {"width": 360, "height": 740}




def fits_the_phone(page):
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def shot(page, name):
    """Screenshots for a look by eye, when SCREENSHOTS names a folder."""
    if folder := os.environ.get("SCREENSHOTS"):
        page.screenshot(path=f"{folder}/{name}.png", full_page=True)


def test_a_cadre_asks_for_more_time_and_the_supervisor_approves_it_in_one_click(page, live_server, world):
    DeadlinePolicy.objects.create(urgency=Urgency.NORMAL, working_days=10)
    commitment = f.CommitmentFactory(
        concern__household=world.household_in, owner=world.cadre, text="Repair the lane to the school"
    )
    new_due = timezone.localdate(commitment.due_at) + timedelta(days=7)
    page.set_viewport_size(PHONE)

    # The cadre finds the pledge under My commitments and asks for a week more.
    sign_in(page, live_server.url, "cadre")
    page.goto(f"{live_server.url}/commitments/")
    fits_the_phone(page)
    shot(page, "1-my-commitments")
    page.get_by_role("link", name="Repair the lane to the school").click()
    expect(page.get_by_test_id("extension-count")).to_have_text("extended 0 times")
    page.get_by_test_id("open-extension").click()
    page.fill("input[name=proposed_due_at]", new_due.isoformat())
    page.fill("#extension-reason", "The gravel arrives next week")
    shot(page, "2-detail-asking")
    page.get_by_test_id("action-extension").click()
    expect(page.get_by_test_id("pending-extension")).to_be_visible()
    fits_the_phone(page)

    # The supervisor opens Approvals and approves it in one click.
    sign_in(page, live_server.url, "supervisor")
    open_menu(page)
    page.get_by_test_id("nav-approvals").click()
    request = CommitmentRequest.objects.get()
    item = page.get_by_test_id(f"request-{request.pk}")
    expect(item).to_contain_text("The gravel arrives next week")
    fits_the_phone(page)
    shot(page, "3-queue")
    item.get_by_test_id("approve").click()
    expect(page.get_by_role("alert")).to_contain_text("Extension approved.")
    expect(page.get_by_test_id("queue-extensions")).to_have_count(0)

    # The cadre sees the new due date, the original kept, and one extension.
    sign_in(page, live_server.url, "cadre")
    page.goto(f"{live_server.url}/commitments/{commitment.pk}/")
    expect(page.get_by_test_id("due-at")).to_contain_text(new_due.isoformat())
    expect(page.get_by_test_id("original-due-at")).to_contain_text(timezone.localdate(commitment.original_due_at).isoformat())
    expect(page.get_by_test_id("extension-count")).to_have_text("extended 1 time")
    expect(page.get_by_test_id("timeline")).to_contain_text("Extension: approved")
    fits_the_phone(page)
    shot(page, "4-detail-extended")
    commitment = Commitment.objects.get(pk=commitment.pk)
    assert commitment.extension_count == 1 and timezone.localdate(commitment.due_at) == new_due
