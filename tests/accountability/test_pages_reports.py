"""Supervision report pages: a supervisor drafts a report for a region of their scope, links its
findings to that region's cadres, visits, commitments and petition cases, and issues it; then it
is read-only and shown to the cadres it names."""

from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accountability.models import Finding, SupervisionReport
from tests import factories as f


@pytest.fixture(autouse=True)
def english(client, settings, db):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


@pytest.fixture
def draft(world):
    return f.SupervisionReportFactory(author=world.supervisor, region=world.t1, title="Q3 in Township 1")


def report_data(world, **changes):
    return {
        "title": "Township 1, third quarter",
        "region": world.t1.pk,
        "period_start": "2026-07-01",
        "period_end": "2026-09-30",
        "summary": "Visits regular, pledges late",
        "rectification_due": "2026-12-31",
    } | changes


def test_a_supervisor_drafts_a_report_for_a_region_of_their_scope(client, world):
    client.force_login(world.supervisor)
    response = client.get(reverse("supervision_report_create"))
    assert response.status_code == 200
    response = client.post(reverse("supervision_report_create"), report_data(world))
    report = SupervisionReport.objects.get()
    assert response.status_code == 302 and response.url == reverse("supervision_report_detail", args=[report.pk])
    assert (report.author, report.region, report.status) == (world.supervisor, world.t1, "draft")
    assert report.period_end == date(2026, 9, 30) and report.rectification_due == date(2026, 12, 31)


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"region": "county_b"}, "region", "Choose a region within your scope."),
        ({"region": "t2"}, "region", "Choose a region within your scope."),
        ({"period_end": "2026-06-01"}, "period_end", "The end of the period is before its start."),
        ({"period_end": "not a date"}, "period_end", "Enter a valid date."),
        ({"rectification_due": "2026-08-01"}, "rectification_due", "cannot be before the end of the period"),
        ({"title": ""}, "title", "This field is required."),
    ],
)
def test_a_bad_report_is_refused_next_to_its_field_with_nothing_saved(client, world, changes, field, message):
    changes = (
        {k: getattr(world, v).pk if k == "region" else v for k, v in changes.items()}
        if "region" in changes
        else changes
    )
    client.force_login(world.supervisor)
    response = client.post(reverse("supervision_report_create"), report_data(world, **changes))
    assert response.status_code == 400
    assert any(message in error for error in response.context["form"].errors[field])
    assert b"Visits regular, pledges late" in response.content  # what was typed is kept
    assert not SupervisionReport.objects.exists()


def test_only_supervisors_write_reports(client, world):
    client.force_login(world.inspector)
    response = client.post(reverse("supervision_report_create"), report_data(world))
    assert response.status_code == 403
    assert b"written by supervisors" in response.content
    assert not SupervisionReport.objects.exists()


def test_findings_link_to_items_of_the_report_region_and_name_their_cadre(client, world, draft):
    commitment = f.CommitmentFactory(concern__household=world.household_in, owner=world.cadre)
    client.force_login(world.supervisor)
    response = client.post(
        reverse("finding_create", args=[draft.pk]),
        {"text": "Pledge late", "commitment": f"#{commitment.pk}", "save": "1"},
    )
    assert response.status_code == 302
    finding = Finding.objects.get()
    assert (finding.report, finding.commitment, finding.cadre) == (draft, commitment, world.cadre)

    visit = f.VisitFactory(cadre=world.cadre, household=world.household_v2)
    response = client.post(
        reverse("finding_edit", args=[finding.pk]),
        {"text": "Visit back-dated", "visit": str(visit.pk), "cadre": world.cadre.user.username, "save": "1"},
    )
    assert response.status_code == 302
    finding.refresh_from_db()
    assert (finding.text, finding.visit, finding.commitment, finding.cadre) == (
        "Visit back-dated",
        visit,
        None,
        world.cadre,
    )


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("commitment", "out"),  # another county's pledge
        ("commitment", "v3"),  # the next township's pledge, also outside the supervisor's scope
        ("cadre", "outsider"),
        ("visit", "out"),
        ("petition_case", "out"),
    ],
)
def test_an_item_outside_the_report_region_is_not_found_and_nothing_is_saved(client, world, draft, field, value):
    household = world.household_v3 if value == "v3" else world.household_out
    if field == "commitment":
        value = f.CommitmentFactory(concern__household=household, owner=world.outsider).pk
    elif field == "cadre":
        value = world.outsider.pk
    elif field == "visit":
        value = f.VisitFactory(cadre=world.outsider, household=world.household_out).pk
    else:
        value = f.PetitionCaseFactory(village=world.vb, owning_leader=world.outsider).pk
    client.force_login(world.supervisor)
    response = client.post(reverse("finding_create", args=[draft.pk]), {"text": "Late", field: value, "save": "1"})
    assert response.status_code == 400
    assert response.context["form"].errors[field] == ["Not found in Township 1."]
    assert not Finding.objects.exists()


@pytest.mark.parametrize(
    ("field", "value"), [("commitment", "abc"), ("visit", "123"), ("cadre", "nobody"), ("petition_case", "9" * 30)]
)
def test_malformed_links_are_told_apart_from_a_500(client, world, draft, field, value):
    client.force_login(world.supervisor)
    response = client.post(reverse("finding_create", args=[draft.pk]), {"text": "Late", field: value, "save": "1"})
    assert response.status_code == 400 and response.context["form"].errors[field]
    assert not Finding.objects.exists()


def test_searching_and_picking_fill_the_form_without_saving(client, world, draft):
    commitment = f.CommitmentFactory(concern__household=world.household_in, owner=world.cadre, text="Mend the bridge")
    f.CommitmentFactory(concern__household=world.household_out, owner=world.outsider, text="Mend the bridge too")
    client.force_login(world.supervisor)
    response = client.post(
        reverse("finding_create", args=[draft.pk]), {"text": "Typed text", "search": "bridge", "find": "1"}
    )
    assert response.status_code == 200
    assert [c.pk for c in response.context["candidates"]["commitments"]] == [commitment.pk]
    response = client.post(
        reverse("finding_create", args=[draft.pk]),
        {"text": "Typed text", "search": "bridge", "pick": f"commitment:{commitment.pk}"},
    )
    assert response.status_code == 200
    assert response.context["form"]["commitment"].value() == str(commitment.pk)
    assert b"Typed text" in response.content
    assert not Finding.objects.exists()


def test_issuing_needs_a_deadline_when_there_are_findings(client, world, draft):
    Finding.objects.create(report=draft, text="Late", cadre=world.cadre)
    client.force_login(world.supervisor)
    response = client.post(reverse("supervision_report_issue", args=[draft.pk]), follow=True)
    assert b"Set a rectification deadline before issuing" in response.content
    draft.refresh_from_db()
    assert draft.status == "draft"


def test_an_issued_report_is_read_only_and_shown_to_the_cadres_it_names(client, world, draft):
    finding = Finding.objects.create(report=draft, text="Late", cadre=world.cadre)
    draft.rectification_due = timezone.localdate() + timedelta(days=20)
    draft.save()
    client.force_login(world.cadre_user)
    assert client.get(reverse("supervision_report_detail", args=[draft.pk])).status_code == 404  # a draft

    client.force_login(world.supervisor)
    response = client.post(reverse("supervision_report_issue", args=[draft.pk]))
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.status == "issued" and draft.issued_by == world.supervisor

    writes = [
        ("get", "supervision_report_edit", draft.pk, {}),
        ("post", "supervision_report_edit", draft.pk, report_data(world)),
        ("get", "finding_create", draft.pk, {}),
        ("post", "finding_create", draft.pk, {"text": "More", "save": "1"}),
        ("get", "finding_edit", finding.pk, {}),
        ("post", "finding_edit", finding.pk, {"text": "Changed", "save": "1"}),
        ("post", "finding_delete", finding.pk, {}),
        ("post", "supervision_report_issue", draft.pk, {}),
    ]
    for method, name, pk, data in writes:
        response = getattr(client, method)(reverse(name, args=[pk]), data, follow=True)
        assert response.redirect_chain == [(reverse("supervision_report_detail", args=[draft.pk]), 302)], name
        assert b"is read-only" in response.content, name
    finding.refresh_from_db()
    assert finding.text == "Late" and Finding.objects.count() == 1
    assert SupervisionReport.objects.get().title == "Q3 in Township 1"

    client.force_login(world.cadre_user)
    response = client.get(reverse("supervision_report_detail", args=[draft.pk]))
    assert response.status_code == 200
    assert b'data-testid="edit-finding"' not in response.content
    assert [r.pk for r in client.get(reverse("supervision_report_list")).context["page"]] == [draft.pk]


def test_an_inspector_reads_a_draft_of_their_region_but_does_not_edit_it(client, world, draft):
    client.force_login(world.inspector)
    assert client.get(reverse("supervision_report_detail", args=[draft.pk])).status_code == 200
    response = client.post(reverse("finding_create", args=[draft.pk]), {"text": "Late", "save": "1"})
    assert response.status_code == 403 and b"Only a supervisor whose scope covers Township 1" in response.content
    assert not Finding.objects.exists()


def test_a_finding_cited_by_an_action_stays(client, world, draft):
    finding = Finding.objects.create(report=draft, text="Late", cadre=world.cadre)
    action = f.AccountabilityActionFactory(subject_cadre=world.cadre, region=world.t1, created_by=world.inspector)
    action.findings.add(finding)
    client.force_login(world.supervisor)
    response = client.post(reverse("finding_delete", args=[finding.pk]), follow=True)
    assert b"cites this finding" in response.content
    assert Finding.objects.filter(pk=finding.pk).exists()


def test_the_report_list_takes_the_same_queries_for_one_or_many(client, world, django_assert_num_queries):
    def add(n):
        for _ in range(n):
            report = f.SupervisionReportFactory(author=world.supervisor, region=world.t1)
            Finding.objects.create(report=report, text="Late", cadre=world.cadre)

    add(1)
    client.force_login(world.supervisor)
    client.get(reverse("supervision_report_list"))  # warm the session
    with django_assert_num_queries(9) as one:
        assert client.get(reverse("supervision_report_list")).status_code == 200
    add(5)
    with django_assert_num_queries(len(one.captured_queries)):
        response = client.get(reverse("supervision_report_list"))
    assert len(response.context["page"]) == 6


def test_an_unknown_status_filter_is_a_clear_400(client, world):
    client.force_login(world.supervisor)
    response = client.get(reverse("supervision_report_list"), {"status": "bogus"})
    assert response.status_code == 400 and b"Unknown status" in response.content
