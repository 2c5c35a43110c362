"""Figures, each defined once (DESIGN.md §4): every page, export, digest and API that shows one
takes it from here, so that two screens never disagree about what a number means.

So far, what the overdue-case report needs:

- **overdue**: an open commitment whose due date has passed (``Commitment.objects.overdue(now)``);
  derived from the due date, never stored, and counted from the due date, not from when a job
  noticed it;
- **days overdue**: whole days past the (current) due date, as ``Commitment.overdue_days`` counts
  them; ``days_overdue_sql`` is the same count in SQL, for filters and exports;
- **aging bucket**: up to 7, 8–30, 31–90 and over 90 days overdue (the first day, less than one
  whole day past due, counts in the first bucket);
- **escalation level**: the highest rung of the commitment ladder an item has reached, read from
  its ``accountability.Escalation`` rows (the rung with the most days after the due date).
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import (
    Case,
    CharField,
    DateTimeField,
    F,
    Func,
    IntegerField,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.utils.translation import gettext_lazy as _

from accountability.models import Escalation, EscalationRule
from casework.models import Commitment

DAY = timedelta(days=1)


def overdue_commitments(commitments: QuerySet, now: datetime) -> QuerySet:
    """The overdue ones among ``commitments`` (already scoped by the caller)."""
    return commitments.overdue(now)


def days_overdue(commitment: Commitment, now: datetime) -> int:
    """Whole days past due; 0 for an item less than a day overdue or not overdue at all."""
    return commitment.overdue_days(now)


class days_overdue_sql(Func):  # noqa: N801 - reads as the figure it computes
    """``days_overdue`` in SQL: whole days from ``due_at`` to ``now`` (only meaningful for
    overdue rows, where it is never negative)."""

    output_field = IntegerField()
    arg_joiner = " - "
    template = "FLOOR(EXTRACT(EPOCH FROM (%(expressions)s)) / 86400)::integer"

    def __init__(self, now: datetime, due_at: str = "due_at"):
        super().__init__(Value(now, output_field=DateTimeField()), F(due_at))

    def as_sqlite(self, compiler, connection, **extra):
        # SQLite keeps datetimes as UTC text; CAST truncates, which is FLOOR for the positive
        # values of overdue rows.
        return self.as_sql(
            compiler, connection, template="CAST(julianday(%(expressions)s) AS INTEGER)", arg_joiner=") - julianday(", **extra
        )


@dataclass(frozen=True)
class AgingBucket:
    code: str
    label: str
    first_day: int
    last_day: int | None  # None: no upper bound

    def contains(self, days: int) -> bool:
        return days >= self.first_day and (self.last_day is None or days <= self.last_day)

    def q(self, now: datetime, field: str = "due_at") -> Q:
        """Rows in this bucket at ``now``, as a range of due dates (so the due-date index serves it)."""
        q = Q(**{f"{field}__lte": now - self.first_day * DAY})
        if self.last_day is not None:
            q &= Q(**{f"{field}__gt": now - (self.last_day + 1) * DAY})
        return q


AGING_BUCKETS = (
    AgingBucket("1-7", _("up to 7 days"), 0, 7),
    AgingBucket("8-30", _("8–30 days"), 8, 30),
    AgingBucket("31-90", _("31–90 days"), 31, 90),
    AgingBucket("90+", _("over 90 days"), 91, None),
)
BUCKETS_BY_CODE = {bucket.code: bucket for bucket in AGING_BUCKETS}


def aging_bucket(days: int) -> AgingBucket:
    """The bucket of an item ``days`` overdue."""
    return next(bucket for bucket in AGING_BUCKETS if bucket.contains(days))


def escalation_rungs() -> list[EscalationRule]:
    """The rungs of the commitment ladder, lowest first: the possible escalation levels."""
    return list(EscalationRule.objects.filter(subject=EscalationRule.Subject.COMMITMENT).order_by("offset_days", "pk"))


def escalation_level(rungs: list[EscalationRule], *, labels: dict | None = None, commitment: str = "pk"):
    """The highest of ``rungs`` (from ``escalation_rungs``) reached by the commitment at
    ``commitment`` (an outer reference): the rung's id, or its entry in ``labels`` (by rung id);
    NULL when it has reached none.

    One aggregate over the item's escalation rows, read from the unique (commitment, rung) index
    alone: the rungs' order is known here, so the database needs no join or sort per row.
    """
    if not rungs:
        return Value(None, output_field=CharField() if labels else IntegerField())
    rank = Case(*(When(rule_id=rung.pk, then=Value(i)) for i, rung in enumerate(rungs)), output_field=IntegerField())
    values = [labels[rung.pk] if labels else rung.pk for rung in rungs]
    level = Case(
        *(When(top=i, then=Value(value)) for i, value in enumerate(values)),
        output_field=CharField() if labels else IntegerField(),
    )
    reached = (
        Escalation.objects.filter(commitment_id=OuterRef(commitment), rule_id__in=[rung.pk for rung in rungs])
        .order_by()
        .values("commitment_id")
        .annotate(top=Max(rank))
        .annotate(level=level)
        .values("level")
    )
    return Subquery(reached, output_field=level.output_field)
