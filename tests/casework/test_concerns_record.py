"""Several concerns recorded at once (a visit's) read exactly as if recorded one by one."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from casework.models import Commitment, Concern, ConcernHistory, ResidentCode, Urgency
from casework.services import ConcernDraft, commitment_pledge, concern_record, concerns_record, deadline_latest
from tests import factories as f

Outcome = Concern.Outcome


def drafts(category, case, at=None):
    due = (at or timezone.now()) + timedelta(days=2)
    return [
        ConcernDraft(category=category, urgency=Urgency.URGENT, text=" Roof leaks ", outcome=Outcome.PLEDGED, pledge_text="Fix it "),
        ConcernDraft(category=category, urgency=Urgency.NORMAL, text="Well is dry", outcome=Outcome.PLEDGED, pledge_text="Deepen it", due_at=due),
        ConcernDraft(category=category, urgency=Urgency.NORMAL, text="Pension form", outcome=Outcome.RESOLVED, note="Filled it in "),
        ConcernDraft(category=category, urgency=Urgency.NORMAL, text="Wants a job", outcome=Outcome.NOT_ACTIONABLE, note="Retired"),
        ConcernDraft(category=category, urgency=Urgency.NORMAL, text="Land dispute", outcome=Outcome.REFERRED, petition_case=case),
        ConcernDraft(category=category, urgency=Urgency.NORMAL, text="Road to market"),
    ]


def one_by_one(draft, *, world, at):
    """The same concern through concern_record, then set_outcome or commitment_pledge."""
    concern = concern_record(
        household=world.household_in, village=world.v1, category=draft.category, urgency=draft.urgency,
        text=draft.text, raised_by=world.cadre, raised_at=at - timedelta(hours=1),
    )
    if draft.outcome == Outcome.PLEDGED:
        commitment_pledge(concern=concern, owner=world.cadre, text=draft.pledge_text, by=world.cadre_user, due_at=draft.due_at, at=at)
    elif draft.outcome != Outcome.NONE:
        concern.set_outcome(draft.outcome, by=world.cadre_user, note=draft.note, petition_case=draft.petition_case, at=at)
    return concern


def written(concern) -> dict:
    """Everything recorded about a concern, without ids."""
    concern = Concern.objects.get(pk=concern.pk)
    commitment = Commitment.objects.filter(concern=concern).first()
    skip = {"id", "concern", "_state"}
    return {
        "concern": {k: v for k, v in vars(concern).items() if k not in skip},
        "history": list(ConcernHistory.objects.filter(concern=concern).values("from_outcome", "to_outcome", "by", "at", "note")),
        "commitment": {k: v for k, v in vars(commitment).items() if k not in skip | {"concern_id"}} if commitment else None,
        "codes": list(ResidentCode.objects.filter(commitment=commitment).values("purpose", "created_at", "expires_at", "used_at"))
        if commitment
        else [],
    }


def test_concerns_recorded_at_once_are_written_as_one_by_one(world, category):
    case = f.PetitionCaseFactory(owning_leader=world.cadre, village=world.v1)
    at = timezone.now()
    together = concerns_record(
        drafts=drafts(category, case, at), village=world.v1, household=world.household_in, raised_by=world.cadre,
        raised_at=at - timedelta(hours=1), by=world.cadre_user, at=at,
    )
    apart = [one_by_one(draft, world=world, at=at) for draft in drafts(category, case, at)]

    assert [written(c) for c in together] == [written(c) for c in apart]
    pledged = Commitment.objects.get(concern=together[0])
    # No due date given: the latest the policy allows; each pledge has its resident's code.
    assert pledged.due_at == deadline_latest(category=category, urgency=Urgency.URGENT, pledged_at=at)
    assert ResidentCode.objects.filter(purpose=ResidentCode.Purpose.COMMITMENT).count() == 4
    assert ConcernHistory.objects.count() == 2 * 5


def test_recording_several_concerns_takes_the_same_few_statements_as_one(world, category, django_assert_num_queries):
    case = f.PetitionCaseFactory(owning_leader=world.cadre, village=world.v1)
    at = timezone.now()
    record = {"village": world.v1, "household": world.household_in, "raised_by": world.cadre, "by": world.cadre_user}
    # Deadline policies and calendar; concerns, their history, commitments; the codes in a savepoint.
    with django_assert_num_queries(8):
        concerns_record(drafts=drafts(category, case)[:1], raised_at=at, at=at, **record)
    with django_assert_num_queries(8):
        concerns_record(drafts=drafts(category, case) * 3, raised_at=at, at=at, **record)


def test_nothing_is_written_when_one_concern_is_refused(world, category):
    at = timezone.now()
    record = {"village": world.v1, "household": world.household_in, "raised_by": world.cadre, "raised_at": at, "by": world.cadre_user, "at": at}
    good = ConcernDraft(category=category, urgency=Urgency.NORMAL, text="Roof leaks", outcome=Outcome.PLEDGED, pledge_text="Fix it")
    for bad, field in [
        (ConcernDraft(category=category, urgency=Urgency.NORMAL, text="Pension form", outcome=Outcome.RESOLVED), "outcome_note"),
        (ConcernDraft(category=category, urgency=Urgency.NORMAL, text="Dispute", outcome=Outcome.REFERRED), "petition_case"),
        (ConcernDraft(category=category, urgency=Urgency.URGENT, text="Well", outcome=Outcome.PLEDGED, pledge_text="Dig", due_at=at + timedelta(days=30)), "due_at"),
        (ConcernDraft(category=category, urgency=Urgency.URGENT, text="Well", outcome=Outcome.PLEDGED, pledge_text="Dig", due_at=at), "due_at"),
    ]:
        with pytest.raises(ValidationError) as error:
            concerns_record(drafts=[good, bad], **record)
        assert field in error.value.message_dict
    assert not Concern.objects.exists() and not Commitment.objects.exists() and not ResidentCode.objects.exists()


def test_a_fresh_code_that_clashes_with_an_existing_one_is_drawn_again(world, category):
    taken = f.ResidentCodeFactory()
    at = timezone.now()
    clashing = ResidentCode(code=taken.code, purpose=ResidentCode.Purpose.VISIT, created_at=at, expires_at=at + timedelta(days=30))
    concerns_record(
        drafts=drafts(category, None)[:1], village=world.v1, household=world.household_in, raised_by=world.cadre,
        raised_at=at, by=world.cadre_user, at=at, codes=[clashing],
    )
    clashing.refresh_from_db()
    assert clashing.code != taken.code and clashing.purpose == ResidentCode.Purpose.VISIT
    assert ResidentCode.objects.count() == 3 and Commitment.objects.get().resident_codes.count() == 1
