from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests import factories as f


@pytest.fixture
def english(client, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


def test_the_browser_language_does_not_override_the_chinese_default(client, world):
    client.force_login(world.cadre_user)
    page = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert '<html lang="zh-hans">' in page


def test_a_cadre_home_lists_paired_households_and_villages(client, world):
    client.force_login(world.cadre_user)
    response = client.get(reverse("home"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Cadre Zhang" in page
    assert world.household_in.head_name in page
    assert world.household_v2.head_name in page  # a household of the contact village
    assert "Village 2" in page  # contact point
    assert "Village 1" in page  # posting
    assert world.household_out.head_name not in page
    assert 'data-testid="scopes"' not in page


def test_a_supervisor_home_shows_the_scope_with_its_size(client, english, world):
    client.force_login(world.supervisor)
    response = client.get(reverse("home"))
    page = response.content.decode()
    assert response.status_code == 200
    assert "Township 1" in page
    scopes = response.context["scopes"]
    assert [(s["scope"].region, s["villages"], s["children"]) for s in scopes] == [(world.t1, 2, 2)]


def test_an_inspector_sees_a_county_scope_with_all_its_villages(client, world):
    f.ScopeFactory(user=world.inspector, region=world.county_a, kind="inspection")
    client.force_login(world.inspector)
    scopes = client.get(reverse("home")).context["scopes"]
    assert {(s["scope"].region, s["villages"], s["children"]) for s in scopes} == {
        (world.t1, 2, 2),
        (world.county_a, 3, 2),
    }


def test_a_user_without_any_assignment_is_told_so(client, db):
    user = f.UserFactory(username="nobody")
    client.force_login(user)
    response = client.get(reverse("home"))
    assert response.status_code == 200
    assert response.context["access"].roles == ()
    assert 'class="alert alert-warning"' in response.content.decode()


@pytest.mark.parametrize("persona", ["cadre", "supervisor", "inspector", "admin"])
def test_the_home_page_runs_a_fixed_number_of_queries(client, world, persona):
    client.force_login(world.users[persona])
    client.get(reverse("home"))  # the first request also writes the session

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("home")).status_code == 200
        return len(queries)

    before = count()
    for _ in range(5):
        f.PairingFactory(cadre=world.cadre, household=f.HouseholdFactory(village=world.v1))
        f.ContactPointFactory(cadre=world.cadre, village=f.region("Extra", f"3301020019{_:02d}", world.t1))
    assert count() == before
    assert before <= 15


def test_anonymous_visitors_are_sent_to_sign_in(client, db):
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_signing_in_with_the_right_password_lands_on_home(client, world):
    response = client.post(reverse("login"), {"username": "cadre", "password": f.PASSWORD}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("home")
    assert response.context["user"] == world.cadre_user


def test_a_wrong_password_shows_an_error_and_keeps_the_username(client, english, world):
    response = client.post(reverse("login"), {"username": "cadre", "password": "wrong"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "Please enter a correct username and password" in page
    assert 'value="cadre"' in page
    assert "_auth_user_id" not in client.session


def test_repeated_failures_lock_the_account_even_for_the_right_password(client, english, world, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("login"), {"username": "cadre", "password": "wrong"})
    response = client.post(reverse("login"), {"username": "cadre", "password": f.PASSWORD})
    assert response.status_code == 429
    assert "Too many failed sign-in attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session
    # Another account from the same address is not locked.
    response = client.post(reverse("login"), {"username": "supervisor", "password": f.PASSWORD})
    assert response.status_code == 302


def test_a_session_expires_after_the_idle_timeout(client, world, settings):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        client.post(reverse("login"), {"username": "cadre", "password": f.PASSWORD})
        assert client.get(reverse("home")).status_code == 200
    with time_machine.travel(start + timedelta(seconds=settings.SESSION_IDLE_TIMEOUT - 60), tick=False):
        assert client.get(reverse("home")).status_code == 200
    # Idle measured from the last request, not from sign-in.
    with time_machine.travel(start + timedelta(seconds=2 * settings.SESSION_IDLE_TIMEOUT - 120), tick=False):
        assert client.get(reverse("home")).status_code == 200
    with time_machine.travel(start + timedelta(seconds=3 * settings.SESSION_IDLE_TIMEOUT), tick=False):
        response = client.get(reverse("home"))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
    assert "_auth_user_id" not in client.session


def test_signing_out_needs_a_post(client, world):
    client.force_login(world.cadre_user)
    assert client.get(reverse("logout")).status_code == 405
    assert client.post(reverse("logout")).status_code == 302
    assert "_auth_user_id" not in client.session


def test_the_language_switch_changes_the_page_language(client, world):
    client.force_login(world.cadre_user)
    page = client.get(reverse("home")).content.decode()
    assert '<html lang="zh-hans">' in page
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    page = client.get(reverse("home")).content.decode()
    assert '<html lang="en">' in page
    assert "My households" in page


def test_the_health_check_answers_ok(client, db):
    response = client.get(reverse("healthz"))
    assert response.status_code == 200
    assert response.content == b"ok"


def test_the_administration_reads_in_chinese_including_sign_in_records(client, world):
    client.force_login(world.admin)
    page = client.get(reverse("admin:index")).content.decode()
    assert "干部下基层走访系统管理" in page
    assert "登录记录" in page and "登录日志" in page
    assert "结对帮扶" in page and "承诺事项" in page
