"""A commitment's life after the pledge: work, completion, verification, extension and
cancellation requests, each allowed only to the right person and only once."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone, translation

from casework.calendar import close_of_business
from casework.lifecycle import (
    commitment_progress_add,
    commitment_report_done,
    commitment_request_cancellation,
    commitment_request_decide,
    commitment_request_extension,
    commitment_start,
    commitment_verify,
    extension_latest,
)
from casework.models import Commitment, CommitmentProgress, CommitmentRequest, DeadlinePolicy, ResidentCode, Urgency
from casework.services import commitment_pledge, resident_code_use
from households.history import TransitionError
from tests import factories as f
from tests.conftest import race

S = Commitment.Status
D = CommitmentRequest.Decision


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def policy(db):
    return DeadlinePolicy.objects.create(urgency=Urgency.NORMAL, working_days=10)


@pytest.fixture
def commitment(world, policy):
    return f.CommitmentFactory(concern__household=world.household_in, owner=world.cadre)


def days_after_due(commitment, days):
    return close_of_business(timezone.localdate(commitment.due_at) + timedelta(days=days))


def extension(commitment, world, days=7, reason="Waiting for the county's budget"):
    return commitment_request_extension(
        commitment=commitment, by=world.cadre_user, reason=reason, proposed_due_at=days_after_due(commitment, days)
    )


def fresh(commitment) -> Commitment:
    return Commitment.objects.get(pk=commitment.pk)


# --- working on it --------------------------------------------------------------------


def test_the_owner_starts_work_and_it_is_history(commitment, world):
    commitment_start(commitment=commitment, by=world.cadre_user)
    commitment = fresh(commitment)
    assert commitment.status == S.IN_PROGRESS
    assert list(commitment.transitions.values_list("from_status", "to_status", "by__username")) == [
        ("pledged", "in_progress", "cadre")
    ]


def test_a_supervisor_over_the_village_may_start_work_too(commitment, world):
    commitment_start(commitment=commitment, by=world.supervisor)
    assert fresh(commitment).status == S.IN_PROGRESS


@pytest.mark.parametrize("persona", ["inspector", "outsider", "admin"])
def test_nobody_else_works_on_a_commitment(commitment, world, persona):
    with pytest.raises(PermissionDenied, match="owner or a supervisor"):
        commitment_start(commitment=commitment, by=world.users[persona])
    with pytest.raises(PermissionDenied):
        commitment_progress_add(commitment=commitment, by=world.users[persona], text="Called the office")
    with pytest.raises(PermissionDenied):
        commitment_report_done(commitment=commitment, by=world.users[persona])
    commitment = fresh(commitment)
    assert commitment.status == S.PLEDGED and not commitment.transitions.exists()
    assert not commitment.progress_updates.exists() and not commitment.resident_codes.exists()


def test_starting_twice_is_refused_and_changes_nothing(commitment, world):
    commitment_start(commitment=commitment, by=world.cadre_user)
    with pytest.raises(TransitionError, match="cannot go from “in progress” to “in progress”"):
        commitment_start(commitment=fresh(commitment), by=world.cadre_user)
    assert fresh(commitment).transitions.count() == 1


def test_a_progress_update_goes_on_the_timeline_with_its_evidence(commitment, world):
    at = timezone.now()
    evidence = SimpleUploadedFile("receipt.pdf", b"%PDF-1.4 receipt", content_type="application/pdf")
    progress = commitment_progress_add(
        commitment=commitment, by=world.cadre_user, text="  Applied to the township office  ", evidence=evidence, at=at
    )
    assert progress.text == "Applied to the township office" and progress.evidence.name.endswith(".pdf")
    commitment = fresh(commitment)
    assert commitment.last_progress_at == at
    # Work has begun: a pledged commitment is now in progress.
    assert commitment.status == S.IN_PROGRESS
    assert list(commitment.progress_updates.values_list("text", flat=True)) == ["Applied to the township office"]


def test_an_older_progress_update_does_not_turn_the_clock_back(commitment, world):
    now = timezone.now()
    commitment_progress_add(commitment=commitment, by=world.cadre_user, text="Called", at=now)
    commitment_progress_add(commitment=fresh(commitment), by=world.cadre_user, text="Noted late", at=now - timedelta(hours=3))
    assert fresh(commitment).last_progress_at == now


def test_an_empty_progress_update_or_one_on_a_closed_commitment_is_refused(commitment, world):
    with pytest.raises(ValidationError) as error:
        commitment_progress_add(commitment=commitment, by=world.cadre_user, text="   ")
    assert error.value.message_dict == {"text": ["Say what was done."]}
    closed = f.CommitmentFactory(concern__household=world.household_in, owner=world.cadre, status=S.CANCELLED, closed_at=timezone.now())
    with pytest.raises(ValidationError, match="closed"):
        commitment_progress_add(commitment=closed, by=world.cadre_user, text="Called")
    assert not CommitmentProgress.objects.exists()
    assert fresh(commitment).last_progress_at is None


def test_reporting_done_issues_a_fresh_code_for_the_resident(commitment, world):
    pledge_code = f.ResidentCodeFactory(purpose=ResidentCode.Purpose.COMMITMENT, commitment=commitment)
    code = commitment_report_done(commitment=commitment, by=world.cadre_user, note="Road patched")
    commitment = fresh(commitment)
    assert commitment.status == S.REPORTED_DONE
    assert commitment.transitions.get().reason == "Road patched"
    assert code.pk != pledge_code.pk and code.is_usable() and code.commitment == commitment
    assert code.expires_at > commitment.due_at


def test_an_overdue_commitment_reported_done_gets_a_code_valid_from_now(commitment, world):
    Commitment.objects.filter(pk=commitment.pk).update(
        pledged_at=timezone.now() - timedelta(days=400),
        original_due_at=timezone.now() - timedelta(days=380),
        due_at=timezone.now() - timedelta(days=380),
    )
    code = commitment_report_done(commitment=fresh(commitment), by=world.cadre_user)
    assert code.is_usable() and code.expires_at > timezone.now() + timedelta(days=80)


def test_not_satisfied_reopens_and_the_next_report_gets_a_new_code_the_resident_confirms(world, policy):
    concern = f.ConcernFactory(household=world.household_in)
    commitment = commitment_pledge(concern=concern, owner=world.cadre, text="Fix the lane", by=world.cadre_user)
    commitment_start(commitment=commitment, by=world.cadre_user)
    first = commitment_report_done(commitment=commitment, by=world.cadre_user)
    resident_code_use(code=first.code, rating=ResidentCode.Rating.DISSATISFIED, comment="Still muddy")
    commitment = fresh(commitment)
    assert commitment.status == S.REOPENED

    commitment_start(commitment=commitment, by=world.cadre_user)
    second = commitment_report_done(commitment=commitment, by=world.cadre_user)
    assert second.code != first.code and second.is_usable()
    resident_code_use(code=second.code, rating=ResidentCode.Rating.BASICALLY_SATISFIED, comment="")

    commitment = fresh(commitment)
    assert commitment.status == S.CONFIRMED and commitment.closed_at is not None
    assert list(commitment.transitions.values_list("to_status", flat=True)) == [
        "in_progress",
        "reported_done",
        "reopened",
        "in_progress",
        "reported_done",
        "confirmed",
    ]


# --- verification ---------------------------------------------------------------------


def test_a_supervisor_verifies_a_reported_completion_with_a_note(commitment, world):
    commitment_report_done(commitment=commitment, by=world.cadre_user)
    commitment_verify(commitment=fresh(commitment), by=world.supervisor, note="Seen on site")
    commitment = fresh(commitment)
    assert commitment.status == S.CONFIRMED and commitment.closed_at is not None
    last = commitment.transitions.last()
    assert (last.by, last.reason) == (world.supervisor, "Verified by a supervisor: Seen on site")


def test_only_a_completion_reported_done_can_be_verified(commitment, world):
    with pytest.raises(ValidationError, match="Only a commitment reported done"):
        commitment_verify(commitment=commitment, by=world.supervisor)
    assert fresh(commitment).status == S.PLEDGED


@pytest.mark.parametrize("persona", ["cadre", "inspector", "outsider"])
def test_the_owner_and_others_outside_supervision_cannot_verify(commitment, world, persona):
    commitment_report_done(commitment=commitment, by=world.cadre_user)
    with pytest.raises(PermissionDenied, match="Only a supervisor"):
        commitment_verify(commitment=fresh(commitment), by=world.users[persona])
    assert fresh(commitment).status == S.REPORTED_DONE


def test_a_supervising_owner_cannot_verify_their_own_pledge(commitment, world):
    f.ScopeFactory(user=world.cadre_user, region=world.t1, kind="supervision")
    commitment_report_done(commitment=commitment, by=world.cadre_user)
    with pytest.raises(PermissionDenied):
        commitment_verify(commitment=fresh(commitment), by=world.cadre_user)


# --- extensions -----------------------------------------------------------------------


def test_an_extension_is_asked_then_approved_moving_the_due_date_and_keeping_the_original(commitment, world):
    original = commitment.due_at
    request = extension(commitment, world, days=7)
    assert request.decision == D.PENDING and request.proposed_due_at == days_after_due(commitment, 7)
    assert fresh(commitment).due_at == original

    commitment_request_decide(request=request, by=world.supervisor, decision=D.APPROVED, note="Fine")

    commitment = fresh(commitment)
    assert commitment.due_at == request.proposed_due_at
    assert commitment.original_due_at == original and commitment.extension_count == 1
    request.refresh_from_db()
    assert (request.decision, request.decided_by, request.decision_note) == (D.APPROVED, world.supervisor, "Fine")
    assert request.decided_at is not None


def test_a_refused_extension_changes_nothing_but_the_request(commitment, world):
    request = extension(commitment, world)
    commitment_request_decide(request=request, by=world.supervisor, decision=D.REFUSED, note="Do it on time")
    request.refresh_from_db()
    assert request.decision == D.REFUSED and request.decision_note == "Do it on time"
    commitment = fresh(commitment)
    assert (commitment.due_at, commitment.extension_count, commitment.status) == (commitment.original_due_at, 0, S.PLEDGED)
    # Decided, so another may be asked.
    assert extension(commitment, world, days=3).decision == D.PENDING


def test_a_second_extension_counts_again(commitment, world):
    for days, expected in ((5, 1), (5, 2)):
        request = extension(fresh(commitment), world, days=days)
        commitment_request_decide(request=request, by=world.supervisor, decision=D.APPROVED)
        assert fresh(commitment).extension_count == expected
    commitment = fresh(commitment)
    assert timezone.localdate(commitment.due_at) == timezone.localdate(commitment.original_due_at) + timedelta(days=10)


@pytest.mark.parametrize("days", [0, -1])
def test_an_extension_must_be_later_than_the_current_due_date(commitment, world, days):
    with pytest.raises(ValidationError) as error:
        extension(commitment, world, days=days)
    assert "must be later than the current one" in error.value.message_dict["proposed_due_at"][0]
    assert not CommitmentRequest.objects.exists()


def test_an_extension_beyond_one_more_deadline_period_is_refused(commitment, world):
    latest = extension_latest(commitment)
    with pytest.raises(ValidationError) as error:
        commitment_request_extension(
            commitment=commitment, by=world.cadre_user, reason="Long", proposed_due_at=latest + timedelta(days=1)
        )
    assert "allows an extension to" in error.value.message_dict["proposed_due_at"][0]
    # The latest itself is fine.
    commitment_request_extension(commitment=commitment, by=world.cadre_user, reason="Long", proposed_due_at=latest)


def test_an_overdue_commitment_may_be_extended_from_today_not_from_its_old_due_date(commitment, world):
    long_ago = timezone.now() - timedelta(days=60)
    Commitment.objects.filter(pk=commitment.pk).update(pledged_at=long_ago, original_due_at=long_ago, due_at=long_ago)
    commitment = fresh(commitment)
    with pytest.raises(ValidationError, match="than today"):
        extension(commitment, world, days=30)
    tomorrow = close_of_business(timezone.localdate() + timedelta(days=1))
    request = commitment_request_extension(commitment=commitment, by=world.cadre_user, reason="Late", proposed_due_at=tomorrow)
    assert request.pk


def test_an_extension_needs_a_reason_and_only_one_waits_at_a_time(commitment, world):
    with pytest.raises(ValidationError) as error:
        extension(commitment, world, reason="  ")
    assert error.value.message_dict == {"reason": ["Give a reason."]}
    extension(commitment, world)
    with pytest.raises(ValidationError, match="already waiting"):
        extension(commitment, world, days=3)
    # A cancellation may wait beside it.
    commitment_request_cancellation(commitment=commitment, by=world.cadre_user, reason="Household moved away")
    assert CommitmentRequest.objects.filter(decision=D.PENDING).count() == 2


@pytest.mark.parametrize("persona", ["supervisor", "inspector", "admin"])
def test_only_the_owner_asks_for_an_extension_or_a_cancellation(commitment, world, persona):
    with pytest.raises(PermissionDenied, match="Only the commitment's owner"):
        commitment_request_extension(
            commitment=commitment, by=world.users[persona], reason="x", proposed_due_at=days_after_due(commitment, 3)
        )
    with pytest.raises(PermissionDenied):
        commitment_request_cancellation(commitment=commitment, by=world.users[persona], reason="x")
    assert not CommitmentRequest.objects.exists()


def test_nothing_is_asked_for_a_completion_waiting_for_confirmation_or_a_closed_commitment(commitment, world):
    commitment_report_done(commitment=commitment, by=world.cadre_user)
    with pytest.raises(ValidationError, match="“reported done”"):
        extension(fresh(commitment), world)
    commitment_verify(commitment=fresh(commitment), by=world.supervisor)
    with pytest.raises(ValidationError, match="“confirmed”"):
        commitment_request_cancellation(commitment=fresh(commitment), by=world.cadre_user, reason="Moved")
    assert not CommitmentRequest.objects.exists()


# --- decisions ------------------------------------------------------------------------


def test_an_approved_cancellation_cancels_with_the_requests_reason(commitment, world):
    commitment_start(commitment=commitment, by=world.cadre_user)
    request = commitment_request_cancellation(commitment=fresh(commitment), by=world.cadre_user, reason="Household moved away")
    commitment_request_decide(request=request, by=world.supervisor, decision=D.APPROVED)
    commitment = fresh(commitment)
    assert commitment.status == S.CANCELLED and commitment.closed_at is not None
    last = commitment.transitions.last()
    assert (last.from_status, last.to_status, last.by, last.reason) == (
        "in_progress",
        "cancelled",
        world.supervisor,
        "Household moved away",
    )


def test_a_refused_cancellation_leaves_the_commitment_open(commitment, world):
    request = commitment_request_cancellation(commitment=commitment, by=world.cadre_user, reason="Too hard")
    commitment_request_decide(request=request, by=world.supervisor, decision=D.REFUSED, note="Keep at it")
    assert fresh(commitment).status == S.PLEDGED


def test_a_request_is_decided_once(commitment, world):
    request = extension(commitment, world)
    commitment_request_decide(request=request, by=world.supervisor, decision=D.REFUSED)
    stale = CommitmentRequest.objects.get(pk=request.pk)
    stale.decision = D.PENDING  # as a second page opened before the first decision still shows it
    with pytest.raises(ValidationError, match="already been decided"):
        commitment_request_decide(request=stale, by=world.admin, decision=D.APPROVED)
    request.refresh_from_db()
    assert (request.decision, request.decided_by) == (D.REFUSED, world.supervisor)
    assert fresh(commitment).extension_count == 0


@pytest.mark.parametrize("persona", ["cadre", "inspector", "outsider"])
def test_only_a_supervisor_over_the_village_decides(commitment, world, persona):
    request = extension(commitment, world)
    with pytest.raises(PermissionDenied, match="Only a supervisor over the commitment's village"):
        commitment_request_decide(request=request, by=world.users[persona], decision=D.APPROVED)
    request.refresh_from_db()
    assert request.decision == D.PENDING and fresh(commitment).extension_count == 0


def test_an_administrator_may_decide(commitment, world):
    request = extension(commitment, world)
    commitment_request_decide(request=request, by=world.admin, decision=D.APPROVED)
    assert fresh(commitment).extension_count == 1


def test_nobody_decides_their_own_request(commitment, world):
    f.ScopeFactory(user=world.cadre_user, region=world.t1, kind="supervision")
    request = extension(commitment, world)
    with pytest.raises(PermissionDenied, match="their own request"):
        commitment_request_decide(request=request, by=world.cadre_user, decision=D.APPROVED)
    request.refresh_from_db()
    assert request.decision == D.PENDING


def test_a_scope_limited_to_another_unit_does_not_decide(commitment, world):
    unit_head = f.UserFactory(username="unit-head")
    f.ScopeFactory(user=unit_head, region=world.t1, kind="supervision", unit=world.unit_b)
    request = extension(commitment, world)
    with pytest.raises(PermissionDenied):
        commitment_request_decide(request=request, by=unit_head, decision=D.APPROVED)
    # The owner's own unit is fine.
    own_unit_head = f.UserFactory(username="own-unit-head")
    f.ScopeFactory(user=own_unit_head, region=world.t1, kind="supervision", unit=world.unit_a)
    commitment_request_decide(request=request, by=own_unit_head, decision=D.APPROVED)


def test_an_extension_of_a_commitment_closed_meanwhile_cannot_be_approved_only_refused(commitment, world):
    request = extension(commitment, world)
    commitment.transition(S.REPORTED_DONE, by=world.cadre_user)
    commitment.transition(S.CONFIRMED, by=None, reason="Resident satisfied")
    with pytest.raises(ValidationError, match="refuse the request instead"):
        commitment_request_decide(request=request, by=world.supervisor, decision=D.APPROVED)
    request.refresh_from_db()
    assert request.decision == D.PENDING and fresh(commitment).extension_count == 0
    commitment_request_decide(request=request, by=world.supervisor, decision=D.REFUSED)


def test_a_decision_must_be_approve_or_refuse(commitment, world):
    request = extension(commitment, world)
    with pytest.raises(ValidationError):
        commitment_request_decide(request=request, by=world.supervisor, decision="pending")
    request.refresh_from_db()
    assert request.decision == D.PENDING


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_supervisors_deciding_one_request_at_once_make_one_decision(world):
    DeadlinePolicy.objects.create(urgency=Urgency.NORMAL, working_days=10)
    commitment = f.CommitmentFactory(concern__household=world.household_in, owner=world.cadre)
    request = extension(commitment, world)

    def decide(user, decision):
        # Each supervisor holds the request as it was before either decided.
        mine = CommitmentRequest.objects.select_related("commitment__village", "commitment__owner").get(pk=request.pk)
        user = type(user).objects.get(pk=user.pk)

        def act():
            commitment_request_decide(request=mine, by=user, decision=decision)
            return decision

        return act

    outcomes = race(decide(world.supervisor, D.APPROVED), decide(world.admin, D.REFUSED))
    outcomes = ["lost" if isinstance(o, ValidationError) else o for o in outcomes]

    assert len(outcomes) == 2 and outcomes.count("lost") == 1
    winner = next(o for o in outcomes if o != "lost")
    request.refresh_from_db()
    assert request.decision == winner
    assert fresh(commitment).extension_count == (1 if winner == D.APPROVED else 0)
