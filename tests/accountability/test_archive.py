"""The performance archive of a cadre over a period: the figures as reports.figures defines them,
the petition cases they own, the findings of issued reports naming them, and their
accountability history; for the cadre and the scopes over them only."""

from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accountability.models import ExemptionRequest, Finding
from reports import figures
from tests import factories as f
from tests.conftest import access


@pytest.fixture(autouse=True)
def english(client, settings, db):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


def archive(client, cadre, **params):
    return client.get(reverse("cadre_archive", args=[cadre.pk]), params)


def quarter():
    return figures.Period.of("quarter", timezone.localdate())


def test_the_archive_shows_the_cadres_figures_as_the_figures_module_counts_them(client, world):
    now = timezone.now()
    f.VisitFactory(cadre=world.cadre, household=world.household_in, visited_at=now - timedelta(hours=2))
    f.VisitFactory(cadre=world.cadre, household=world.household_in, visited_at=now - timedelta(hours=3), kind="phone")
    due = now - timedelta(hours=5)
    f.CommitmentFactory(
        concern__household=world.household_in,
        owner=world.cadre,
        pledged_at=due - timedelta(days=3),
        original_due_at=due,
        due_at=due,
    )
    client.force_login(world.supervisor)
    response = archive(client, world.cadre)
    assert response.status_code == 200
    [(_cadre, expected)] = figures.cadre_figures(access(world.supervisor), quarter(), now=now, cadres=[world.cadre])
    shown = response.context["figures"]
    assert (shown.visits, shown.pledged, shown.overdue, shown.coverage) == (
        expected.visits,
        expected.pledged,
        expected.overdue,
        expected.coverage,
    )
    assert (shown.visits, shown.pledged, shown.overdue) == (1, 1, 1)  # the phone callback does not count
    figures_table = response.content.decode()
    assert 'data-testid="fig-pledges">1 / 0 / ' in figures_table
    assert "reopen rate" in figures_table  # satisfaction is never shown alone

    # A cadre who has left keeps their record.
    world.cadre.is_active = False
    world.cadre.save(update_fields=["is_active"])
    assert archive(client, world.cadre).context["figures"].visits == 1


def test_findings_of_issued_reports_about_the_period_and_the_action_history_are_listed(client, world):
    today = timezone.localdate()
    issued = f.SupervisionReportFactory(
        author=world.supervisor, region=world.t1, period_start=today - timedelta(days=10), period_end=today
    )
    Finding.objects.create(report=issued, text="Visits copied from one another", cadre=world.cadre)
    issued.issue(by=world.supervisor)
    draft = f.SupervisionReportFactory(author=world.supervisor, region=world.t1)
    Finding.objects.create(report=draft, text="Draft finding", cadre=world.cadre)
    long_ago = f.SupervisionReportFactory(
        author=world.supervisor,
        region=world.t1,
        period_start=today - timedelta(days=800),
        period_end=today - timedelta(days=700),
    )
    Finding.objects.create(report=long_ago, text="An old finding", cadre=world.cadre)
    long_ago.issue(by=world.supervisor)
    action = f.AccountabilityActionFactory(
        subject_cadre=world.cadre, region=world.t1, created_by=world.inspector, grounds="Pledges left undone"
    )
    request = ExemptionRequest.objects.create(action=action, requested_by=world.cadre_user, grounds="Flood")
    request.decide("granted", by=world.inspector, note="The flood was real")
    f.AccountabilityActionFactory(subject_cadre=world.outsider, region=world.county_b, created_by=world.admin)

    client.force_login(world.cadre_user)
    response = archive(client, world.cadre)
    assert [finding.text for finding in response.context["findings"]] == ["Visits copied from one another"]
    assert [a.pk for a in response.context["actions"]] == [action.pk]
    assert b"Exemption: granted" in response.content and b"The flood was real" in response.content
    assert b"data-print" in response.content


def test_petition_cases_owned_in_the_period_or_still_open_are_listed(client, world):
    now = timezone.now()
    recent = f.PetitionCaseFactory(village=world.v1, owning_leader=world.cadre, subject="Road dust")
    old_open = f.PetitionCaseFactory(
        village=world.v1,
        owning_leader=world.cadre,
        subject="Old boundary dispute",
        registered_at=now - timedelta(days=400),
    )
    f.PetitionCaseFactory(
        village=world.v1,
        owning_leader=world.cadre,
        subject="Closed long ago",
        registered_at=now - timedelta(days=400),
        status="closed",
    )
    f.PetitionCaseFactory(village=world.vb, owning_leader=world.outsider, subject="Not theirs")
    client.force_login(world.inspector)
    response = archive(client, world.cadre)
    assert [case.pk for case in response.context["cases"]] == [recent.pk, old_open.pk]


@pytest.mark.parametrize(
    ("viewer", "status"),
    [("cadre", 200), ("supervisor", 200), ("inspector", 200), ("admin", 200), ("outsider", 404), ("colleague", 404)],
)
def test_the_archive_is_for_the_cadre_and_the_scopes_over_them(client, world, viewer, status):
    colleague = f.CadreFactory(user__username="colleague", unit=world.unit_a)
    user = colleague.user if viewer == "colleague" else world.users[viewer]
    client.force_login(user)
    assert archive(client, world.cadre).status_code == status


@pytest.mark.parametrize(
    "params",
    [
        {"period": "decade"},
        {"period": "custom", "start": "2026-05-01", "end": "2026-04-01"},
        {"period": "custom", "start": "2026-05-01"},
        {"on": "0001-01-01"},
        {"on": "yesterday"},
    ],
)
def test_an_impossible_period_is_a_clear_400(client, world, params):
    client.force_login(world.cadre_user)
    response = archive(client, world.cadre, **params)
    assert response.status_code == 400
    assert b"Choose a valid period." in response.content
    assert response.context["form"].errors


def test_a_chosen_period_is_the_one_shown(client, world):
    client.force_login(world.cadre_user)
    response = archive(client, world.cadre, period="custom", start="2026-01-01", end="2026-03-31")
    assert response.context["period"] == figures.Period("custom", date(2026, 1, 1), date(2026, 3, 31))
    assert b"2026-01-01 \xe2\x80\x93 2026-03-31" in response.content


def test_the_archive_takes_the_same_queries_however_much_there_is(client, world, django_assert_num_queries):
    def add(n):
        now = timezone.now()
        for _ in range(n):
            f.VisitFactory(cadre=world.cadre, household=world.household_in, visited_at=now - timedelta(hours=1))
            f.CommitmentFactory(concern__household=world.household_in, owner=world.cadre)
            f.PetitionCaseFactory(village=world.v1, owning_leader=world.cadre)
            report = f.SupervisionReportFactory(author=world.supervisor, region=world.t1)
            Finding.objects.create(report=report, text="Late", cadre=world.cadre)
            report.issue(by=world.supervisor)
            action = f.AccountabilityActionFactory(
                subject_cadre=world.cadre, region=world.t1, created_by=world.inspector
            )
            ExemptionRequest.objects.create(action=action, requested_by=world.cadre_user, grounds="Storm")

    add(1)
    client.force_login(world.supervisor)
    archive(client, world.cadre)
    with django_assert_num_queries(20):
        assert archive(client, world.cadre).status_code == 200
    add(4)
    with django_assert_num_queries(20):
        response = archive(client, world.cadre)
    assert len(response.context["actions"]) == 5 and len(response.context["findings"]) == 5
