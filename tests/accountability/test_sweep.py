"""The overdue sweep: the ladder rung by rung, catch-up, idempotence, interruption, overlap."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from accountability.models import Escalation, EscalationRule
from accountability.services import escalations_sweep
from casework.models import Commitment, Concern, PetitionCase
from tests import factories as f
from tests.conftest import at_once

SHANGHAI = ZoneInfo("Asia/Shanghai")


def local(*args) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


def pledge(world, *, pledged_at, due_at, **extra):
    return f.CommitmentFactory(
        concern__household=world.household_in,
        concern__raised_at=pledged_at,
        concern__outcome=Concern.Outcome.PLEDGED,
        concern__outcome_at=pledged_at,
        owner=world.cadre,
        pledged_at=pledged_at,
        original_due_at=due_at,
        due_at=due_at,
        **extra,
    )


def rungs(item, subject="commitment") -> dict[str, datetime]:
    """The rungs an item has reached (of one subject, for a commitment), with when it reached each."""
    rows = item.escalations.all()
    if isinstance(item, Commitment):
        rows = rows.filter(rule__subject=subject)
    return {row.rule.code: row.due_at for row in rows.select_related("rule")}


def sweep_at(moment):
    with time_machine.travel(moment, tick=False):
        return escalations_sweep()


def test_a_commitment_climbs_the_ladder_one_rung_at_a_time(world, ladder):
    # Due on Friday 20 November 2026 at the close of business.
    due = local(2026, 11, 20, 18, 0)
    item = pledge(world, pledged_at=local(2026, 11, 9, 10, 0), due_at=due)

    sweep_at(local(2026, 11, 17, 12, 0))
    assert rungs(item) == {}

    # Two working days before Friday: the reminder is due from Wednesday morning.
    result = sweep_at(local(2026, 11, 18, 9, 0))
    assert result.created["reminder"] == 1
    assert rungs(item) == {"reminder": local(2026, 11, 18, 0, 0)}

    sweep_at(local(2026, 11, 20, 17, 59))
    assert set(rungs(item)) == {"reminder"}

    sweep_at(local(2026, 11, 20, 18, 1))
    assert rungs(item)["due"] == due

    sweep_at(local(2026, 11, 27, 17, 59))
    assert "overdue-7" not in rungs(item)
    sweep_at(local(2026, 11, 27, 18, 0))
    assert rungs(item)["overdue-7"] == due + timedelta(days=7)

    sweep_at(local(2026, 12, 20, 18, 0))
    assert rungs(item)["overdue-30"] == due + timedelta(days=30)
    assert Escalation.objects.filter(rule__subject="commitment").count() == 4

    again = sweep_at(local(2026, 12, 20, 18, 5))
    assert again.total == 0 and Escalation.objects.filter(rule__subject="commitment").count() == 4


def test_an_item_counts_from_its_due_date_however_late_the_first_sweep_runs(world, ladder):
    due = local(2026, 9, 1, 18, 0)
    item = pledge(world, pledged_at=local(2026, 8, 20, 9, 0), due_at=due)

    sweep_at(local(2026, 11, 21, 9, 0))

    reached = rungs(item)
    assert reached["due"] == due
    assert reached["overdue-7"] == due + timedelta(days=7)
    assert reached["overdue-30"] == due + timedelta(days=30)
    # The reminder is moot once the deadline has passed: the next rung speaks instead.
    assert "reminder" not in reached


def test_the_reminder_counts_working_days_around_spring_festival(world, ladder):
    # 2026-02-24 (Tuesday) is the first working day after the Spring Festival holiday (15–23 Feb).
    # Counting back two working days: the adjusted working Saturday 14 February, then Friday 13;
    # counting calendar days would have said Sunday 22, in the middle of the holiday.
    item = pledge(world, pledged_at=local(2026, 2, 2, 10, 0), due_at=local(2026, 2, 24, 18, 0))

    sweep_at(local(2026, 2, 12, 23, 0))
    assert rungs(item) == {}
    sweep_at(local(2026, 2, 13, 8, 0))
    assert rungs(item) == {"reminder": local(2026, 2, 13, 0, 0)}


def test_closed_commitments_and_extended_ones_are_left_alone(world, ladder):
    moment = local(2026, 11, 21, 9, 0)
    closed = pledge(world, pledged_at=local(2026, 10, 1, 9, 0), due_at=local(2026, 10, 10, 18, 0))
    closed.transition(Commitment.Status.CANCELLED, by=world.supervisor, reason="Duplicate", at=local(2026, 10, 2, 9, 0))
    extended = pledge(
        world,
        pledged_at=local(2026, 10, 1, 9, 0),
        due_at=local(2026, 12, 30, 18, 0),
        extension_count=1,
    )
    Commitment.objects.filter(pk=extended.pk).update(original_due_at=local(2026, 10, 10, 18, 0))

    sweep_at(moment)

    assert rungs(closed) == {}
    assert rungs(extended) == {}


def test_a_back_dated_pledge_already_overdue_is_found_behind_the_watermark(world, ladder):
    sweep_at(local(2026, 11, 21, 9, 0))
    late = pledge(world, pledged_at=local(2026, 11, 1, 9, 0), due_at=local(2026, 11, 10, 18, 0))

    sweep_at(local(2026, 11, 21, 9, 5))

    assert set(rungs(late)) == {"due", "overdue-7"}


def test_concerns_without_an_outcome_and_stalled_commitments_are_escalated(world, ladder):
    raised = local(2026, 11, 1, 9, 0)
    idle = f.ConcernFactory(household=world.household_in, raised_by=world.cadre, raised_at=raised)
    handled = f.ConcernFactory(
        household=world.household_in,
        raised_by=world.cadre,
        raised_at=raised,
        outcome=Concern.Outcome.RESOLVED,
        outcome_at=raised,
        outcome_note="Fixed the gate",
    )
    stalled = pledge(world, pledged_at=raised, due_at=local(2026, 12, 31, 18, 0))
    lively = pledge(
        world, pledged_at=raised, due_at=local(2026, 12, 31, 18, 0), last_progress_at=local(2026, 11, 20, 9, 0)
    )

    sweep_at(local(2026, 11, 16, 9, 0))

    assert rungs(idle) == {"concern-7": raised + timedelta(days=7), "concern-14": raised + timedelta(days=14)}
    assert rungs(handled) == {}
    assert rungs(stalled, "stalled") == {"stalled-14": raised + timedelta(days=14)}
    assert rungs(lively, "stalled") == {}


def test_an_accepted_petition_past_its_handling_deadline_is_escalated(world, ladder):
    registered = local(2026, 8, 1, 9, 0)
    late = f.PetitionCaseFactory(village=world.v1, registered_at=registered, owning_leader=world.cadre)
    late.transition(PetitionCase.Status.ACCEPTED, by=world.supervisor, at=local(2026, 8, 5, 9, 0))
    waiting = f.PetitionCaseFactory(village=world.v1, registered_at=registered, owning_leader=world.cadre)

    sweep_at(local(2026, 11, 21, 9, 0))

    late.refresh_from_db()
    assert {e.rule.code: e.due_at for e in late.escalations.select_related("rule")} == {"petition-due": late.handle_due_at}
    assert not waiting.escalations.exists()


def test_an_interrupted_sweep_is_completed_by_the_next_one(world, ladder):
    items = [pledge(world, pledged_at=local(2026, 9, 1, 9, 0), due_at=local(2026, 9, 15, 18, 0)) for _ in range(3)]
    moment = local(2026, 11, 21, 9, 0)

    # Killed before committing: nothing of it remains.
    with pytest.raises(RuntimeError), transaction.atomic():
        sweep_at(moment)
        raise RuntimeError("worker killed")
    assert Escalation.objects.count() == 0

    # Killed after the first rungs committed: the others had not started.
    EscalationRule.objects.filter(code__in=["overdue-7", "overdue-30"]).update(is_active=False)
    sweep_at(moment)
    EscalationRule.objects.update(is_active=True)

    sweep_at(moment + timedelta(minutes=5))

    for item in items:
        assert set(rungs(item)) == {"due", "overdue-7", "overdue-30"}
    assert Escalation.objects.filter(rule__subject="commitment").count() == 9


def test_the_number_of_statements_does_not_grow_with_the_items(world, ladder):
    def statements(count, moment):
        for _ in range(count):
            pledge(world, pledged_at=moment - timedelta(days=40), due_at=moment - timedelta(days=35))
        with time_machine.travel(moment, tick=False), CaptureQueriesContext(connection) as queries:
            escalations_sweep()
        return len(queries)

    statements(0, local(2026, 10, 1, 9, 0))  # the first sweep ever reads everything once
    few = statements(1, local(2026, 11, 1, 9, 0))
    many = statements(25, local(2026, 11, 8, 9, 0))
    idle = statements(0, local(2026, 11, 8, 9, 5))
    assert few == many == idle
    assert Escalation.objects.filter(rule__subject="commitment").count() == 26 * 3


def test_sweep_overdue_prints_what_it_escalated_and_a_second_run_changes_nothing(world, ladder, capsys):
    pledge(world, pledged_at=local(2026, 9, 1, 9, 0), due_at=local(2026, 9, 15, 18, 0))

    with time_machine.travel(local(2026, 11, 21, 9, 0), tick=False):
        call_command("sweep_overdue")
        first = capsys.readouterr().out
        call_command("sweep_overdue")
        second = capsys.readouterr().out

    assert "overdue-30: 1" in first and "stalled-14: 1" in first
    assert "nothing new" in second and Escalation.objects.count() == 4


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_four_sweeps_at_once_create_each_rung_exactly_once(world, ladder):
    moment = local(2026, 11, 21, 9, 0)
    items = [pledge(world, pledged_at=local(2026, 9, 1, 9, 0), due_at=local(2026, 9, 15, 18, 0)) for _ in range(40)]
    concerns = [f.ConcernFactory(household=world.household_in, raised_at=local(2026, 10, 1, 9, 0)) for _ in range(20)]
    errors = at_once(lambda: escalations_sweep(now=moment), 4)

    assert errors == []
    assert Escalation.objects.filter(commitment__in=items, rule__subject="commitment").count() == 40 * 3
    assert Escalation.objects.filter(concern__in=concerns).count() == 20 * 2
    # The 40 commitments pledged on 1 September have had no progress since: stalled too.
    assert Escalation.objects.filter(rule__code="stalled-14").count() == 40
