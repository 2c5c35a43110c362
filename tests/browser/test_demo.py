"""A first look at the demo as a newcomer would take it, in Chromium at a phone's width."""

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from cadres.models import Cadre, Pairing

pytestmark = pytest.mark.django_db(transaction=True)

DEMO_PASSWORD = "grassroots-demo"


@pytest.fixture
def demo(db):
    call_command("seed_demo", households=400, verbosity=0)


def sign_in(page, base_url, username):
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto(f"{base_url}/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.locator("form button[type=submit]").first.click()


def test_demo_cadre_signs_in_and_sees_their_households_in_chinese(page, live_server, demo):
    cadre = Cadre.objects.get(user__username="demo-cadre")
    household = Pairing.objects.current().filter(cadre=cadre).select_related("household").first().household
    sign_in(page, live_server.url, "demo-cadre")
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(page.get_by_test_id("greeting")).to_contain_text(f"{cadre.name}，您好")
    expect(page.get_by_test_id("my-households")).to_contain_text(household.head_name)
    expect(page.locator("#households-heading")).to_contain_text("我联系的农户")
    expect(page.get_by_test_id("my-commitments")).to_be_visible()


def test_demo_supervisor_sees_their_scope(page, live_server, demo):
    sign_in(page, live_server.url, "demo-supervisor")
    expect(page.get_by_test_id("scopes")).to_contain_text("督查")
    expect(page.get_by_test_id("roles")).to_contain_text("督导领导")
