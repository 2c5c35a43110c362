"""The JSON API: the offline outbox's visit endpoint (idempotent by id) and the cadre's reads."""

import json
import re
import uuid
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.staticfiles import finders
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import formats, timezone, translation
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from casework.calendar import close_of_business
from casework.models import Commitment, Concern, ResidentCode, Urgency
from casework.services import deadline_latest
from tests import factories as f
from tests.conftest import at_once
from visits.api import NewestFirst
from visits.models import Visit, VisitAmendment

SHANGHAI = ZoneInfo("Asia/Shanghai")
VISITS = reverse("api_visits")


def api_client(user=None, *, language="en", **kwargs) -> APIClient:
    client = APIClient(**kwargs)
    client.cookies["django_language"] = language
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture
def cadre_api(world):
    return api_client(world.cadre_user)


def body(world, category, *concerns, **overrides) -> dict:
    """A visit as the offline outbox sends it: an hour ago, to the cadre's paired household."""
    data = {
        "id": str(uuid.uuid4()),
        "household": world.household_in.pk,
        "kind": "home",
        "visited_at": (timezone.now() - timedelta(hours=1)).astimezone(SHANGHAI).isoformat(),
        "companions": 1,
        "thoughts": "Wants the lane paved before the rains",
        "policies_explained": "Medical insurance renewal",
        "latitude": 30.2501234567,
        "longitude": 120.1509876543,
        "accuracy_m": 12.7,
        "concerns": [{"category": category.pk, "urgency": "normal", **concern} for concern in concerns],
    }
    return data | overrides


def post(client, data):
    return client.post(VISITS, data, format="json")


def nothing_saved():
    return not Visit.objects.exists() and not Concern.objects.exists() and not Commitment.objects.exists()


def test_a_cadre_records_a_visit_with_a_pledge_and_an_on_the_spot_resolution(cadre_api, world, category):
    data = body(
        world,
        category,
        {"text": "Roof leaks", "urgency": "urgent", "outcome": "pledged", "pledge_text": "Send the repair team"},
        {"text": "Pension form", "outcome": "resolved", "note": "Filled it in together"},
    )
    response = post(cadre_api, data)
    latest = deadline_latest(category=category, urgency=Urgency.URGENT, pledged_at=timezone.now())

    assert response.status_code == 201, response.content
    answer = response.json()
    assert answer["id"] == data["id"] and answer["cadre"] == {"id": world.cadre.pk, "name": "Cadre Zhang"}
    assert answer["household"]["id"] == world.household_in.pk and answer["village"]["id"] == world.v1.pk
    assert datetime.fromisoformat(answer["visited_at"]) == datetime.fromisoformat(data["visited_at"])
    assert answer["recorded_on_behalf"] is False
    # Browser coordinates are rounded to the six decimals kept; accuracy to whole metres.
    assert (answer["latitude"], answer["longitude"], answer["accuracy_m"]) == (30.250123, 120.150988, 13)
    assert answer["flags"] == {"proxy": False, "backdated": False, "far": False, "burst": False, "copied": False}
    pledged, resolved = answer["concerns"]
    assert (pledged["text"], pledged["outcome"], resolved["outcome"]) == ("Roof leaks", "pledged", "resolved")
    assert resolved["outcome_note"] == "Filled it in together" and resolved["commitment"] is None
    assert pledged["commitment"]["text"] == "Send the repair team" and pledged["commitment"]["status"] == "pledged"

    visit = Visit.objects.get()
    assert str(visit.pk) == data["id"] and visit.cadre == world.cadre and visit.recorded_by == world.cadre_user
    assert answer["resident_code"]["code"] == visit.resident_code.code
    assert set(visit.concerns.values_list("outcome", flat=True)) == {"pledged", "resolved"}
    commitment = Commitment.objects.get()
    assert commitment.owner == world.cadre and commitment.pledged_by == world.cadre_user
    # No due date sent: the latest the deadline policy allows (3 working days for urgent here).
    assert commitment.due_at == latest
    assert pledged["commitment"]["due_at"] == timezone.localtime(latest).isoformat()
    # Reading it back gives the same representation.
    assert cadre_api.get(reverse("api_visit_detail", args=[visit.pk])).json() == answer


def test_a_visit_with_five_concerns_takes_the_queries_of_one(cadre_api, world, category):
    pledge = {"outcome": "pledged", "pledge_text": "Send the repair team"}
    post(cadre_api, body(world, category))  # the session's idle clock is set

    def queries(*concerns):
        with CaptureQueriesContext(connection) as captured:
            assert post(cadre_api, body(world, category, *concerns)).status_code == 201
        return len(captured)

    one = queries({"text": "Roof leaks", **pledge})
    five = queries(*[{"text": f"Roof leaks {i}", **pledge} for i in range(3)], {"text": "Form", "outcome": "resolved", "note": "Done"}, {"text": "Later"})
    assert five == one


def test_a_due_date_within_the_policy_is_kept_and_one_beyond_it_is_refused(cadre_api, world, category):
    pledge = {"text": "Roof leaks", "urgency": "urgent", "outcome": "pledged", "pledge_text": "Fix it"}
    latest = timezone.localdate(deadline_latest(category=category, urgency=Urgency.URGENT, pledged_at=timezone.now()))
    late = post(cadre_api, body(world, category, pledge | {"due_date": str(latest + timedelta(days=1))}))
    assert late.status_code == 400
    with translation.override("en"):
        allowed = formats.date_format(latest, "DATE_FORMAT")
    assert late.json() == {"concerns": {"0": {"due_date": [f"The deadline policy allows {allowed} at the latest."]}}}
    past = post(cadre_api, body(world, category, pledge | {"due_date": str(timezone.localdate() - timedelta(days=1))}))
    assert past.json()["concerns"]["0"]["due_date"] == ["The due date must be in the future."]
    assert nothing_saved()
    response = post(cadre_api, body(world, category, pledge | {"due_date": str(latest)}))
    assert response.status_code == 201
    assert Commitment.objects.get().due_at == close_of_business(latest)


def test_the_same_post_replayed_three_times_is_one_visit_with_the_same_answer(cadre_api, world, category):
    data = body(world, category, {"text": "Roof leaks", "outcome": "pledged", "pledge_text": "Fix it"})
    first = post(cadre_api, data)
    assert first.status_code == 201
    for _ in range(3):
        again = post(cadre_api, data)
        assert again.status_code == 200
        assert again.content == first.content
    assert Visit.objects.count() == 1 and Concern.objects.count() == 1 and Commitment.objects.count() == 1
    assert ResidentCode.objects.count() == 2  # the visit's and the pledge's


def test_the_author_corrects_a_visit_by_sending_it_again_within_24_hours(cadre_api, world, category):
    data = body(world, category, {"text": "Roof leaks", "outcome": "pledged", "pledge_text": "Fix it"})
    first = post(cadre_api, data)
    assert first.status_code == 201
    corrected = data | {"companions": 3, "thoughts": "Wants the lane paved before the rains, and a lamp", "kind": "petition"}
    response = post(cadre_api, corrected)

    assert response.status_code == 200
    answer = response.json()
    assert (answer["companions"], answer["kind"]) == (3, "petition")
    assert answer["thoughts"] == "Wants the lane paved before the rains, and a lamp"
    assert answer["concerns"] == first.json()["concerns"] and answer["resident_code"] == first.json()["resident_code"]
    visit = Visit.objects.get()
    assert (visit.companions, visit.kind) == (3, "petition")
    # Kept in the history as a correction on the visit page is.
    amendment = VisitAmendment.objects.get()
    assert (amendment.visit, amendment.by, amendment.reason) == (visit, world.cadre_user, "Corrected by the author within 24 hours.")
    assert amendment.changes == {
        "kind": ["home", "petition"],
        "companions": [1, 3],
        "thoughts": ["Wants the lane paved before the rains", "Wants the lane paved before the rains, and a lamp"],
    }
    assert cadre_api.get(reverse("api_visit_detail", args=[visit.pk])).json() == answer
    # The corrected body sent again is a replay: the same answer, no new history.
    again = post(cadre_api, corrected)
    assert again.status_code == 200 and again.content == response.content
    assert VisitAmendment.objects.count() == 1
    assert Visit.objects.count() == 1 and Concern.objects.count() == 1 and Commitment.objects.count() == 1


def test_a_resend_changing_what_a_correction_may_not_is_a_conflict(cadre_api, world, category):
    data = body(world, category, {"text": "Roof leaks", "outcome": "resolved", "note": "Patched it"})
    assert post(cadre_api, data).status_code == 201
    fixed = (
        "Sending a visit again can correct its kind, time, reason for late entry, companions and texts. "
        "Its household, village, location and concerns stay as first sent."
    )
    for change in [
        {"household": world.household_v2.pk},
        {"latitude": 30.3, "longitude": 120.2},
        {"concerns": []},
        {"concerns": [data["concerns"][0] | {"text": "Roof leaks badly"}]},
        {"concerns": [data["concerns"][0] | {"outcome": "pledged", "pledge_text": "Fix it"}]},
        # A correction, but sent together with a change it may not make.
        {"companions": 2, "household": world.household_v2.pk},
    ]:
        response = post(cadre_api, data | change)
        assert response.status_code == 409, change
        assert response.json() == {"detail": fixed}
    visit = Visit.objects.get()
    assert (visit.household, visit.companions, visit.latitude) == (world.household_in, 1, Decimal("30.250123"))
    assert [c.text for c in visit.concerns.all()] == ["Roof leaks"] and not VisitAmendment.objects.exists()


def test_after_24_hours_or_by_someone_else_a_resend_is_a_conflict(cadre_api, world, category):
    data = body(world, category)
    assert post(cadre_api, data).status_code == 201
    visit = Visit.objects.get()
    with time_machine.travel(visit.received_at + timedelta(hours=24, minutes=1)):
        late = post(api_client(world.cadre_user), data | {"companions": 3})
    assert late.status_code == 409
    assert late.json() == {"detail": "The 24-hour edit window has passed: open the visit to amend it with a reason."}
    # Another cadre reusing the id (the visiting cadre differs too: the caller is the visiting cadre).
    other = post(api_client(world.outsider_user), data | {"household": world.household_out.pk, "companions": 3})
    assert other.status_code == 409
    assert other.json() == {"detail": "This visit was recorded by someone else: only its author can correct it."}
    # Even the visiting cadre, for a visit someone else recorded on their behalf.
    proxy = f.VisitFactory(cadre=world.cadre, household=world.household_in, recorded_by=world.supervisor)
    on_behalf = post(cadre_api, body(world, category, id=str(proxy.pk)))
    assert on_behalf.status_code == 409 and "recorded by someone else" in on_behalf.json()["detail"]
    visit.refresh_from_db()
    assert visit.companions == 1 and not VisitAmendment.objects.exists()


def test_a_correction_is_checked_like_a_new_visit(cadre_api, world, category):
    data = body(world, category)
    assert post(cadre_api, data).status_code == 201
    future = (timezone.now() + timedelta(hours=2)).isoformat()
    long_ago = (timezone.now() - timedelta(days=5)).isoformat()
    assert post(cadre_api, data | {"visited_at": future}).json() == {"visited_at": ["A visit cannot be in the future."]}
    response = post(cadre_api, data | {"visited_at": long_ago})
    assert response.status_code == 400 and "say why it is recorded only now" in response.json()["backdate_reason"][0]
    assert post(cadre_api, data | {"companions": -1}).status_code == 400
    visit = Visit.objects.get()
    assert visit.visited_at == datetime.fromisoformat(data["visited_at"]) and not VisitAmendment.objects.exists()
    corrected = post(cadre_api, data | {"visited_at": long_ago, "backdate_reason": "Entered from the notebook"})
    assert corrected.status_code == 200 and corrected.json()["flags"]["backdated"] is True


def test_ids_outside_the_callers_scope_are_not_found_like_ids_that_do_not_exist(cadre_api, world, category):
    hidden_case = f.PetitionCaseFactory(owning_leader=world.outsider, village=world.vb)
    for data, where in [
        (body(world, category, household=world.household_out.pk), ("household",)),
        (body(world, category, household=999_999), ("household",)),
        (body(world, category, household=None, kind="forum", village=world.vb.pk), ("village",)),
        (body(world, category, {"text": "Land dispute", "outcome": "referred", "petition_case": hidden_case.pk}), ("concerns", "0", "petition_case")),
        (body(world, category, {"text": "Land dispute", "category": 999_999}), ("concerns", "0", "category")),
    ]:
        response = post(cadre_api, data)
        assert response.status_code == 400
        errors = response.json()
        for key in where:
            errors = errors[key]
        assert errors == ["Not found."]
    assert nothing_saved()


def test_the_services_refusals_land_on_their_fields(cadre_api, world, category):
    future = (timezone.now() + timedelta(hours=2)).isoformat()
    long_ago = (timezone.now() - timedelta(days=5)).isoformat()
    cases = [
        (body(world, category, visited_at=future), "visited_at", "A visit cannot be in the future."),
        (body(world, category, visited_at=long_ago), "backdate_reason", "say why it is recorded only now"),
        (body(world, category, village=world.v2.pk), "household", "The household lives in another village."),
        (body(world, category, household=None), "household", "Choose the household visited"),
        (body(world, category, household=None, kind="forum"), "village", "Choose the village."),
        (body(world, category, longitude=None), "longitude", "Give both latitude and longitude, or neither."),
    ]
    for data, field, message in cases:
        response = post(cadre_api, data)
        assert response.status_code == 400, field
        assert message in " ".join(response.json()[field])
    assert nothing_saved()
    forum = post(cadre_api, body(world, category, household=None, kind="forum", village=world.v2.pk))
    assert forum.status_code == 201 and forum.json()["household"] is None
    late = post(cadre_api, body(world, category, visited_at=long_ago, backdate_reason="No signal in the hills"))
    assert late.status_code == 201 and late.json()["flags"]["backdated"] is True


def test_each_concerns_errors_are_under_its_index(cadre_api, world, category):
    data = body(
        world,
        category,
        {"text": "Roof leaks", "outcome": "pledged", "pledge_text": "Fix it"},
        {"text": "Pension form", "outcome": "pledged"},
        {"text": "Water pipe", "outcome": "resolved"},
        {"text": "Old quarrel", "outcome": "referred"},
    )
    response = post(cadre_api, data)
    assert response.status_code == 400
    # Keyed by the concern's index in the request: errors["concerns"][i] in a script.
    assert response.json() == {
        "concerns": {
            "1": {"pledge_text": ["Say what you pledge to do."]},
            "2": {"note": ["Say what was done, or why it is not actionable."]},
            "3": {"petition_case": ["Choose the petition case it was referred to."]},
        }
    }
    twice = post(cadre_api, body(world, category, {"text": "Roof leaks"}, {"text": "Roof leaks "}))
    assert twice.json() == {"concerns": ["The same concern is listed twice."]}
    assert nothing_saved()


def _garbage(world, category):
    """Bodies (raw strings or JSON values) that must each answer 400 and save nothing."""
    ok = body(world, category)
    concern = {"category": category.pk, "text": "Roof leaks"}
    return {
        "not json": "{'id': 1,",
        "a list": "[1, 2]",
        "null": "null",
        "a string": '"visit"',
        "NaN": json.dumps(ok).replace('"companions": 1', '"companions": NaN'),
        "deeply nested": "[" * 100_000 + "]" * 100_000,
        "invalid utf-8": b'{"id": "\xff\xfe"}',
        "id not a uuid": ok | {"id": 5},
        "household a word": ok | {"household": "abc"},
        "household a fraction": ok | {"household": 1.5},
        "household true": ok | {"household": True},
        "household huge": ok | {"household": 10**30},
        "household negative": ok | {"household": -1},
        "household a dict": ok | {"household": {"id": 1}},
        "kind a list": ok | {"kind": ["home"]},
        "kind unknown": ok | {"kind": "party"},
        "visited_at a word": ok | {"visited_at": "yesterday"},
        "visited_at without offset": ok | {"visited_at": "2026-03-10T09:30:00"},
        "visited_at year 1": ok | {"visited_at": "0001-01-01T00:00:00+14:00"},
        "visited_at year 9999": ok | {"visited_at": "9999-12-31T23:59:59-12:00"},
        "visited_at a number": ok | {"visited_at": 1773106200},
        "latitude a word": ok | {"latitude": "north"},
        "latitude 91": ok | {"latitude": 91},
        "latitude 1e30": ok | {"latitude": 1e30},
        "latitude Infinity": ok | {"latitude": "Infinity"},
        "accuracy negative": ok | {"accuracy_m": -5},
        "companions negative": ok | {"companions": -1},
        "companions many": ok | {"companions": "many"},
        "companions huge": ok | {"companions": 10**20},
        "thoughts a dict": ok | {"thoughts": {"a": 1}},
        "thoughts too long": ok | {"thoughts": "x" * 5001},
        "thoughts with NUL": ok | {"thoughts": "before\x00after"},
        "thoughts with a lone surrogate": json.dumps(ok | {"thoughts": "X"}).replace('"X"', '"\\ud800"'),
        "backdate_reason too long": ok | {"backdate_reason": "x" * 201},
        "concerns a dict": ok | {"concerns": {"0": concern}},
        "concerns a string": ok | {"concerns": "Roof leaks"},
        "concern a string": ok | {"concerns": ["Roof leaks"]},
        "concern text too long": ok | {"concerns": [concern | {"text": "x" * 2001}]},
        "concern text missing": ok | {"concerns": [{"category": category.pk}]},
        "concern outcome unknown": ok | {"concerns": [concern | {"outcome": "ignored"}]},
        "concern due_date a word": ok | {"concerns": [concern | {"outcome": "pledged", "pledge_text": "x", "due_date": "soon"}]},
        "concern due_date year 9999": ok | {"concerns": [concern | {"outcome": "pledged", "pledge_text": "x", "due_date": "9999-12-31"}]},
        "21 concerns": ok | {"concerns": [concern | {"text": f"Need {i}"} for i in range(21)]},
    }


def test_garbage_answers_400_never_500(cadre_api, world, category):
    for name, data in _garbage(world, category).items():
        if isinstance(data, (str, bytes)):
            response = cadre_api.post(VISITS, data, content_type="application/json")
        else:
            response = post(cadre_api, data)
        assert response.status_code == 400, f"{name}: {response.status_code} {response.content[:300]!r}"
        assert response["Content-Type"] == "application/json", name
    assert nothing_saved()
    # A form-encoded body is not JSON: 415, not a guess.
    form = f"id={uuid.uuid4()}&kind=home"
    assert cadre_api.post(VISITS, form, content_type="application/x-www-form-urlencoded").status_code == 415
    # Unknown keys are ignored.
    assert post(cadre_api, body(world, category) | {"mood": "cheerful", "photos": [1, 2]}).status_code == 201


def test_only_a_cadre_records_a_visit_and_is_told_so_in_their_language(world, category):
    for role in ("supervisor", "inspector", "admin"):
        client = api_client(world.users[role])
        response = post(client, body(world, category))
        assert response.status_code == 403
        assert response.json() == {"detail": "Only a cadre can log a visit."}
        assert client.get(VISITS).status_code == 200
    chinese = post(api_client(world.supervisor, language="zh-hans"), body(world, category))
    assert chinese.status_code == 403 and re.search(r"[\u4e00-\u9fff]", chinese.json()["detail"])
    assert nothing_saved()


def test_an_anonymous_caller_is_asked_to_authenticate(world, category):
    client = api_client()
    for url in (VISITS, reverse("api_households"), reverse("api_commitments"), reverse("api_schema")):
        response = client.get(url)
        assert response.status_code == 401, url
        assert response["WWW-Authenticate"] == "Token"
    visit = f.VisitFactory(cadre=world.cadre, household=world.household_in)
    assert client.get(reverse("api_visit_detail", args=[visit.pk])).status_code == 401
    assert post(client, body(world, category)).status_code == 401
    assert Visit.objects.count() == 1


def test_an_idle_session_answers_401_not_a_redirect(world, settings):
    client = api_client(world.cadre_user)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        assert client.get(VISITS).status_code == 200
    with time_machine.travel(start + timedelta(seconds=settings.SESSION_IDLE_TIMEOUT + 60), tick=False):
        response = client.get(VISITS)
    assert response.status_code == 401 and "_auth_user_id" not in client.session


def test_a_token_made_by_an_administrator_authenticates_an_integration(world, category):
    token = Token.objects.create(user=world.cadre_user)
    client = api_client(HTTP_AUTHORIZATION=f"Token {token.key}")
    response = post(client, body(world, category))
    assert response.status_code == 201
    assert Visit.objects.get().recorded_by == world.cadre_user
    assert [v["id"] for v in client.get(VISITS).json()["results"]] == [response.json()["id"]]
    wrong = api_client(HTTP_AUTHORIZATION="Token not-a-real-key")
    assert wrong.get(VISITS).status_code == 401


def test_a_session_write_needs_the_csrf_token(world, category):
    client = api_client(world.cadre_user, enforce_csrf_checks=True)
    refused = post(client, body(world, category))
    assert refused.status_code == 403 and "CSRF" in refused.json()["detail"]
    client.get(reverse("home"))  # the page sets the CSRF cookie
    accepted = client.post(VISITS, body(world, category), format="json", HTTP_X_CSRFTOKEN=client.cookies["csrftoken"].value)
    assert accepted.status_code == 201


def test_the_visit_list_is_scoped_newest_first_by_cursor_in_a_fixed_number_of_queries(world, monkeypatch):
    clerk = f.UserFactory(username="clerk")
    now = timezone.now()
    mine = [f.VisitFactory(cadre=world.cadre, household=world.household_in, visited_at=now - timedelta(hours=h)) for h in (3, 1, 2)]
    proxy = f.VisitFactory(cadre=world.cadre, household=world.household_v2, recorded_by=clerk, visited_at=now - timedelta(hours=5))
    hidden = f.VisitFactory(cadre=world.outsider, household=world.household_out)
    monkeypatch.setattr(NewestFirst, "page_size", 2)
    client = api_client(world.cadre_user)
    ids, url = [], VISITS
    while url:
        page = client.get(url).json()
        ids += [v["id"] for v in page["results"]]
        url = page["next"]
    assert ids == [str(v.pk) for v in (mine[1], mine[2], mine[0], proxy)]
    assert str(hidden.pk) not in ids
    # The outsider sees only their own county; the supervisor sees T1's visits without codes.
    assert [v["id"] for v in api_client(world.outsider_user).get(VISITS).json()["results"]] == [str(hidden.pk)]
    supervised = api_client(world.supervisor).get(VISITS).json()["results"]
    assert len(supervised) == 2 and all(v["resident_code"] is None for v in supervised)

    def count_queries():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(VISITS).status_code == 200
        return len(queries)

    monkeypatch.setattr(NewestFirst, "page_size", 50)
    few = count_queries()
    category = f.CategoryFactory()
    for _ in range(5):
        visit = f.VisitFactory(cadre=world.cadre, household=world.household_in)
        concern = f.ConcernFactory(household=world.household_in, category=category)
        f.CommitmentFactory(concern=concern, owner=world.cadre)
        visit.concerns.add(concern)
    assert count_queries() == few


def test_the_resident_code_is_shown_only_to_the_visiting_cadre_and_the_recorder(world):
    clerk = f.UserFactory(username="clerk")
    visit = f.VisitFactory(cadre=world.cadre, household=world.household_in, recorded_by=clerk, resident_code=f.ResidentCodeFactory())
    url = reverse("api_visit_detail", args=[visit.pk])
    for user, shown in [(world.cadre_user, True), (clerk, True), (world.supervisor, False), (world.admin, False)]:
        answer = api_client(user).get(url).json()
        assert (answer["resident_code"] is not None) is shown, user.username
        assert answer["recorded_by"] == {"id": clerk.pk, "name": "clerk"} and answer["recorded_on_behalf"] is True
    assert api_client(world.outsider_user).get(url).status_code == 404
    assert api_client(world.cadre_user).get(reverse("api_visit_detail", args=[uuid.uuid4()])).status_code == 404


def test_my_households_are_the_paired_ones_and_my_villages_with_their_last_visit(world):
    visited_at = timezone.now() - timedelta(days=3)
    f.VisitFactory(cadre=world.cadre, household=world.household_in, visited_at=visited_at)
    f.VisitFactory(cadre=world.cadre, household=world.household_v2, visited_at=visited_at, kind=Visit.Kind.PHONE_CALLBACK)
    households = api_client(world.cadre_user).get(reverse("api_households")).json()
    by_id = {h["id"]: h for h in households}
    assert set(by_id) == {world.household_in.pk, world.household_v2.pk}
    paired, village = by_id[world.household_in.pk], by_id[world.household_v2.pk]
    assert paired["paired"] is True and paired["days_since"] == 3 and paired["village"]["name"] == "Village 1"
    assert paired["last_visit_at"] == timezone.localtime(visited_at).isoformat()
    # A phone callback is not an in-person visit: the household still waits for one, first.
    assert village["paired"] is False and village["last_visit_at"] is None and households[0]["id"] == world.household_v2.pk
    assert [h["id"] for h in api_client(world.outsider_user).get(reverse("api_households")).json()] == [world.household_out.pk]
    assert api_client(world.supervisor).get(reverse("api_households")).json() == []


def test_my_commitments_are_the_open_ones_i_own_with_the_overdue_flag(world):
    now = timezone.now()
    overdue = f.CommitmentFactory(
        concern=f.ConcernFactory(household=world.household_in), owner=world.cadre, pledged_at=now - timedelta(days=20), extension_count=1
    )
    due = f.CommitmentFactory(concern=f.ConcernFactory(household=world.household_v2), owner=world.cadre)
    f.CommitmentFactory(
        concern=f.ConcernFactory(household=world.household_in), owner=world.cadre, status="confirmed", closed_at=now
    )
    f.CommitmentFactory(concern=f.ConcernFactory(household=world.household_out), owner=world.outsider)
    answer = api_client(world.cadre_user).get(reverse("api_commitments")).json()
    assert [(c["id"], c["overdue"], c["extension_count"]) for c in answer] == [(overdue.pk, True, 1), (due.pk, False, 0)]
    assert answer[0]["household"]["id"] == world.household_in.pk and answer[0]["status"] == "pledged"
    assert api_client(world.supervisor).get(reverse("api_commitments")).json() == []


def test_the_schema_describes_the_api(world):
    client = api_client(world.cadre_user)
    response = client.get(reverse("api_schema"))
    assert response.status_code == 200 and "/api/v1/visits/" in response.content.decode()
    document = client.get(reverse("api_schema"), {"format": "json"}).json()
    assert document["info"]["title"] == "Grassroots API"
    assert {"/api/v1/visits/", "/api/v1/visits/{id}/", "/api/v1/households/", "/api/v1/commitments/"} <= set(document["paths"])
    assert set(document["paths"]["/api/v1/visits/"]) == {"get", "post"}


def test_the_documentation_page_uses_only_files_served_by_the_app(world):
    client = api_client(world.cadre_user)
    response = client.get(reverse("api_docs"))
    assert response.status_code == 200
    page = response.content.decode()
    assert not [url for url in re.findall(r"(?:https?:)?//[^\s\"'<>]+", page) if not url.split("//", 1)[1].startswith("testserver")]
    assets = re.findall(r"(?:src|href)=\"([^\"]+)\"", page)
    assert len(assets) >= 3 and all(asset.startswith("/static/") for asset in assets)
    for asset in assets:
        assert finders.find(asset.removeprefix("/static/")), asset
    assert reverse("api_schema") in page


def post_at_once(user, data, senders: int) -> list[tuple[int, bytes]]:
    """(status, content) of ``senders`` clients posting the same body at the same moment."""
    clients = [api_client(user) for _ in range(senders)]
    answers = []

    def send():
        response = post(clients.pop(), data)
        answers.append((response.status_code, response.content))

    assert at_once(send, senders) == []
    return answers


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_twenty_identical_posts_at_once_make_one_visit(world, category):
    """The outbox retries while the first send is still in flight: one visit, one answer."""
    data = body(
        world,
        category,
        {"text": "Roof leaks", "outcome": "pledged", "pledge_text": "Fix it"},
        {"text": "Pension form", "outcome": "resolved", "note": "Filled it in"},
    )
    senders = 20
    answers = post_at_once(world.cadre_user, data, senders)

    statuses = sorted(status for status, _ in answers)
    assert statuses == [200] * (senders - 1) + [201]
    assert len({content for _, content in answers}) == 1
    assert json.loads(answers[0][1])["id"] == data["id"]
    assert Visit.objects.count() == 1 and Concern.objects.count() == 2 and Commitment.objects.count() == 1
    assert ResidentCode.objects.count() == 2
    assert set(Visit.objects.get().concerns.values_list("text", flat=True)) == {"Roof leaks", "Pension form"}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_ten_identical_corrections_at_once_are_one_amendment(world, category):
    """The outbox resends a corrected visit while the first send is in flight: one change kept."""
    data = body(world, category, {"text": "Roof leaks", "outcome": "pledged", "pledge_text": "Fix it"})
    assert post(api_client(world.cadre_user), data).status_code == 201
    corrected = data | {"companions": 4, "wants": "A lamp at the crossing"}
    answers = post_at_once(world.cadre_user, corrected, 10)

    assert [status for status, _ in answers] == [200] * 10
    assert len({content for _, content in answers}) == 1
    assert VisitAmendment.objects.get().changes == {"companions": [1, 4], "wants": ["", "A lamp at the crossing"]}
    visit = Visit.objects.get()
    assert (visit.companions, visit.wants) == (4, "A lamp at the crossing")
    assert Concern.objects.count() == 1 and Commitment.objects.count() == 1
