"""A resident confirms a visit on a phone, without an account and without JavaScript."""

import pytest
from django.core.cache import cache
from playwright.sync_api import expect

from tests import factories as f

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    """A small phone with scripts off: the resident's page must not need them."""
    return {**browser_context_args, "viewport": {"width": 360, "height": 740}, "java_script_enabled": False}


def test_a_resident_confirms_a_visit_on_a_phone_without_signing_in(page, live_server, world):
    cache.clear()
    code = f.ResidentCodeFactory()
    f.VisitFactory(cadre=world.cadre, household=world.household_in, resident_code=code)

    # Typed by hand from the card: lower case is fine.
    page.goto(f"{live_server.url}/r/{code.code.lower()}/")
    expect(page.get_by_test_id("resident-item")).to_contain_text("Cadre Zhang")
    expect(page.get_by_test_id("resident-item")).to_contain_text("Village 1")
    expect(page.get_by_test_id("whoami")).to_have_count(0)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360

    page.locator("input[name=happened]").check()
    page.get_by_text("满意", exact=True).click()
    page.fill("textarea[name=comment]", "来得及时，说得明白")
    page.get_by_test_id("resident-submit").click()

    expect(page.get_by_test_id("resident-thanks")).to_contain_text("谢谢")
    code.refresh_from_db()
    assert code.used_at is not None and code.rating == "satisfied" and code.comment == "来得及时，说得明白"

    page.goto(f"{live_server.url}/r/{code.code}/")
    expect(page.get_by_test_id("resident-closed")).to_be_visible()
