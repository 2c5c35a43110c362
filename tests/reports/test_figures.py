"""The report's figures: overdue, days overdue (Python and SQL agree), aging buckets, escalation level."""

from datetime import timedelta

import pytest
from django.utils import timezone

from casework.models import Commitment
from reports import figures
from tests import factories as f

S = Commitment.Status


def pledge(world, *, overdue_by: timedelta, **extra):
    now = timezone.now()
    due = now - overdue_by
    return f.CommitmentFactory(
        concern__household=world.household_in,
        owner=world.cadre,
        pledged_at=due - timedelta(days=10),
        original_due_at=due,
        due_at=due,
        **extra,
    )


@pytest.mark.parametrize(
    ("overdue_by", "days", "bucket"),
    [
        (timedelta(hours=3), 0, "1-7"),
        (timedelta(days=1), 1, "1-7"),
        (timedelta(days=7, hours=23), 7, "1-7"),
        (timedelta(days=8), 8, "8-30"),
        (timedelta(days=30, hours=23), 30, "8-30"),
        (timedelta(days=31, minutes=1), 31, "31-90"),
        (timedelta(days=90, hours=12), 90, "31-90"),
        (timedelta(days=91), 91, "90+"),
        (timedelta(days=400), 400, "90+"),
    ],
)
def test_days_overdue_and_the_bucket_agree_in_python_and_sql(world, overdue_by, days, bucket):
    item = pledge(world, overdue_by=overdue_by)
    now = timezone.now()

    assert figures.days_overdue(item, now) == days
    assert figures.aging_bucket(days).code == bucket
    annotated = Commitment.objects.annotate(days=figures.days_overdue_sql(now)).get(pk=item.pk)
    assert annotated.days == days
    in_bucket = Commitment.objects.filter(figures.BUCKETS_BY_CODE[bucket].q(now))
    assert list(in_bucket.values_list("pk", flat=True)) == [item.pk]
    for other in figures.AGING_BUCKETS:
        if other.code != bucket:
            assert not Commitment.objects.filter(other.q(now)).exists(), other.code


def test_the_buckets_cover_every_day_once():
    for days in range(0, 500):
        assert sum(bucket.contains(days) for bucket in figures.AGING_BUCKETS) == 1


def test_overdue_is_open_and_past_due_only(world):
    late = pledge(world, overdue_by=timedelta(days=2))
    pledge(world, overdue_by=-timedelta(days=2))  # not due yet
    pledge(world, overdue_by=timedelta(days=2), status=S.CONFIRMED, closed_at=timezone.now())
    pledge(world, overdue_by=timedelta(days=2), status=S.CANCELLED, closed_at=timezone.now())
    reported = pledge(world, overdue_by=timedelta(days=2), status=S.REPORTED_DONE)

    overdue = figures.overdue_commitments(Commitment.objects.all(), timezone.now())

    assert set(overdue.values_list("pk", flat=True)) == {late.pk, reported.pk}


def test_the_escalation_level_is_the_highest_commitment_rung_reached(world):
    reminder = f.EscalationRuleFactory(code="reminder", offset_days=-2)
    due = f.EscalationRuleFactory(code="due", offset_days=0)
    week = f.EscalationRuleFactory(code="week", offset_days=7)
    f.EscalationRuleFactory(code="month", offset_days=30)
    stalled = f.EscalationRuleFactory(code="stalled", offset_days=60, subject="stalled")
    climbed = pledge(world, overdue_by=timedelta(days=9))
    for rule in (week, reminder, due, stalled):  # a stalled rung is another ladder
        f.EscalationFactory(commitment=climbed, rule=rule)
    untouched = pledge(world, overdue_by=timedelta(days=1))

    rungs = figures.escalation_rungs()
    levels = dict(Commitment.objects.annotate(level=figures.escalation_level(rungs)).values_list("pk", "level"))
    names = Commitment.objects.annotate(level=figures.escalation_level(rungs, labels={r.pk: r.code.upper() for r in rungs}))

    assert [rule.code for rule in rungs] == ["reminder", "due", "week", "month"]
    assert levels == {climbed.pk: week.pk, untouched.pk: None}
    assert dict(names.values_list("pk", "level")) == {climbed.pk: "WEEK", untouched.pk: None}
