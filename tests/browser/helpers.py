"""Steps the browser tests share: signing in, and opening the menu on a phone."""

import re

from playwright.sync_api import expect

from tests import factories as f


def sign_in(page, base_url, username):
    """Sign in as ``username`` in English, and wait until the sign-in page has been left (a
    step taken on it would be lost with it)."""
    page.context.clear_cookies()
    page.context.add_cookies([{"name": "django_language", "value": "en", "url": base_url}])
    page.goto(f"{base_url}/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", f.PASSWORD)
    page.locator("form button[type=submit]").first.click()
    expect(page.locator("input[name=password]")).to_have_count(0)


def open_menu(page):
    """Open the collapsed menu of a phone-sized page, and wait until it has finished opening: a
    link clicked while it slides open can land on the one above it."""
    page.locator(".navbar-toggler").click()
    expect(page.locator("#main-nav")).to_have_class(re.compile(r"(^|\s)show(\s|$)"))
