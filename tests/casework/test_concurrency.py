"""Status changes under real concurrency, on PostgreSQL."""

import pytest

from casework.models import Commitment
from households.history import TransitionError
from tests import factories as f
from tests.conftest import race


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_people_changing_one_commitment_at_once_make_one_change(world):
    commitment = f.CommitmentFactory(concern__household=world.household_in, owner=world.cadre)
    # Each reads the commitment before either changes it.
    mine, theirs = Commitment.objects.get(pk=commitment.pk), Commitment.objects.get(pk=commitment.pk)

    def act(obj, user, target, reason):
        obj.transition(target, by=user, reason=reason)
        return target

    outcomes = race(
        lambda: act(mine, world.cadre_user, Commitment.Status.IN_PROGRESS, ""),
        lambda: act(theirs, world.supervisor, Commitment.Status.CANCELLED, "Duplicate pledge"),
    )
    outcomes = ["refused" if isinstance(o, TransitionError) else o for o in outcomes]

    assert len(outcomes) == 2 and outcomes.count("refused") == 1
    commitment.refresh_from_db()
    winner = next(o for o in outcomes if o != "refused")
    assert commitment.status == winner
    assert list(commitment.transitions.values_list("to_status", flat=True)) == [winner]
