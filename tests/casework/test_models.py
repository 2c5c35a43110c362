from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from casework.models import (
    Commitment,
    CommitmentRequest,
    Concern,
    DeadlinePolicy,
    PetitionCase,
    PetitionUnit,
    ResidentCode,
    Urgency,
    generate_code,
)
from households.history import TransitionError
from tests import factories as f

S = Commitment.Status


@pytest.fixture
def commitment(world):
    return f.CommitmentFactory(concern__household=world.household_in, owner=world.cadre)


def test_a_commitment_walks_its_lifecycle_and_every_step_is_history(commitment, world):
    user = world.cadre_user
    commitment.transition(S.IN_PROGRESS, by=user)
    commitment.transition(S.REPORTED_DONE, by=user)
    commitment.transition(S.REOPENED, by=world.supervisor, reason="Resident not satisfied")
    commitment.transition(S.IN_PROGRESS, by=user)
    commitment.transition(S.REPORTED_DONE, by=user)
    commitment.transition(S.CONFIRMED, by=world.supervisor, reason="Verified on site")
    commitment.refresh_from_db()
    assert commitment.status == S.CONFIRMED
    assert commitment.closed_at is not None
    steps = list(commitment.transitions.values_list("from_status", "to_status", "by__username"))
    assert steps == [
        ("pledged", "in_progress", "cadre"),
        ("in_progress", "reported_done", "cadre"),
        ("reported_done", "reopened", "supervisor"),
        ("reopened", "in_progress", "cadre"),
        ("in_progress", "reported_done", "cadre"),
        ("reported_done", "confirmed", "supervisor"),
    ]


@pytest.mark.parametrize(
    ("start", "target"),
    [(S.PLEDGED, S.CONFIRMED), (S.IN_PROGRESS, S.REOPENED), (S.CONFIRMED, S.IN_PROGRESS), (S.CANCELLED, S.PLEDGED)],
)
def test_a_transition_outside_the_map_is_refused_and_changes_nothing(world, start, target):
    commitment = f.CommitmentFactory(
        concern__household=world.household_in,
        owner=world.cadre,
        status=start,
        closed_at=timezone.now() if start in (S.CONFIRMED, S.CANCELLED) else None,
    )
    with pytest.raises(TransitionError):
        commitment.transition(target, by=world.cadre_user, reason="why")
    commitment.refresh_from_db()
    assert commitment.status == start
    assert not commitment.transitions.exists()


def test_cancelling_needs_a_reason(commitment, world):
    with pytest.raises(ValidationError):
        commitment.transition(S.CANCELLED, by=world.supervisor, reason="  ")
    commitment.refresh_from_db()
    assert commitment.status == S.PLEDGED


def test_a_stale_copy_loses_to_a_concurrent_change(commitment, world):
    stale = Commitment.objects.get(pk=commitment.pk)
    commitment.transition(S.IN_PROGRESS, by=world.cadre_user)
    with pytest.raises(TransitionError):
        stale.transition(S.CANCELLED, by=world.supervisor, reason="dup")
    commitment.refresh_from_db()
    assert commitment.status == S.IN_PROGRESS
    assert commitment.transitions.count() == 1


def test_overdue_is_derived_from_the_due_date(commitment):
    due = commitment.due_at
    assert not commitment.is_overdue(due)
    assert commitment.is_overdue(due + timedelta(seconds=1))
    assert commitment.overdue_days(due + timedelta(days=8, hours=1)) == 8
    assert list(Commitment.objects.overdue(due + timedelta(minutes=1))) == [commitment]
    assert not Commitment.objects.overdue(due - timedelta(minutes=1)).exists()


def test_a_closed_commitment_is_never_overdue(commitment, world):
    commitment.transition(S.CANCELLED, by=world.supervisor, reason="Household moved away")
    later = commitment.due_at + timedelta(days=40)
    assert not commitment.is_overdue(later)
    assert not Commitment.objects.overdue(later).exists()


def test_a_due_date_cannot_move_before_the_original(commitment):
    with pytest.raises(IntegrityError), transaction.atomic():
        Commitment.objects.filter(pk=commitment.pk).update(due_at=commitment.original_due_at - timedelta(days=1))


def test_a_closed_state_needs_its_closing_time(commitment):
    with pytest.raises(IntegrityError), transaction.atomic():
        Commitment.objects.filter(pk=commitment.pk).update(status=S.CONFIRMED)


def test_one_pending_request_of_each_kind(commitment, world):
    def ask(kind, **extra):
        return CommitmentRequest.objects.create(
            commitment=commitment, kind=kind, reason="Waiting for funds", requested_by=world.cadre_user, **extra
        )

    ask("extension", proposed_due_at=commitment.due_at + timedelta(days=10))
    ask("cancellation")
    with pytest.raises(IntegrityError), transaction.atomic():
        ask("extension", proposed_due_at=commitment.due_at + timedelta(days=20))
    with pytest.raises(IntegrityError), transaction.atomic():
        CommitmentRequest.objects.create(commitment=commitment, kind="extension", reason="x", requested_by=world.cadre_user)


def test_a_concern_reaches_one_outcome_with_history(world):
    concern = f.ConcernFactory(household=world.household_in)
    with pytest.raises(ValidationError):
        concern.set_outcome(Concern.Outcome.RESOLVED, by=world.cadre_user, note="")
    concern.set_outcome(Concern.Outcome.RESOLVED, by=world.cadre_user, note="Fixed the tap")
    concern.refresh_from_db()
    assert (concern.outcome, concern.outcome_note, concern.outcome_by) == ("resolved", "Fixed the tap", world.cadre_user)
    assert concern.outcome_at is not None
    with pytest.raises(TransitionError):
        concern.set_outcome(Concern.Outcome.NOT_ACTIONABLE, by=world.cadre_user, note="changed my mind")
    assert list(concern.history.values_list("from_outcome", "to_outcome")) == [("none", "resolved")]


def test_a_supervisor_can_send_a_not_actionable_concern_back(world):
    concern = f.ConcernFactory(household=world.household_in)
    concern.set_outcome(Concern.Outcome.NOT_ACTIONABLE, by=world.cadre_user, note="Outside our remit")
    concern.set_outcome(Concern.Outcome.NONE, by=world.supervisor, note="It is ours: the road is village-owned")
    concern.refresh_from_db()
    assert concern.outcome == "none" and concern.outcome_at is None and concern.outcome_note == ""
    assert Concern.objects.without_outcome().filter(pk=concern.pk).exists()
    assert concern.history.count() == 2


def test_a_referral_names_its_petition_case(world):
    concern = f.ConcernFactory(household=world.household_in)
    with pytest.raises(ValidationError):
        concern.set_outcome(Concern.Outcome.REFERRED, by=world.cadre_user)
    case = f.PetitionCaseFactory(village=world.v1, owning_leader=world.cadre)
    concern.set_outcome(Concern.Outcome.REFERRED, by=world.cadre_user, petition_case=case)
    concern.refresh_from_db()
    assert concern.petition_case == case


def test_an_outcome_must_be_stamped(world):
    concern = f.ConcernFactory(household=world.household_in)
    with pytest.raises(IntegrityError), transaction.atomic():
        Concern.objects.filter(pk=concern.pk).update(outcome="pledged")


def test_one_default_deadline_policy_per_urgency(db):
    DeadlinePolicy.objects.create(urgency=Urgency.NORMAL, working_days=10)
    category = f.CategoryFactory()
    DeadlinePolicy.objects.create(category=category, urgency=Urgency.NORMAL, working_days=5)
    with pytest.raises(IntegrityError), transaction.atomic():
        DeadlinePolicy.objects.create(urgency=Urgency.NORMAL, working_days=7)
    with pytest.raises(IntegrityError), transaction.atomic():
        DeadlinePolicy.objects.create(category=category, urgency=Urgency.NORMAL, working_days=7)


def test_a_petition_case_follows_its_transitions_and_timeline(world):
    case = f.PetitionCaseFactory(village=world.v1, owning_leader=world.cadre)
    with pytest.raises(ValidationError):
        case.transition(PetitionCase.Status.DECLINED, by=world.cadre_user)
    accepted = timezone.now()
    case.transition(PetitionCase.Status.ACCEPTED, by=world.cadre_user, at=accepted)
    case.refresh_from_db()
    assert (case.accepted_at, case.handle_due_at) == (accepted, accepted + timedelta(days=60))
    with pytest.raises(TransitionError):
        case.transition(PetitionCase.Status.CLOSED, by=world.cadre_user)
    case.transition(PetitionCase.Status.REPLIED, by=world.cadre_user)
    case.transition(PetitionCase.Status.CLOSED, by=world.cadre_user)
    case.refresh_from_db()
    assert case.closed_at is not None and case.replied_at is not None
    reviewed = timezone.now()
    case.transition(PetitionCase.Status.UNDER_REVIEW, by=world.cadre_user, note="Review applied for", at=reviewed)
    case.refresh_from_db()
    assert case.review_due_at == reviewed + timedelta(days=30) and case.closed_at is None
    assert list(case.events.values_list("to_status", flat=True)) == ["accepted", "replied", "closed", "under_review"]


def test_a_petition_case_has_one_primary_unit_and_an_extension_of_at_most_30_days(world):
    case = f.PetitionCaseFactory(village=world.v1, owning_leader=world.cadre)
    due = case.registered_at + timedelta(days=60)
    PetitionUnit.objects.create(case=case, unit=world.unit_a, role="primary", due_at=due)
    with pytest.raises(IntegrityError), transaction.atomic():
        PetitionUnit.objects.create(case=case, unit=world.unit_b, role="primary", due_at=due)
    PetitionUnit.objects.create(case=case, unit=world.unit_b, role="secondary", due_at=due)
    with pytest.raises(IntegrityError), transaction.atomic():
        PetitionCase.objects.filter(pk=case.pk).update(extension_days=31)


def test_resident_codes_target_one_item_and_are_hard_to_misread(world, commitment):
    code = generate_code()
    assert len(code) == 8 and not set(code) & set("01ILO")
    expires = timezone.now() + timedelta(days=30)
    ResidentCode.objects.create(purpose="commitment", commitment=commitment, expires_at=expires)
    with pytest.raises(IntegrityError), transaction.atomic():
        ResidentCode.objects.create(purpose="commitment", expires_at=expires)
    with pytest.raises(IntegrityError), transaction.atomic():
        ResidentCode.objects.create(purpose="visit", commitment=commitment, expires_at=expires)
    visit_code = ResidentCode.objects.create(purpose="visit", expires_at=expires)
    assert visit_code.is_usable()
    assert not visit_code.is_usable(expires + timedelta(seconds=1))
