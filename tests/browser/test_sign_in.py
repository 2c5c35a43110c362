"""Sign-in, home and language in real Chromium at a phone's width."""

import re

import pytest
from playwright.sync_api import expect

from tests import factories as f

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = {"width": 360, "height": 740}


@pytest.fixture
def phone(page):
    page.set_viewport_size(PHONE)
    return page


def sign_in(page, base_url, username, password):
    page.goto(f"{base_url}/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.locator("form button[type=submit]").first.click()


def test_a_cadre_signs_in_and_sees_their_home_in_chinese(phone, live_server, world):
    sign_in(phone, live_server.url, "cadre", f.PASSWORD)
    expect(phone).to_have_url(f"{live_server.url}/")
    expect(phone.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(phone.get_by_test_id("greeting")).to_contain_text("Cadre Zhang")
    expect(phone.get_by_test_id("my-households")).to_contain_text("Wang")
    expect(phone.get_by_test_id("villages")).to_contain_text("Village 2")
    expect(phone.locator("#households-heading")).to_contain_text("我联系的农户")
    # Nothing is fetched from anywhere but the app itself.
    assert not [r for r in phone.context.pages[0].evaluate("performance.getEntries().map(e => e.name)") if not r.startswith(live_server.url) and r.startswith("http")]


def test_switching_to_english_shows_english(phone, live_server, world):
    sign_in(phone, live_server.url, "cadre", f.PASSWORD)
    phone.get_by_test_id("language-switch").get_by_role("button", name="English").click()
    expect(phone.locator("html")).to_have_attribute("lang", "en")
    expect(phone.get_by_test_id("greeting")).to_have_text(re.compile(r"Hello, Cadre Zhang"))
    expect(phone.locator("#households-heading")).to_contain_text("My households")
    # And back to Chinese.
    phone.get_by_test_id("language-switch").get_by_role("button", name="简体中文").click()
    expect(phone.locator("html")).to_have_attribute("lang", "zh-hans")


def test_a_wrong_password_shows_an_error_and_repeated_failures_lock_out(phone, live_server, world, settings):
    sign_in(phone, live_server.url, "cadre", "wrong-password")
    expect(phone.locator(".alert-danger, .invalid-feedback, .alert-block")).to_be_visible()
    expect(phone.locator("input[name=username]")).to_have_value("cadre")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        phone.fill("input[name=password]", "wrong-password")
        phone.locator("form button[type=submit]").first.click()
    expect(phone.get_by_test_id("locked-out")).to_be_visible()
    # Even the right password is refused while locked.
    sign_in(phone, live_server.url, "cadre", f.PASSWORD)
    expect(phone.get_by_test_id("locked-out")).to_be_visible()
    expect(phone.get_by_test_id("greeting")).to_have_count(0)
