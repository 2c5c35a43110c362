import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from casework.models import Commitment, Concern, Urgency
from casework.services import deadline_latest
from tests import factories as f
from visits.models import Visit
from visits.services import ConcernInput, VisitConflict, VisitInput, visit_record


def visit_input(world, **overrides):
    values = {
        "id": uuid.uuid4(),
        "cadre": world.cadre,
        "kind": Visit.Kind.HOME,
        "visited_at": timezone.now() - timedelta(minutes=30),
        "village": world.v1,
        "household": world.household_in,
        "thoughts": "Worried about the harvest and the road to market this winter",
    }
    return VisitInput(**(values | overrides))


def test_a_visit_records_its_concerns_with_their_outcomes(world, category):
    data = visit_input(
        world,
        concerns=[
            ConcernInput(category=category, urgency=Urgency.URGENT, text="Roof leaks", outcome="pledged", pledge_text="Fix the roof"),
            ConcernInput(category=category, urgency=Urgency.NORMAL, text="Pension form", outcome="resolved", note="Filled it in"),
        ],
    )
    now = timezone.now()
    visit, created = visit_record(data=data, recorded_by=world.cadre_user, now=now)
    assert created and visit.resident_code.purpose == "visit"
    resolved, pledged = sorted(visit.concerns.all(), key=lambda c: c.text)
    assert (pledged.outcome, resolved.outcome, resolved.outcome_note) == ("pledged", "resolved", "Filled it in")
    commitment = pledged.commitment
    assert commitment.owner == world.cadre and commitment.status == Commitment.Status.PLEDGED
    # No due date given: the latest the policy allows (3 working days for urgent in this category).
    assert commitment.due_at == deadline_latest(category=category, urgency=Urgency.URGENT, pledged_at=now)
    assert commitment.resident_codes.count() == 1
    assert not any(visit.flags)


def test_a_replayed_submission_is_one_visit_and_a_different_body_is_a_conflict(world, category):
    data = visit_input(world)
    first, created = visit_record(data=data, recorded_by=world.cadre_user)
    for _ in range(3):
        again, created_again = visit_record(data=data, recorded_by=world.cadre_user)
        assert (again.pk, created_again) == (first.pk, False)
    assert Visit.objects.count() == 1
    data.companions = 3
    with pytest.raises(VisitConflict):
        visit_record(data=data, recorded_by=world.cadre_user)


def test_a_pledge_beyond_the_policy_saves_nothing(world, category):
    data = visit_input(
        world,
        concerns=[
            ConcernInput(
                category=category,
                urgency=Urgency.URGENT,
                text="Roof leaks",
                outcome="pledged",
                pledge_text="Fix it",
                due_at=timezone.now() + timedelta(days=60),
            )
        ],
    )
    with pytest.raises(ValidationError) as error:
        visit_record(data=data, recorded_by=world.cadre_user)
    assert "due_at" in error.value.message_dict
    assert not Visit.objects.exists() and not Concern.objects.exists() and not Commitment.objects.exists()


def test_a_visit_cannot_be_in_the_future_and_a_late_entry_needs_a_reason(world, category):
    with pytest.raises(ValidationError) as error:
        visit_record(data=visit_input(world, visited_at=timezone.now() + timedelta(hours=2)), recorded_by=world.cadre_user)
    assert "visited_at" in error.value.message_dict
    late = timezone.now() - timedelta(days=5)
    with pytest.raises(ValidationError) as error:
        visit_record(data=visit_input(world, visited_at=late), recorded_by=world.cadre_user)
    assert "backdate_reason" in error.value.message_dict
    visit, _ = visit_record(data=visit_input(world, visited_at=late, backdate_reason="No signal"), recorded_by=world.cadre_user)
    assert visit.flag_backdated and not Visit.objects.exclude(pk=visit.pk).exists()


def test_flags_mark_proxy_far_burst_and_copied_entries_without_blocking(world, category, settings):
    clerk = f.UserFactory(username="clerk")
    proxy, _ = visit_record(data=visit_input(world), recorded_by=clerk)
    assert proxy.flag_proxy and proxy.flag_copied is False
    copied, _ = visit_record(data=visit_input(world), recorded_by=world.cadre_user)
    assert copied.flag_copied and not copied.flag_proxy
    far, _ = visit_record(
        data=visit_input(world, thoughts="", latitude=Decimal("31.25"), longitude=Decimal("121.15")), recorded_by=world.cadre_user
    )
    near, _ = visit_record(
        data=visit_input(world, thoughts="", latitude=Decimal("30.251"), longitude=Decimal("120.151")), recorded_by=world.cadre_user
    )
    assert far.flag_far and not near.flag_far
    settings.VISIT_BURST_COUNT = 4
    burst, _ = visit_record(data=visit_input(world, thoughts=""), recorded_by=world.cadre_user)
    assert burst.flag_burst and not near.flag_burst
