"""Accountability action pages: an inspector opens an action on a cadre of their scope citing
overdue pledges, decides it and records its execution; the cadre reads it and asks for an
exemption, which an inspector (never the one who asked) decides; circulated notices."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accountability.models import AccountabilityAction, ExemptionRequest, Finding, Notice
from tests import factories as f

A = AccountabilityAction.Status


@pytest.fixture(autouse=True)
def english(client, settings, db):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


def overdue(world, household=None, owner=None, days=12, text="Fix the lane"):
    due = timezone.now() - timedelta(days=days)
    return f.CommitmentFactory(
        concern__household=household or world.household_in,
        owner=owner or world.cadre,
        text=text,
        pledged_at=due - timedelta(days=10),
        original_due_at=due,
        due_at=due,
    )


def action_data(world, **changes):
    return {
        "cadre": world.cadre.pk,
        "form": "reminder_talk",
        "region": world.t1.pk,
        "grounds": "Two pledges overdue",
    } | changes


@pytest.fixture
def action(world):
    return f.AccountabilityActionFactory(subject_cadre=world.cadre, region=world.t1, created_by=world.inspector)


def test_the_new_action_page_is_prefilled_from_the_overdue_report(client, world):
    first, second = overdue(world), overdue(world, world.household_v2, days=40)
    client.force_login(world.inspector)
    response = client.get(reverse("action_create"), {"cadre": world.cadre.pk, "commitments": f"{first.pk}"})
    assert response.status_code == 200
    form = response.context["form"]
    assert {pk for pk, _label in form.fields["commitments"].widget.choices} == {first.pk, second.pk}
    assert form["commitments"].value() == [first.pk] and form["region"].value() == world.t1.pk
    assert b"Cadre Zhang" in response.content


def test_an_inspector_records_an_action_citing_overdue_pledges(client, world):
    first, second = overdue(world), overdue(world, world.household_v2, days=40)
    client.force_login(world.inspector)
    response = client.post(
        reverse("action_create"),
        action_data(world, commitments=[first.pk, second.pk], deciding_body="Township commission"),
    )
    action = AccountabilityAction.objects.get()
    assert response.status_code == 302 and response.url == reverse("action_detail", args=[action.pk])
    assert (action.subject_cadre, action.region, action.status, action.created_by) == (
        world.cadre,
        world.t1,
        A.PROPOSED,
        world.inspector,
    )
    assert set(action.commitments.all()) == {first, second} and action.deciding_body == "Township commission"


def test_a_commitment_from_elsewhere_is_refused_next_to_the_field(client, world):
    theirs = overdue(world, world.household_out, owner=world.outsider)
    not_overdue = f.CommitmentFactory(concern__household=world.household_in, owner=world.cadre)
    client.force_login(world.inspector)
    for pk in (theirs.pk, not_overdue.pk, 10**9):
        response = client.post(reverse("action_create"), action_data(world, commitments=[pk]))
        assert response.status_code == 400
        assert (
            "not an overdue commitment of this subject in your scope"
            in response.context["form"].errors["commitments"][0]
        )
        assert b"Two pledges overdue" in response.content
    assert not AccountabilityAction.objects.exists()


@pytest.mark.parametrize("cadre", ["outsider", "inspector_self", "junk", "999999"])
def test_a_subject_outside_the_inspection_scope_is_a_clear_error(client, world, cadre):
    inspector_cadre = f.CadreFactory(user=world.inspector, unit=world.unit_a)
    value = {"outsider": world.outsider.pk, "inspector_self": inspector_cadre.pk}.get(cadre, cadre)
    client.force_login(world.inspector)
    response = client.get(reverse("action_create"), {"cadre": value})
    assert response.status_code == 400 and b"in your inspection scope" in response.content
    response = client.post(reverse("action_create"), action_data(world, cadre=value))
    assert response.status_code == 400
    assert not AccountabilityAction.objects.exists()


def test_a_region_the_cadre_does_not_work_in_is_refused(client, world):
    f.ScopeFactory(user=world.inspector, region=world.county_a, kind="inspection")
    client.force_login(world.inspector)
    response = client.post(reverse("action_create"), action_data(world, region=world.t2.pk))
    assert response.status_code == 400 and "does not work in Township 2" in response.context["form"].errors["region"][0]
    assert not AccountabilityAction.objects.exists()


def test_subjects_are_found_by_name_within_the_scope(client, world):
    client.force_login(world.inspector)
    response = client.get(reverse("action_create"), {"q": "li"})
    assert [c.pk for c in response.context["results"]["cadres"]] == []  # Outsider Li works elsewhere
    response = client.get(reverse("action_create"), {"q": "zhang"})
    assert [c.pk for c in response.context["results"]["cadres"]] == [world.cadre.pk]


def test_an_action_is_decided_executed_and_its_history_shown(client, world, action):
    client.force_login(world.inspector)
    url = reverse("action_transition", args=[action.pk])
    response = client.post(url, {"to": "decided", "deciding_body": "Commission"})
    assert response.status_code == 400 and response.context["transition_form"].errors["decided_on"]
    action.refresh_from_db()
    assert action.status == A.PROPOSED and action.decided_on is None

    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    assert client.post(url, {"to": "decided", "decided_on": tomorrow, "deciding_body": "C"}).status_code == 400
    assert (
        client.post(url, {"to": "decided", "decided_on": timezone.localdate().isoformat()}).status_code == 400
    )  # no body
    action.refresh_from_db()
    assert action.status == A.PROPOSED and action.decided_on is None

    today = timezone.localdate().isoformat()
    assert client.post(url, {"to": "decided", "decided_on": today, "deciding_body": "Commission"}).status_code == 302
    assert client.post(url, {"to": "executed", "note": "Talk held"}).status_code == 302
    response = client.post(url, {"to": "revoked"})
    assert response.status_code == 400 and response.context["transition_form"].errors["note"]
    action.refresh_from_db()
    assert (action.status, str(action.decided_on), action.deciding_body) == (A.EXECUTED, today, "Commission")
    response = client.get(reverse("action_detail", args=[action.pk]))
    history = [(c.from_status, c.to_status) for c in response.context["history"]]
    assert history == [("proposed", "decided"), ("decided", "executed")]
    assert b"Talk held" in response.content

    response = client.get(reverse("action_edit", args=[action.pk]), follow=True)
    assert b"its grounds can no longer be changed" in response.content


def test_a_status_the_action_cannot_reach_is_refused(client, world, action):
    client.force_login(world.inspector)
    response = client.post(reverse("action_transition", args=[action.pk]), {"to": "executed"})
    assert response.status_code == 400
    action.refresh_from_db()
    assert action.status == A.PROPOSED and not action.history.exists()


def test_the_subject_reads_the_action_and_asks_for_an_exemption_once(client, world, action):
    client.force_login(world.cadre_user)
    response = client.get(reverse("action_detail", args=[action.pk]))
    assert response.status_code == 200
    assert response.context["transition_form"] is None and not response.context["can_edit"]
    assert response.context["exemption_form"] is not None
    assert (
        client.post(reverse("action_transition", args=[action.pk]), {"to": "revoked", "note": "x"}).status_code == 403
    )

    url = reverse("exemption_create", args=[action.pk])
    assert client.post(url, {"grounds": "  "}).status_code == 400
    assert client.post(url, {"grounds": "The county approval took three months"}).status_code == 302
    response = client.post(url, {"grounds": "Again"})
    assert response.status_code == 400
    assert b"already waiting for a decision" in response.content
    assert ExemptionRequest.objects.count() == 1


def test_an_inspector_decides_an_exemption_but_never_their_own(client, world, action):
    # The supervisor is also an inspector of township 1 here: they ask, someone else decides.
    f.ScopeFactory(user=world.supervisor, region=world.t1, kind="inspection")
    client.force_login(world.supervisor)
    assert client.post(reverse("exemption_create", args=[action.pk]), {"grounds": "Storm"}).status_code == 302
    request = ExemptionRequest.objects.get()
    response = client.post(reverse("exemption_decide", args=[request.pk]), {"decision": "granted", "note": "ok"})
    assert response.status_code == 403 and b"someone else decides it" in response.content

    client.force_login(world.inspector)
    response = client.post(reverse("exemption_decide", args=[request.pk]), {"decision": "refused", "note": ""})
    assert response.status_code == 400
    assert (
        client.post(
            reverse("exemption_decide", args=[request.pk]), {"decision": "refused", "note": "Not shown"}
        ).status_code
        == 302
    )
    request.refresh_from_db()
    assert (request.decision, request.reviewer, request.decision_note) == ("refused", world.inspector, "Not shown")
    response = client.post(
        reverse("exemption_decide", args=[request.pk]), {"decision": "granted", "note": "Changed mind"}
    )
    assert response.status_code == 400 and b"cannot go from" in response.content
    request.refresh_from_db()
    assert request.decision == "refused"


def test_a_proposed_action_is_edited_with_the_same_checks(client, world, action):
    pledge = overdue(world)
    report = f.SupervisionReportFactory(author=world.supervisor, region=world.t1)
    finding = Finding.objects.create(report=report, text="Late", cadre=world.cadre)
    client.force_login(world.inspector)
    url = reverse("action_edit", args=[action.pk])
    response = client.post(url, action_data(world, findings=[finding.pk]))
    assert response.status_code == 400 and response.context["form"].errors["findings"]  # a draft's finding
    report.rectification_due = timezone.localdate()
    report.save()
    report.issue(by=world.supervisor)
    response = client.post(url, action_data(world, form="admonition", commitments=[pledge.pk], findings=[finding.pk]))
    assert response.status_code == 302
    action.refresh_from_db()
    assert (
        action.form == "admonition"
        and list(action.commitments.all()) == [pledge]
        and list(action.findings.all()) == [finding]
    )


def test_the_action_list_takes_the_same_queries_for_one_or_many(client, world, django_assert_num_queries):
    def add(n):
        for _ in range(n):
            item = f.AccountabilityActionFactory(subject_cadre=world.cadre, region=world.t1, created_by=world.inspector)
            ExemptionRequest.objects.create(action=item, requested_by=world.cadre_user, grounds="Storm")

    add(1)
    client.force_login(world.inspector)
    client.get(reverse("action_list"))
    with django_assert_num_queries(9) as one:
        assert client.get(reverse("action_list")).status_code == 200
    add(5)
    with django_assert_num_queries(len(one.captured_queries)):
        response = client.get(reverse("action_list"))
    assert len(response.context["page"]) == 6


def test_the_cadre_lists_only_their_own_actions(client, world, action):
    f.AccountabilityActionFactory(subject_cadre=world.outsider, region=world.county_b, created_by=world.admin)
    client.force_login(world.cadre_user)
    assert [a.pk for a in client.get(reverse("action_list")).context["page"]] == [action.pk]
    response = client.get(reverse("action_list"), {"status": "nonsense"})
    assert response.status_code == 400 and b"Unknown filter value" in response.content


# --- circulated notices -------------------------------------------------------------------


def decided(world, form="circulated"):
    action = f.AccountabilityActionFactory(
        subject_cadre=world.cadre,
        region=world.t1,
        created_by=world.inspector,
        form=form,
        grounds="Pledges left undone",
        decided_on=timezone.localdate(),
    )
    action.transition(A.DECIDED, by=world.inspector)
    return action


def notice_data(world, actions, **changes):
    return {
        "number": "T1 notice (2026) 3",
        "title": "Notice on pledges left undone",
        "issuer": "Township 1 commission",
        "region": world.t1.pk,
        "issued_on": timezone.localdate().isoformat(),
        "body": "The following cases are circulated.",
        "actions": [a.pk for a in actions],
    } | changes


def test_a_notice_circulates_decided_actions_as_a_printable_document(client, world):
    circulated, talk = decided(world), decided(world, "reminder_talk")
    f.AccountabilityActionFactory(subject_cadre=world.cadre, region=world.t1, created_by=world.inspector)  # proposed
    client.force_login(world.inspector)
    response = client.get(reverse("notice_create"))
    form = response.context["form"]
    assert {pk for pk, _label in form.fields["actions"].widget.choices} == {circulated.pk, talk.pk}
    assert form["actions"].value() == [circulated.pk]  # circulated criticism is offered first

    response = client.post(reverse("notice_create"), notice_data(world, [circulated]))
    notice = Notice.objects.get()
    assert response.status_code == 302
    assert list(notice.actions.all()) == [circulated]
    client.force_login(world.cadre_user)
    response = client.get(reverse("notice_detail", args=[notice.pk]))
    assert response.status_code == 200
    assert b"T1 notice (2026) 3" in response.content and b"Pledges left undone" in response.content
    assert b"accountability/document.css" in response.content and b"data-print" in response.content


def test_a_notice_number_is_used_once_and_actions_must_be_decided(client, world):
    proposed = f.AccountabilityActionFactory(subject_cadre=world.cadre, region=world.t1, created_by=world.inspector)
    circulated = decided(world)
    client.force_login(world.inspector)
    response = client.post(reverse("notice_create"), notice_data(world, [proposed]))
    assert response.status_code == 400 and response.context["form"].errors["actions"]
    assert client.post(reverse("notice_create"), notice_data(world, [circulated])).status_code == 302
    response = client.post(reverse("notice_create"), notice_data(world, [circulated]))
    assert response.status_code == 400 and response.context["form"].errors["number"]
    assert Notice.objects.count() == 1
    labels = dict(client.get(reverse("notice_create")).context["form"].fields["actions"].widget.choices)
    assert labels[circulated.pk].endswith("already in T1 notice (2026) 3")


def test_the_notice_list_takes_the_same_queries_for_one_or_many(client, world, django_assert_num_queries):
    def add(n):
        for _ in range(n):
            notice = Notice.objects.create(
                region=world.t1,
                number=f"N{Notice.objects.count()}",
                title="T",
                issuer="C",
                body="B",
                issued_on=timezone.localdate(),
                created_by=world.inspector,
            )
            notice.actions.set([decided(world)])

    add(1)
    client.force_login(world.inspector)
    client.get(reverse("notice_list"))
    with django_assert_num_queries(9) as one:
        assert client.get(reverse("notice_list")).status_code == 200
    add(5)
    with django_assert_num_queries(len(one.captured_queries)):
        response = client.get(reverse("notice_list"))
    assert len(response.context["page"]) == 6


# --- overdue-report snapshots as grounds --------------------------------------------------


def snapshot(world, user=None, region=None):
    from reports.models import OverdueSnapshot

    region = region or world.t1
    return OverdueSnapshot.objects.create(
        created_by=user or world.inspector, scope_text=region.name, scope_path=region.path, row_count=0
    )


def test_an_inspector_attaches_a_snapshot_to_an_action_once(client, world, action):
    saved = snapshot(world)
    client.force_login(world.inspector)
    response = client.get(reverse("snapshot_detail", args=[saved.pk]))
    assert [a.pk for a in response.context["attachable"]] == [action.pk]
    response = client.post(reverse("snapshot_attach", args=[saved.pk]), {"action": action.pk})
    assert response.status_code == 302 and response.url == reverse("action_detail", args=[action.pk])
    response = client.post(reverse("snapshot_attach", args=[saved.pk]), {"action": action.pk}, follow=True)
    assert b"already attached" in response.content
    assert [link.snapshot_id for link in response.context["snapshots"]] == [saved.pk]
    assert [link.action_id for link in client.get(reverse("snapshot_detail", args=[saved.pk])).context["attached"]] == [
        action.pk
    ]


def test_a_snapshot_is_not_attached_to_an_action_outside_the_inspection_scope(client, world, action):
    from accountability.models import ActionSnapshot

    theirs = f.AccountabilityActionFactory(subject_cadre=world.outsider, region=world.county_b, created_by=world.admin)
    revoked = f.AccountabilityActionFactory(
        subject_cadre=world.cadre, region=world.t1, created_by=world.inspector, status=A.REVOKED
    )
    saved = snapshot(world)
    client.force_login(world.inspector)
    for value in (theirs.pk, revoked.pk, "junk", ""):
        response = client.post(reverse("snapshot_attach", args=[saved.pk]), {"action": value})
        assert (
            response.status_code == 400
            and b"Choose an accountability action of your inspection scope" in response.content
        )
    other_scope = snapshot(world, world.outsider_user, world.county_b)
    assert client.post(reverse("snapshot_attach", args=[other_scope.pk]), {"action": action.pk}).status_code == 404
    assert not ActionSnapshot.objects.exists()


@pytest.mark.django_db
def test_the_demo_inspector_finds_actions_to_move_on_an_exemption_to_decide_and_a_notice(client):
    from io import StringIO

    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    call_command("seed_demo", households=400, stdout=StringIO())
    client.force_login(get_user_model().objects.get(username="demo-inspector"))
    actions = list(client.get(reverse("action_list")).context["page"])
    assert {a.form for a in actions} >= {"reminder_talk", "circulated"}
    pending = next(a for a in actions if a.pending_exemptions)
    page = client.get(reverse("action_detail", args=[pending.pk]))
    assert page.context["decision_form"] is not None and page.context["transition_form"] is not None
    [notice] = client.get(reverse("notice_list")).context["page"]
    response = client.get(reverse("notice_detail", args=[notice.pk]))
    assert response.status_code == 200 and "逾期" in response.content.decode()
    assert any(r.status == "issued" for r in client.get(reverse("supervision_report_list")).context["page"])


@pytest.mark.parametrize(
    "params",
    [
        {"cadre": "9" * 30},
        {"unit": "9" * 30},
        {"unit": "abc"},
        {"cadre": "CADRE_PK", "commitments": "9" * 30 + ",x,,-1"},
        {"cadre": "CADRE_PK", "form": "nonsense"},
    ],
)
def test_odd_query_parameters_on_the_new_action_page_never_fail(client, world, params):
    params = {k: str(world.cadre.pk) if v == "CADRE_PK" else v for k, v in params.items()}
    client.force_login(world.inspector)
    response = client.get(reverse("action_create"), params)
    assert response.status_code in (200, 400)
    assert not AccountabilityAction.objects.exists()
