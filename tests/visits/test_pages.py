import uuid
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from casework.models import Commitment, Concern, DeadlinePolicy, Urgency
from tests import factories as f
from visits.models import Visit


@pytest.fixture
def category(db):
    DeadlinePolicy.objects.create(urgency=Urgency.NORMAL, working_days=10)
    return f.CategoryFactory()


@pytest.fixture
def english(client, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


def form_data(world, category, *concerns, **overrides):
    data = {
        "id": str(uuid.uuid4()),
        "cadre": world.cadre.pk,
        "kind": "home",
        "household": world.household_in.pk,
        "village": "",
        "visited_at": timezone.localtime(timezone.now() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
        "backdate_reason": "",
        "companions": "1",
        "thoughts": "Wants the lane paved before the rains",
        "wants": "",
        "hopes": "",
        "complaints": "",
        "policies_explained": "Medical insurance renewal",
        "help_delivered": "",
        "latitude": "",
        "longitude": "",
        "accuracy_m": "",
        "concerns-TOTAL_FORMS": str(len(concerns)),
        "concerns-INITIAL_FORMS": "0",
        "concerns-MIN_NUM_FORMS": "0",
        "concerns-MAX_NUM_FORMS": "20",
    }
    for i, concern in enumerate(concerns):
        values = {"category": category.pk, "urgency": "normal", "outcome": "none", "pledge_text": "", "due_date": "", "note": "", "petition_case": ""}
        values |= concern
        data |= {f"concerns-{i}-{key}": value for key, value in values.items()}
    return data | overrides


def test_a_cadre_logs_a_visit_with_a_pledge_and_an_on_the_spot_resolution(client, world, category):
    client.force_login(world.cadre_user)
    data = form_data(
        world,
        category,
        {"text": "Roof leaks", "outcome": "pledged", "pledge_text": "Send the repair team"},
        {"text": "Pension form", "outcome": "resolved", "note": "Filled it in together"},
    )
    response = client.post(reverse("visit_new"), data)
    visit = Visit.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("visit_detail", args=[visit.pk])
    assert str(visit.pk) == data["id"] and visit.cadre == world.cadre and visit.companions == 1
    assert set(visit.concerns.values_list("outcome", flat=True)) == {"pledged", "resolved"}
    commitment = Commitment.objects.get()
    assert commitment.owner == world.cadre and commitment.text == "Send the repair team"
    page = client.get(response["Location"]).content.decode()
    assert "Roof leaks" in page and visit.resident_code.code in page
    # Sent again (a double tap, a retry): still one visit, and the same page.
    again = client.post(reverse("visit_new"), data)
    assert again["Location"] == response["Location"]
    assert Visit.objects.count() == 1 and Commitment.objects.count() == 1


def test_bad_input_is_shown_next_to_the_field_keeps_what_was_typed_and_saves_nothing(client, english, world, category):
    client.force_login(world.cadre_user)
    data = form_data(
        world,
        category,
        {"text": "Roof leaks", "outcome": "pledged", "pledge_text": ""},
        {"text": "School fees", "outcome": "pledged", "pledge_text": "Apply for aid", "due_date": (timezone.localdate() + timedelta(days=90)).isoformat()},
        household="",
    )
    response = client.post(reverse("visit_new"), data)
    assert response.status_code == 200
    assert "household" in response.context["form"].errors
    concern_errors = [form.errors for form in response.context["concerns"].forms]
    assert "pledge_text" in concern_errors[0] and "due_date" in concern_errors[1]
    assert "at the latest" in str(concern_errors[1]["due_date"])
    page = response.content.decode()
    assert "Wants the lane paved before the rains" in page and "School fees" in page
    assert not Visit.objects.exists() and not Concern.objects.exists()


def test_a_visit_in_the_future_or_long_ago_without_a_reason_is_refused(client, english, world, category):
    client.force_login(world.cadre_user)
    future = timezone.localtime(timezone.now() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(reverse("visit_new"), form_data(world, category, visited_at=future))
    assert "visited_at" in response.context["form"].errors
    long_ago = timezone.localtime(timezone.now() - timedelta(days=5)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(reverse("visit_new"), form_data(world, category, visited_at=long_ago))
    assert "backdate_reason" in response.context["form"].errors
    assert not Visit.objects.exists()
    response = client.post(reverse("visit_new"), form_data(world, category, visited_at=long_ago, backdate_reason="No signal in the hills"))
    assert response.status_code == 302 and Visit.objects.get().flag_backdated


def test_garbage_never_answers_500(client, world, category):
    client.force_login(world.cadre_user)
    data = form_data(world, category, {"text": "x", "category": "nope", "urgency": "??", "outcome": "??"}, id="not-a-uuid", companions="-3", visited_at="yesterday", latitude="north")
    response = client.post(reverse("visit_new"), data)
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert {"id", "companions", "visited_at", "latitude"} <= set(errors)
    assert not Visit.objects.exists()


def test_a_household_outside_the_scope_is_not_found(client, world, category):
    client.force_login(world.cadre_user)
    assert client.get(reverse("visit_new"), {"household": world.household_out.pk}).status_code == 404
    response = client.post(reverse("visit_new"), form_data(world, category, household=world.household_out.pk))
    assert "household" in response.context["form"].errors
    assert not Visit.objects.exists()


def test_the_form_preselects_the_household_and_a_fresh_id(client, world, category):
    client.force_login(world.cadre_user)
    response = client.get(reverse("visit_new"), {"household": world.household_in.pk})
    form = response.context["form"]
    assert form["household"].value() == world.household_in.pk
    assert uuid.UUID(str(form["id"].value()))
    assert str(category.pk) in response.context["deadlines"]


def test_my_work_puts_households_not_visited_this_quarter_first(client, world, category):
    f.VisitFactory(cadre=world.cadre, household=world.household_in)
    client.force_login(world.cadre_user)
    households = client.get(reverse("home")).context["households"]
    assert [h.pk for h in households] == [world.household_v2.pk, world.household_in.pk]
    assert not households[0].visited_this_period and households[1].visited_this_period


def test_my_work_lists_my_open_commitments_overdue_first(client, world, category):
    late = f.CommitmentFactory(concern__household=world.household_in, owner=world.cadre, pledged_at=timezone.now() - timedelta(days=30))
    soon = f.CommitmentFactory(concern__household=world.household_in, owner=world.cadre)
    client.force_login(world.cadre_user)
    response = client.get(reverse("home"))
    assert [c.pk for c in response.context["commitments"]] == [late.pk, soon.pk]
    assert "text-bg-danger" in response.content.decode()


def test_search_finds_households_by_member_name_within_scope_only(client, world, category):
    f.MemberFactory(household=world.household_v3, name="Lin Xiaoyu")
    f.MemberFactory(household=world.household_v2, name="Lin Xiaoyu")
    client.force_login(world.supervisor)
    households = client.get(reverse("home"), {"q": "Xiaoyu"}).context["households"]
    assert [h.pk for h in households] == [world.household_v2.pk]


def test_the_household_page_shows_its_history_with_a_fixed_number_of_queries(client, world, category):
    client.force_login(world.supervisor)
    url = reverse("household_detail", args=[world.household_in.pk])
    client.get(url)

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    before = count()
    for _ in range(3):
        f.MemberFactory(household=world.household_in)
        f.VisitFactory(cadre=world.cadre, household=world.household_in)
        f.CommitmentFactory(concern__household=world.household_in, owner=world.cadre)
    assert count() == before
    page = client.get(url).content.decode()
    assert page.count('data-testid="visits"') == 1 and "Cadre Zhang" in page


def test_the_visit_page_runs_a_fixed_number_of_queries_and_shows_a_proxy_entry(client, english, world, category):
    clerk = f.UserFactory(username="clerk")
    visit = f.VisitFactory(cadre=world.cadre, household=world.household_in, recorded_by=clerk, flag_proxy=True)
    visit.concerns.add(f.ConcernFactory(household=world.household_in, text="First need"))
    client.force_login(world.supervisor)
    url = reverse("visit_detail", args=[visit.pk])
    client.get(url)
    with CaptureQueriesContext(connection) as first:
        page = client.get(url).content.decode()
    for i in range(3):
        visit.concerns.add(f.ConcernFactory(household=world.household_in, text=f"Need {i}"))
    with CaptureQueriesContext(connection) as second:
        client.get(url)
    assert len(first) == len(second)
    assert "recorded on behalf by clerk" in page and 'data-testid="flags"' in page


def test_a_supervisor_records_a_visit_on_a_cadres_behalf_and_it_shows(client, english, world, category):
    client.force_login(world.supervisor)
    response = client.get(reverse("visit_new"), {"household": world.household_in.pk})
    assert world.cadre in response.context["form"].fields["cadre"].queryset
    response = client.post(reverse("visit_new"), form_data(world, category))
    visit = Visit.objects.get()
    assert response.status_code == 302
    assert visit.cadre == world.cadre and visit.recorded_by == world.supervisor and visit.flag_proxy
    page = client.get(response["Location"]).content.decode()
    assert "recorded on behalf by supervisor" in page


def test_a_cadre_cannot_record_for_a_cadre_outside_their_sight(client, world, category):
    client.force_login(world.cadre_user)
    response = client.post(reverse("visit_new"), form_data(world, category, cadre=world.outsider.pk))
    assert "cadre" in response.context["form"].errors
    assert not Visit.objects.exists()


def test_an_inspector_only_reads(client, world, category):
    client.force_login(world.inspector)
    response = client.post(reverse("visit_new"), form_data(world, category))
    assert response.status_code == 302 and response["Location"] == reverse("home")
    assert not Visit.objects.exists()


def test_a_cut_list_keeps_the_households_most_in_need_of_a_visit(world, category):
    from tests.conftest import access
    from visits.selectors import my_households

    # Created before the never-visited one, so database order alone would list them first.
    visited = [f.HouseholdFactory(village=world.v2, head_name=f"Aa visited {i}") for i in range(3)]
    for household in visited:
        f.VisitFactory(cadre=world.cadre, household=household)
    never = f.HouseholdFactory(village=world.v2, head_name="Zz never visited")
    f.VisitFactory(cadre=world.cadre, household=world.household_v2)
    rows = my_households(access(world.cadre_user), limit=2)
    # Paired household_in and the new one are both unvisited; the paired one comes first.
    assert [h.pk for h in rows] == [world.household_in.pk, never.pk]
    assert rows[0].paired and not rows[0].visited_this_period and rows[0].days_since is None


def test_the_visit_form_reads_the_deadline_policies_once(client, world, category, django_assert_max_num_queries):
    for i in range(8):
        f.CategoryFactory(code=f"extra-{i}", name=f"Extra {i}")
    client.force_login(world.cadre_user)
    client.get(reverse("visit_new"))
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("visit_new"))
    for i in range(8, 16):
        f.CategoryFactory(code=f"extra-{i}", name=f"Extra {i}")
    with CaptureQueriesContext(connection) as many:
        response = client.get(reverse("visit_new"))
    # More categories add no query: the policies and calendar are read once per page.
    assert len(many) == len(few)
    assert len(response.context["deadlines"]) == 17


def test_saving_a_visit_with_five_concerns_takes_the_queries_of_one(client, english, world, category):
    client.force_login(world.cadre_user)
    client.get(reverse("home"))  # the session's idle clock is set

    def queries(*concerns):
        with CaptureQueriesContext(connection) as captured:
            assert client.post(reverse("visit_new"), form_data(world, category, *concerns)).status_code == 302
        return len(captured)

    pledge = {"outcome": "pledged", "pledge_text": "Send the repair team"}
    one = queries({"text": "Roof leaks", **pledge})
    five = queries(*[{"text": f"Roof leaks {i}", **pledge} for i in range(3)], {"text": "Form", "outcome": "resolved", "note": "Done"}, {"text": "Later"})
    assert five == one
    hidden = f.CategoryFactory(code="retired", name="Retired", is_active=False)
    response = client.post(reverse("visit_new"), form_data(world, hidden, {"text": "Roof leaks"}))
    assert "Select a valid choice" in str(response.context["concerns"].forms[0].errors["category"])


def test_the_late_entry_hint_follows_the_setting(client, english, world, category, settings):
    settings.VISIT_BACKDATE_HOURS = 48
    client.force_login(world.cadre_user)
    assert "more than 48 hours ago" in client.get(reverse("visit_new")).content.decode()


def test_recording_on_behalf_offers_the_households_cadres_not_everyone_in_scope(client, world, category):
    from django import forms as django_forms

    for i in range(30):  # many cadres in the supervisor's township, none answering for household_in
        other = f.CadreFactory(name=f"Other {i}", unit=world.unit_a)
        f.PairingFactory(cadre=other, household=world.household_v2)
    client.force_login(world.supervisor)
    form = client.get(reverse("visit_new"), {"household": world.household_in.pk}).context["form"]
    offered = [value for value, _label in form.fields["cadre"].widget.choices if value]
    assert offered == [world.cadre.pk]
    assert form.fields["cadre"].queryset.count() == 31  # any of them is still accepted
    client.force_login(world.cadre_user)
    form = client.get(reverse("visit_new")).context["form"]
    assert isinstance(form.fields["cadre"].widget, django_forms.HiddenInput)


def test_a_large_scope_offers_the_users_own_villages_for_a_forum(client, world, category, monkeypatch):
    import visits.forms

    monkeypatch.setattr(visits.forms, "VILLAGES_OFFERED", 1)
    f.ScopeFactory(user=world.cadre_user, region=world.county_a)  # the cadre also supervises the county
    client.force_login(world.cadre_user)
    form = client.get(reverse("visit_new")).context["form"]
    offered = {value for value, _label in form.fields["village"].widget.choices if value}
    assert offered == {world.v1.pk, world.v2.pk}  # covered villages, not all of county A
    assert form.fields["village"].queryset.filter(pk=world.v3.pk).exists()  # still accepted


def test_the_household_and_visit_pages_link_each_pledge_to_its_page(client, english, world, category):
    visit = f.VisitFactory(cadre=world.cadre, household=world.household_in)
    commitment = f.CommitmentFactory(concern__household=world.household_in, owner=world.cadre, extension_count=1)
    Commitment.objects.filter(pk=commitment.pk).update(due_at=commitment.due_at + timedelta(days=5))
    visit.concerns.add(commitment.concern)
    client.force_login(world.supervisor)
    link = f'href="{reverse("commitment_detail", args=[commitment.pk])}"'

    household = client.get(reverse("household_detail", args=[world.household_in.pk])).content.decode()
    visit_page = client.get(reverse("visit_detail", args=[visit.pk])).content.decode()

    assert link in household and link in visit_page
    assert "extended 1 time" in visit_page
