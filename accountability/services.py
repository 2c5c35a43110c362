"""Oversight work that touches many rows: the overdue sweep and what it escalates.

The sweep only writes Escalation rows; delivering them (inbox, email, group robots) is
``accountability.delivery``'s job, run separately after the sweep has committed.
"""

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db import connection, models, transaction
from django.db.models import Case, DateTimeField, ExpressionWrapper, F, Max, Q, Value, When
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from casework.calendar import WorkingCalendar, start_of_day
from casework.models import Commitment, Concern

from .models import Escalation, EscalationRule, SweepWatermark

logger = logging.getLogger(__name__)

# Each sweep also re-reads the items with the last ID_LAG ids: an item whose transaction committed
# after a sweep had already read higher ids is still found by the next one. The nightly full
# sweep (``escalations_sweep(full=True)``) is the backstop for anything older.
ID_LAG = 1000

# For working-day rungs, how far back the exact working-day mapping reaches; older anchors (only a
# full sweep or a long-delayed item meets them) fall back to counting calendar days.
WORKING_DAY_WINDOW = 120


@dataclass(frozen=True)
class Source:
    """Where one kind of escalated item lives and what its rungs count from."""

    model: type[models.Model]
    column: str  # the Escalation column that points at the item
    anchor: models.Expression
    open: Q


SOURCES = {
    EscalationRule.Subject.COMMITMENT: Source(
        Commitment, "commitment_id", F("due_at"), Q(status__in=Commitment.OPEN_STATES)
    ),
    # "Recorded but never acted on": a concern still without an outcome, counted from when raised.
    EscalationRule.Subject.CONCERN: Source(Concern, "concern_id", F("raised_at"), Q(outcome=Concern.Outcome.NONE)),
    # An open commitment nobody has reported progress on, counted from its last sign of life.
    EscalationRule.Subject.STALLED: Source(
        Commitment,
        "commitment_id",
        Coalesce("last_progress_at", "pledged_at"),
        Q(status__in=Commitment.OPEN_STATES),
    ),
}

_INSERT_COLUMNS = (
    "rule_id",
    "{item}",
    "village_id",
    "due_at",
    "created_at",
    "delivery",
    "attempts",
    "channels_done",
    "last_error",
)


@dataclass
class SweepResult:
    """What one sweep created, per rung (in ladder order)."""

    created: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.created.values())


class Rung:
    """One rule's arithmetic: when an item reaches it, and the anchor cutoff for a moment."""

    def __init__(self, rule: EscalationRule, calendar: WorkingCalendar, now: datetime):
        self.rule, self.calendar, self.now = rule, calendar, now
        self.today = timezone.localdate(now)
        if rule.working_days:
            # The rung is reached at the start of the working day ``offset`` working days from the
            # anchor's date; find the last anchor date that has got there by today.
            day = self.today
            if self._reached_on(day) <= self.today:
                while self._reached_on(day + timedelta(days=1)) <= self.today:
                    day += timedelta(days=1)
            else:
                while self._reached_on(day) > self.today:
                    day -= timedelta(days=1)
            self.last_anchor_day = day
            self.cutoff = start_of_day(day + timedelta(days=1)) - timedelta(microseconds=1)
        else:
            self.cutoff = now - timedelta(days=rule.offset_days)

    def _reached_on(self, anchor_day: date) -> date:
        return self.calendar.add(anchor_day, self.rule.offset_days)

    def reached_at(self, anchor: models.Expression, since: datetime | None):
        """SQL for the moment an item reached this rung, from its anchor."""
        by_calendar = ExpressionWrapper(anchor + timedelta(days=self.rule.offset_days), output_field=DateTimeField())
        if not self.rule.working_days:
            return by_calendar
        first = self.today - timedelta(days=WORKING_DAY_WINDOW)
        if since is not None:
            first = max(first, timezone.localdate(since))
        whens = []
        day = first
        while day <= self.last_anchor_day:
            whens.append(
                When(
                    Q(_anchor__gte=start_of_day(day), _anchor__lt=start_of_day(day + timedelta(days=1))),
                    then=Value(start_of_day(self._reached_on(day))),
                )
            )
            day += timedelta(days=1)
        return Case(*whens, default=by_calendar, output_field=DateTimeField())


def _insert_missing(rung: Rung, source: Source, *, lower: Q, since: datetime | None) -> int:
    """INSERT … SELECT the items past this rung matching ``lower``; existing (item, rung) rows stay."""
    now = rung.now
    items = (
        source.model.objects.annotate(_anchor=source.anchor)
        .filter(source.open, lower, _anchor__lte=rung.cutoff)
        .order_by()
    )
    if rung.rule.offset_days < 0:
        # A reminder before the deadline is moot once the deadline has passed: the next rung speaks.
        items = items.filter(_anchor__gt=now)
    select = items.values_list(
        Value(rung.rule.pk),
        "pk",
        "village_id",
        rung.reached_at(F("_anchor"), since),
        Value(now, output_field=DateTimeField()),
        Value(Escalation.Delivery.PENDING),
        Value(0),
        Value(""),
        Value(""),
    )
    sql, params = select.query.sql_with_params()
    columns = ", ".join(connection.ops.quote_name(c.format(item=source.column)) for c in _INSERT_COLUMNS)
    table = connection.ops.quote_name(Escalation._meta.db_table)
    with connection.cursor() as cursor:
        # The partial unique indexes on (item, rung) make this idempotent: overlapping sweeps,
        # duplicated beats and retries skip what another has already written.
        cursor.execute(f"INSERT INTO {table} ({columns}) {sql} ON CONFLICT DO NOTHING", params)
        return max(cursor.rowcount, 0)


def escalations_sweep(*, now: datetime | None = None, full: bool = False) -> SweepResult:
    """Write the missing Escalation rows for every active rung; safe to run any number of times.

    Catch-up semantics: an item is escalated when its rung's moment has passed, however long ago,
    never "if it fell due in the last few minutes". Each rung is one transaction that inserts in
    bulk and then advances the rung's watermark, so an interrupted sweep leaves either all of a
    rung's work or none of it, and the next sweep finishes the job. An idle sweep reads only the
    items between the watermark and now (an index range scan), not everything overdue; ``full``
    re-reads everything overdue (the nightly backstop).
    """
    now = now or timezone.now()
    rules = [r for r in EscalationRule.objects.filter(is_active=True) if r.subject in SOURCES]
    SweepWatermark.objects.bulk_create([SweepWatermark(rule=r) for r in rules], ignore_conflicts=True)
    marks = {m.rule_id: m for m in SweepWatermark.objects.filter(rule__in=rules)}
    calendar = WorkingCalendar()
    last_ids = {}
    created = {}
    for rule in rules:
        source = SOURCES[rule.subject]
        if source.model not in last_ids:
            last_ids[source.model] = source.model.objects.aggregate(m=Max("pk"))["m"] or 0
        mark = marks[rule.pk]
        rung = Rung(rule, calendar, now)
        with transaction.atomic():
            if full or mark.reached_until is None:
                count = _insert_missing(rung, source, lower=Q(), since=None)
            else:
                # New anchors since the last sweep (the partial index on the anchor), then items
                # created since then whose anchor was already behind the watermark.
                count = _insert_missing(rung, source, lower=Q(_anchor__gt=mark.reached_until), since=mark.reached_until)
                count += _insert_missing(
                    rung,
                    source,
                    lower=Q(pk__gt=mark.last_item_id - ID_LAG, _anchor__lte=mark.reached_until),
                    since=None,
                )
            # Watermarks only move forward, whichever of two overlapping sweeps commits last.
            SweepWatermark.objects.filter(rule=rule).update(
                reached_until=Greatest(Coalesce("reached_until", Value(rung.cutoff)), Value(rung.cutoff)),
                last_item_id=Greatest("last_item_id", Value(last_ids[source.model])),
                swept_at=now,
            )
        created[rule.code] = count
    if sum(created.values()):
        logger.info("sweep created escalations: %s", created)
    return SweepResult(created=created)
