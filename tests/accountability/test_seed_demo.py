"""seed_demo: a demo county created once, with the accounts and every state a first look needs."""

from datetime import timedelta
from io import StringIO

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.utils import timezone

from cadres.models import Cadre, Pairing, Scope
from casework.models import Commitment, Concern

PASSWORD = "grassroots-demo"


def seed() -> str:
    out = StringIO()
    call_command("seed_demo", households=400, stdout=out)
    return out.getvalue()


def row_counts() -> dict[str, int]:
    models = [get_user_model()]
    for label in ("households", "cadres", "casework", "visits", "accountability"):
        for model in apps.get_app_config(label).get_models(include_auto_created=True):
            models.append(model)
    return {model._meta.label: model.objects.count() for model in models}


@pytest.mark.django_db
def test_a_second_run_changes_nothing():
    first_output = seed()
    before = row_counts()
    second_output = seed()

    assert "admin" in first_output and PASSWORD in first_output
    assert "already there" in second_output
    assert row_counts() == before
    # The counts cover the big tables and the many-to-many rows, and the demo filled them.
    assert before["households.Household"] == 400
    assert before["visits.Visit_concerns"] > 0
    assert before["casework.CommitmentTransition"] > 0


@pytest.mark.django_db
def test_the_demo_accounts_have_their_roles():
    seed()
    users = {
        u.username: u
        for u in get_user_model().objects.filter(
            username__in=["admin", "demo-supervisor", "demo-inspector", "demo-cadre"]
        )
    }
    assert set(users) == {"admin", "demo-supervisor", "demo-inspector", "demo-cadre"}
    assert all(user.check_password(PASSWORD) for user in users.values())
    assert users["admin"].is_superuser
    assert not any(users[name].is_staff for name in ("demo-supervisor", "demo-inspector", "demo-cadre"))

    supervision = Scope.objects.current().get(user=users["demo-supervisor"], kind=Scope.Kind.SUPERVISION)
    inspection = Scope.objects.current().get(user=users["demo-inspector"], kind=Scope.Kind.INSPECTION)
    assert inspection.region == supervision.region
    assert supervision.region.level == supervision.region.Level.TOWNSHIP

    cadre = Cadre.objects.get(user=users["demo-cadre"])
    pairings = Pairing.objects.current().filter(cadre=cadre).select_related("household__village")
    assert pairings.count() >= 3
    assert all(supervision.region.contains(p.household.village) for p in pairings)
    assert cadre.contact_points.current().filter(village__path__startswith=supervision.region.path).exists()
    # The supervisor's scope leaves data outside it.
    assert Pairing.objects.exclude(household__village__path__startswith=supervision.region.path).exists()
    # The numbered cadres cannot sign in.
    assert not get_user_model().objects.get(username="c0001").has_usable_password()


@pytest.mark.django_db
def test_commitments_are_in_every_state_and_some_are_overdue():
    seed()
    now = timezone.now()

    assert set(Commitment.objects.values_list("status", flat=True)) == set(Commitment.Status.values)
    overdue_days = [c.overdue_days(now) for c in Commitment.objects.overdue(now)]
    assert min(overdue_days) <= 30 < max(overdue_days)
    extended = Commitment.objects.filter(extension_count__gt=0)
    assert extended.exists()
    assert all(c.due_at > c.original_due_at and c.requests.filter(decision="approved").exists() for c in extended)

    own = Commitment.objects.filter(owner__user__username="demo-cadre")
    assert own.open().count() >= 3
    assert own.overdue(now).exists()
    # Status changes went through Commitment.transition, which keeps the history.
    for commitment in Commitment.objects.exclude(status=Commitment.Status.PLEDGED)[:50]:
        assert commitment.transitions.order_by("at", "pk").last().to_status == commitment.status


@pytest.mark.django_db
def test_every_concern_outcome_occurs():
    seed()

    assert set(Concern.objects.values_list("outcome", flat=True)) == set(Concern.Outcome.values)
    month_ago = timezone.now() - timedelta(days=30)
    assert Concern.objects.without_outcome().filter(raised_at__lt=month_ago).exists()
    assert not Concern.objects.filter(outcome=Concern.Outcome.REFERRED, petition_case=None).exists()
    assert not Concern.objects.filter(outcome=Concern.Outcome.PLEDGED, commitment=None).exists()
    assert not Concern.objects.exclude(outcome=Concern.Outcome.NONE).filter(history=None).exists()


@pytest.mark.django_db
def test_it_refuses_a_county_too_small_for_every_state():
    with pytest.raises(CommandError):
        call_command("seed_demo", households=50, stdout=StringIO())
