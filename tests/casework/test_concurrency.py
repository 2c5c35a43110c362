"""Status changes under real concurrency, on PostgreSQL."""

import threading

import pytest
from django.db import connection

from casework.models import Commitment
from households.history import TransitionError
from tests import factories as f


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_people_changing_one_commitment_at_once_make_one_change(world):
    commitment = f.CommitmentFactory(concern__household=world.household_in, owner=world.cadre)
    barrier = threading.Barrier(2)
    outcomes = []

    def act(user, target, reason):
        try:
            mine = Commitment.objects.get(pk=commitment.pk)
            barrier.wait(timeout=10)
            mine.transition(target, by=user, reason=reason)
            outcomes.append(target)
        except TransitionError:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [
        threading.Thread(target=act, args=(world.cadre_user, Commitment.Status.IN_PROGRESS, "")),
        threading.Thread(target=act, args=(world.supervisor, Commitment.Status.CANCELLED, "Duplicate pledge")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert len(outcomes) == 2 and outcomes.count("refused") == 1
    commitment.refresh_from_db()
    winner = next(o for o in outcomes if o != "refused")
    assert commitment.status == winner
    assert list(commitment.transitions.values_list("to_status", flat=True)) == [winner]
