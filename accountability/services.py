"""Oversight work: the overdue sweep and what it escalates; supervision reports, accountability
actions, exemption requests and circulated notices as their pages write them.

The sweep only writes Escalation rows; delivering them (inbox, email, group robots) is
``accountability.delivery``'s job, run separately after the sweep has committed.
"""

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, models, transaction
from django.db.models import Case, Count, DateTimeField, ExpressionWrapper, F, Max, Q, Value, When
from django.db.models.functions import Coalesce, Greatest
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.text import Truncator
from django.utils.translation import gettext as _

from cadres.models import Notification, Scope
from casework.calendar import WorkingCalendar, start_of_day
from casework.models import Commitment, CommitmentRequest, Concern, PetitionCase
from households.access import path_q

from .channels import DeliveryError, Message, email_deliver, inbox_deliver, robot_deliver
from .models import (
    AccountabilityAction,
    ActionSnapshot,
    Escalation,
    EscalationLevel,
    EscalationRule,
    ExemptionRequest,
    Finding,
    Notice,
    RobotWebhook,
    SupervisionReport,
    SweepWatermark,
)

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
    # A petition case accepted but not replied to by its statutory handling deadline.
    EscalationRule.Subject.PETITION: Source(
        PetitionCase, "petition_case_id", F("handle_due_at"), Q(status=PetitionCase.Status.ACCEPTED)
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


def _insert_missing(rung: Rung, source: Source, *, lower: Q, below: list[int] | None = None) -> int:
    """INSERT … SELECT the items past this rung matching ``lower``; existing (item, rung) rows stay.

    For a rung of the commitment ladder (``below``: the ids of the ladder's lower rungs), the
    escalated commitments' kept levels (EscalationLevel) rise to this rung in the same statement
    on PostgreSQL, unless they are at a higher rung already."""
    now = rung.now
    since = None  # the working-day mapping covers the whole window: an item may be of any age
    items = (
        source.model.objects.annotate(_anchor=source.anchor)
        .filter(source.open, lower, _anchor__lte=rung.cutoff)
        .order_by()
    )
    if rung.rule.offset_days < 0:
        # A reminder before the deadline is moot once the deadline has passed: the next rung speaks.
        items = items.filter(_anchor__gt=now)
        # So only anchors from today on need the working-day mapping (not the whole window's days).
        since = now
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
    # The partial unique indexes on (item, rung) make this idempotent: overlapping sweeps,
    # duplicated beats and retries skip what another has already written.
    insert = f"INSERT INTO {table} ({columns}) {sql} ON CONFLICT DO NOTHING"
    with connection.cursor() as cursor:
        if below is None:
            cursor.execute(insert, params)
            return max(cursor.rowcount, 0)
        if connection.vendor != "postgresql":
            # No INSERT inside a WITH here (SQLite): the items' levels are read again from their rows.
            cursor.execute(insert, params)
            escalation_levels_repair(commitments=items)
            return max(cursor.rowcount, 0)
        # In commitment order, so that two overlapping sweeps lock the levels in one order.
        level = connection.ops.quote_name(EscalationLevel._meta.db_table)
        cursor.execute(
            f"WITH escalated AS ({insert} RETURNING commitment_id), "
            f"raised AS (INSERT INTO {level} (commitment_id, rule_id) "
            f"SELECT commitment_id, %s FROM escalated ORDER BY commitment_id "
            f"ON CONFLICT (commitment_id) DO UPDATE SET rule_id = EXCLUDED.rule_id "
            f"WHERE {level}.rule_id = ANY(%s)) "
            f"SELECT count(*) FROM escalated",
            [*params, rung.rule.pk, below],
        )
        return cursor.fetchone()[0]


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
    every_rule = list(EscalationRule.objects.all())
    rules = [r for r in every_rule if r.is_active and r.subject in SOURCES]
    ladder = _ladder(every_rule)
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
            if connection.vendor == "postgresql":
                # Don't wait for the WAL flush at commit (most sweeps write only the watermark). A
                # crash loses at most the last moments' sweeps, rows and watermark together, and
                # the next sweep redoes them; whatever acts on a row (the sender's claim) commits
                # durably after it, which flushes the row too.
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL synchronous_commit TO OFF")
            below = ladder[: ladder.index(rule.pk)] if rule.pk in ladder else None
            if full or mark.reached_until is None:
                count = _insert_missing(rung, source, lower=Q(), below=below)
            else:
                # New anchors since the last sweep (a range of the partial index on the anchor),
                # or items created since then whose anchor was already behind the watermark (a
                # range of the primary key): one statement, a BitmapOr of the two index scans.
                count = _insert_missing(
                    rung,
                    source,
                    lower=Q(_anchor__gt=mark.reached_until) | Q(pk__gt=mark.last_item_id - ID_LAG),
                    below=below,
                )
            # Watermarks only move forward, whichever of two overlapping sweeps commits last.
            SweepWatermark.objects.filter(rule=rule).update(
                reached_until=Greatest(Coalesce("reached_until", Value(rung.cutoff)), Value(rung.cutoff)),
                last_item_id=Greatest("last_item_id", Value(last_ids[source.model])),
                swept_at=now,
            )
        created[rule.code] = count
    if full:
        # The backstop for the kept levels too, should escalation rows have been written or removed
        # some other way (say, by a sweep still running the code before the levels while their
        # migration filled them in).
        escalation_levels_repair()
    if sum(created.values()):
        logger.info("sweep created escalations: %s", created)
    return SweepResult(created=created)


def _ladder(rules) -> list[int]:
    """The ids of the commitment ladder's rungs, lowest first (as ``reports.figures`` ranks them)."""
    ladder = sorted(
        (r for r in rules if r.subject == EscalationRule.Subject.COMMITMENT), key=lambda r: (r.offset_days, r.pk)
    )
    return [r.pk for r in ladder]


def escalation_levels_repair(*, commitments: models.QuerySet | None = None) -> int:
    """Make the kept escalation levels (EscalationLevel) agree with the escalation rows again: for
    every commitment (or those of the ``commitments`` queryset), the highest rung of the
    commitment ladder it has reached, and no row when it has reached none. Set-based (two
    statements, seconds for a city); writes only what disagrees. Returns the rows it changed.

    Called after the ladder itself changes (a rung's days or subject: the ranks move), after
    escalation rows are deleted, and by the nightly full sweep."""
    quote = connection.ops.quote_name
    level = quote(EscalationLevel._meta.db_table)
    ladder_rows = (
        f"FROM {quote(Escalation._meta.db_table)} e JOIN {quote(EscalationRule._meta.db_table)} r ON r.id = e.rule_id "
        f"WHERE e.commitment_id IS NOT NULL AND r.subject = %s"
    )
    subject = [EscalationRule.Subject.COMMITMENT]
    only, only_level, params = "", "", []
    if commitments is not None:
        sql, params = commitments.order_by().values("pk").query.sql_with_params()
        only, only_level = f" AND e.commitment_id IN ({sql})", f"commitment_id IN ({sql}) AND "
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {level} (commitment_id, rule_id) "
            f"SELECT h.commitment_id, h.rule_id FROM ("
            f"SELECT e.commitment_id, e.rule_id, ROW_NUMBER() OVER ("
            f"PARTITION BY e.commitment_id ORDER BY r.offset_days DESC, r.id DESC) AS n {ladder_rows}{only}) h "
            f"LEFT JOIN {level} k ON k.commitment_id = h.commitment_id "
            f"WHERE h.n = 1 AND (k.rule_id IS NULL OR k.rule_id <> h.rule_id) "
            f"ON CONFLICT (commitment_id) DO UPDATE SET rule_id = excluded.rule_id",
            [*subject, *params],
        )
        changed = max(cursor.rowcount, 0)
        cursor.execute(
            f"DELETE FROM {level} WHERE {only_level}"
            f"NOT EXISTS (SELECT 1 {ladder_rows} AND e.commitment_id = {level}.commitment_id)",
            [*params, *subject],
        )
        return changed + max(cursor.rowcount, 0)


@transaction.atomic
def escalations_delete(*, escalations: models.QuerySet) -> int:
    """Delete escalation rows (an administrator's correction) and put their commitments' kept
    levels right. A row still due is written again by the next full sweep."""
    commitment_ids = list(escalations.exclude(commitment=None).values_list("commitment_id", flat=True).distinct())
    deleted, _by_model = escalations.delete()
    if commitment_ids:
        escalation_levels_repair(commitments=Commitment.objects.filter(pk__in=commitment_ids))
    return deleted


# --- Delivery -----------------------------------------------------------------------------------

# A row claimed this long ago and still "being sent" belonged to a sender that died: take it over.
SENDING_STALE_AFTER = timedelta(minutes=10)
# Waits before the 1st, 2nd, … retry of a failed delivery; the last one repeats.
RETRY_DELAYS = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=6),
)
SEND_BATCH = 200


class Recipients:
    """Who hears about items in which villages: the current supervision and inspection scopes,
    read once per batch (a city has thousands of scopes, not millions)."""

    def __init__(self, on: date):
        self.scopes = list(
            Scope.objects.current(on).values_list("kind", "region__path", "unit_id", "user_id", "user__email")
        )
        self.emails = {}

    def _levels(self, kind: str, path: str, unit_id) -> list[set[int]]:
        """Users holding ``kind`` scopes over ``path``, nearest region first, grouped by region."""
        by_region: dict[str, set[int]] = {}
        for scope_kind, region_path, scope_unit, user_id, email in self.scopes:
            if scope_kind == kind and path.startswith(region_path) and scope_unit in (None, unit_id):
                by_region.setdefault(region_path, set()).add(user_id)
                self.emails[user_id] = email
        return [by_region[p] for p in sorted(by_region, key=len, reverse=True)]

    def for_escalation(self, escalation: Escalation, owner) -> set[int]:
        audience = escalation.rule.audience
        path, unit_id = escalation.village.path, owner.unit_id if owner else None
        owner_ids = {owner.user_id} if owner else set()
        if owner:
            self.emails[owner.user_id] = owner.user.email
        Audience = EscalationRule.Audience
        if audience == Audience.INSPECTORS:
            levels = self._levels(Scope.Kind.INSPECTION, path, unit_id)
            return levels[0] if levels else set()
        supervisors = self._levels(Scope.Kind.SUPERVISION, path, unit_id)
        if audience == Audience.OWNER and owner_ids:
            return owner_ids
        if audience == Audience.NEXT_SUPERVISOR and len(supervisors) > 1:
            return supervisors[1]
        # The direct supervisors (with the owner), and for any rung whose intended people are
        # missing (no owner, no second level) the nearest supervisors rather than nobody.
        return owner_ids | (supervisors[0] if supervisors else set())


def _owner(escalation: Escalation):
    if escalation.commitment_id:
        return escalation.commitment.owner
    if escalation.concern_id:
        return escalation.concern.raised_by
    return escalation.petition_case.owning_leader  # never empty: the database requires it


def _item_url(escalation: Escalation) -> str:
    if escalation.commitment_id:
        try:
            return reverse("commitment_detail", args=[escalation.commitment_id])
        except NoReverseMatch:  # pragma: no cover - until the commitment pages exist
            pass
    if escalation.petition_case_id:
        household_id = escalation.petition_case.petitioner_household_id
    else:
        household_id = (escalation.commitment or escalation.concern).household_id
    return reverse("household_detail", args=[household_id]) if household_id else reverse("home")


def escalation_message(escalation: Escalation, *, now: datetime) -> Message:
    """What people are told about one escalation, in the site's language."""
    item = escalation.item
    with translation.override(settings.LANGUAGE_CODE):
        if escalation.petition_case_id:
            household = item.petitioner_household
            text = item.subject
        else:
            household = item.household
            text = item.text
        where = household.display_name if household else str(item.village)
        lines = [_("Where: %(where)s") % {"where": where}]
        owner = _owner(escalation)
        if owner:
            lines.append(_("Responsible: %(name)s") % {"name": owner.name})
        if escalation.commitment_id:
            commitment = escalation.commitment
            lines.append(
                _("Due: %(due)s (extended %(count)s times)")
                % {
                    "due": date_format(timezone.localtime(commitment.due_at), "Y-m-d H:i"),
                    "count": commitment.extension_count,
                }
            )
            if commitment.is_overdue(now):
                lines.append(_("Overdue by %(days)s days") % {"days": commitment.overdue_days(now)})
        elif escalation.concern_id:
            lines.append(
                _("Raised: %(at)s, still without an outcome")
                % {"at": date_format(timezone.localtime(item.raised_at), "Y-m-d H:i")}
            )
        else:
            lines.append(
                _("Reply due: %(due)s") % {"due": date_format(timezone.localtime(item.handle_due_at), "Y-m-d H:i")}
            )
        title = f"{escalation.rule.name}: {Truncator(text).chars(60)}"
        return Message(key=f"escalation:{escalation.pk}", title=title, body="\n".join(lines), url=_item_url(escalation))


def _robot_for(path: str, robots) -> RobotWebhook | None:
    """The group robot of the nearest region above the village that has one."""
    best = None
    for robot in robots:
        if path.startswith(robot.region.path) and (best is None or len(robot.region.path) > len(best.region.path)):
            best = robot
    return best


def _claim(candidates, now: datetime) -> list[int]:
    """Take rows for this sender by a guarded update each: of two senders, one gets a row."""
    claimed = []
    for pk, delivery, claimed_at in candidates:
        won = Escalation.objects.filter(pk=pk, delivery=delivery, claimed_at=claimed_at).update(
            delivery=Escalation.Delivery.SENDING, claimed_at=now, attempts=F("attempts") + 1
        )
        if won:
            claimed.append(pk)
    return claimed


def escalations_send(*, now: datetime | None = None, batch: int = SEND_BATCH) -> int:
    """Deliver one batch of escalations waiting to be sent; returns how many were claimed.

    Runs after the sweep has committed, never inside it. Each channel that succeeds is recorded
    on the row, so a retry after a failure repeats only the channels that failed; the inbox is
    idempotent anyway. A sender that dies mid-way leaves rows "being sent" that the next one
    takes over after SENDING_STALE_AFTER.
    """
    now = now or timezone.now()
    Delivery = Escalation.Delivery
    waiting = (
        Q(delivery=Delivery.PENDING)
        | Q(delivery=Delivery.FAILED, retry_at__lte=now)
        | Q(delivery=Delivery.SENDING, claimed_at__lt=now - SENDING_STALE_AFTER)
    )
    candidates = (
        Escalation.objects.filter(waiting)
        .order_by("created_at", "pk")
        .values_list("pk", "delivery", "claimed_at")[:batch]
    )
    claimed = _claim(list(candidates), now)
    if not claimed:
        return 0
    rows = Escalation.objects.filter(pk__in=claimed).select_related(
        "rule",
        "village",
        "commitment__owner__user",
        "commitment__household",
        "concern__raised_by__user",
        "concern__household",
        "concern__village",
        "petition_case__owning_leader__user",
        "petition_case__petitioner_household",
        "petition_case__village",
    )
    recipients = Recipients(timezone.localdate(now))
    robots = list(RobotWebhook.objects.filter(is_active=True).select_related("region"))
    for escalation in rows:
        _deliver(escalation, recipients=recipients, robots=robots, now=now)
    return len(claimed)


def _deliver(escalation: Escalation, *, recipients: Recipients, robots, now: datetime) -> None:
    done = set(escalation.channels_done.split())
    errors = []
    message = escalation_message(escalation, now=now)
    user_ids = recipients.for_escalation(escalation, _owner(escalation))
    robot = _robot_for(escalation.village.path, robots)
    channels = {
        "inbox": lambda: inbox_deliver(message, user_ids=user_ids),
        "email": lambda: email_deliver(message, addresses=[recipients.emails.get(u) for u in user_ids]),
    }
    # Group robots hear what goes beyond the owner, not every reminder.
    if robot and escalation.rule.audience != EscalationRule.Audience.OWNER:
        channels["robot"] = lambda: robot_deliver(message, url=robot.url)
    for name, send in channels.items():
        if name in done:
            continue
        try:
            send()
            done.add(name)
        except DeliveryError as error:
            errors.append(str(error))
    Delivery = Escalation.Delivery
    update = {"channels_done": " ".join(sorted(done))}
    if errors:
        delay = RETRY_DELAYS[min(escalation.attempts, len(RETRY_DELAYS)) - 1]
        update |= {"delivery": Delivery.FAILED, "retry_at": now + delay, "last_error": "; ".join(errors)[:2000]}
        logger.warning("escalation %s not delivered: %s", escalation.pk, update["last_error"])
    else:
        update |= {"delivery": Delivery.SENT, "sent_at": now, "retry_at": None, "last_error": ""}
    # Only the sender that holds the claim records the outcome.
    Escalation.objects.filter(pk=escalation.pk, delivery=Delivery.SENDING, claimed_at=now).update(**update)


def escalations_send_all(*, now: datetime | None = None, max_batches: int = 50) -> int:
    """Send batches until nothing is waiting (or ``max_batches``: the next run goes on)."""
    sent = 0
    for _batch in range(max_batches):
        claimed = escalations_send(now=now)
        sent += claimed
        if claimed < SEND_BATCH:
            break
    return sent


# --- The daily digest ---------------------------------------------------------------------------

DIGEST_OLDEST_SHOWN = 5


def _queue_url() -> str:
    try:
        return reverse("commitment_queue")
    except NoReverseMatch:  # pragma: no cover - until the supervisor's queue exists
        return reverse("home")


def digest_send(*, now: datetime | None = None) -> int:
    """Each supervisor's morning summary of their scope; returns how many digests were written.

    New overdue items (fell due in the last 24 hours), how many are overdue in all and the oldest
    of them, and what waits for the supervisor's decision. One per supervisor and day: a rerun
    (a retried task, a duplicated beat) finds the day's digest and sends nothing again.
    """
    now = now or timezone.now()
    today = timezone.localdate(now)
    key = f"digest:{today.isoformat()}"
    paths_by_user: dict[int, set[str]] = {}
    emails = {}
    for user_id, path, email in (
        Scope.objects.current(today)
        .filter(kind=Scope.Kind.SUPERVISION)
        .values_list("user_id", "region__path", "user__email")
    ):
        paths_by_user.setdefault(user_id, set()).add(path)
        emails[user_id] = email
    already = set(
        Notification.objects.filter(key=key, recipient_id__in=paths_by_user).values_list("recipient_id", flat=True)
    )
    written = 0
    for user_id in sorted(set(paths_by_user) - already):
        in_scope = path_q("village__path", sorted(paths_by_user[user_id]))
        open_items = Commitment.objects.filter(in_scope, status__in=Commitment.OPEN_STATES)
        overdue = open_items.filter(due_at__lt=now)
        figures = overdue.aggregate(
            total=Count("pk"),
            new=Count("pk", filter=Q(due_at__gte=now - timedelta(days=1))),
        )
        to_verify = open_items.filter(status=Commitment.Status.REPORTED_DONE).count()
        requests = CommitmentRequest.objects.filter(
            path_q("commitment__village__path", sorted(paths_by_user[user_id])),
            decision=CommitmentRequest.Decision.PENDING,
        ).count()
        oldest = list(
            overdue.select_related("owner", "household", "village").order_by("due_at", "pk")[:DIGEST_OLDEST_SHOWN]
        )
        message = _digest_message(key, today, figures, to_verify, requests, oldest, now)
        inbox_deliver(message, user_ids=[user_id])
        try:
            email_deliver(message, addresses=[emails.get(user_id)])
        except DeliveryError as error:
            # The inbox has it; mail is best effort for a digest that tomorrow's replaces.
            logger.warning("digest for user %s not mailed: %s", user_id, error)
        written += 1
    return written


def _digest_message(key, today, figures, to_verify, requests, oldest, now) -> Message:
    with translation.override(settings.LANGUAGE_CODE):
        lines = [
            _("Newly overdue since yesterday: %(count)s") % {"count": figures["new"]},
            _("Overdue in all: %(count)s") % {"count": figures["total"]},
            _("Waiting for your decision: %(requests)s requests, %(verify)s reported done to verify")
            % {"requests": requests, "verify": to_verify},
        ]
        if oldest:
            lines.append(_("Oldest overdue:"))
            for item in oldest:
                where = item.household.display_name if item.household_id else str(item.village)
                lines.append(
                    _("· %(days)s days: %(text)s (%(where)s, %(owner)s)")
                    % {
                        "days": item.overdue_days(now),
                        "text": Truncator(item.text).chars(40),
                        "where": where,
                        "owner": item.owner.name,
                    }
                )
        title = _("Daily digest for %(day)s") % {"day": date_format(today, "Y-m-d")}
        return Message(key=key, title=title, body="\n".join(lines), url=_queue_url())


# --- supervision reports ------------------------------------------------------------------------


def _draft(report: SupervisionReport) -> SupervisionReport:
    """The report, locked for the change; refused once issued, also by someone else meanwhile."""
    locked = SupervisionReport.objects.select_for_update().get(pk=report.pk)
    if locked.status != SupervisionReport.Status.DRAFT:
        raise ValidationError(_("This report has been issued and is read-only."), code="issued")
    return locked


@transaction.atomic
def report_create(
    *,
    author,
    region,
    title: str,
    period_start: date,
    period_end: date,
    summary: str = "",
    rectification_due: date | None = None,
) -> SupervisionReport:
    return SupervisionReport.objects.create(
        author=author,
        region=region,
        title=title,
        period_start=period_start,
        period_end=period_end,
        summary=summary,
        rectification_due=rectification_due,
    )


@transaction.atomic
def report_update(
    *,
    report: SupervisionReport,
    region,
    title: str,
    period_start: date,
    period_end: date,
    summary: str = "",
    rectification_due: date | None = None,
) -> SupervisionReport:
    report = _draft(report)
    if region.pk != report.region_id and report.findings.exists():
        # Its findings link to objects of the region they were written for.
        raise ValidationError({"region": _("The report has findings: remove them before changing its region.")})
    fields = {
        "region": region,
        "title": title,
        "period_start": period_start,
        "period_end": period_end,
        "summary": summary,
        "rectification_due": rectification_due,
    }
    for name, value in fields.items():
        setattr(report, name, value)
    report.save(update_fields=list(fields))
    return report


@transaction.atomic
def finding_save(
    *,
    report: SupervisionReport,
    text: str,
    finding: Finding | None = None,
    cadre=None,
    visit=None,
    commitment=None,
    petition_case=None,
) -> Finding:
    """Add a finding to a draft report, or change one of its findings."""
    _draft(report)
    finding = finding or Finding(report=report)
    finding.text, finding.cadre, finding.visit = text, cadre, visit
    finding.commitment, finding.petition_case = commitment, petition_case
    finding.save()
    return finding


@transaction.atomic
def finding_delete(*, finding: Finding) -> None:
    _draft(finding.report)
    if finding.actions.exists():
        raise ValidationError(_("An accountability action cites this finding: it cannot be removed."), code="cited")
    finding.delete()


@transaction.atomic
def report_issue(*, report: SupervisionReport, by, at: datetime | None = None) -> SupervisionReport:
    """Issue a draft; from then on it is read-only and shown to the cadres its findings name."""
    locked = _draft(report)
    if not locked.rectification_due and locked.findings.exists():
        raise ValidationError(
            {"rectification_due": _("Set a rectification deadline before issuing a report with findings.")}
        )
    locked.issue(by=by, at=at)
    return locked


# --- accountability actions and exemptions ------------------------------------------------------


def _proposed(action: AccountabilityAction) -> AccountabilityAction:
    locked = AccountabilityAction.objects.select_for_update().get(pk=action.pk)
    if locked.status != AccountabilityAction.Status.PROPOSED:
        raise ValidationError(
            _("This action is %(status)s: its grounds can no longer be changed.")
            % {"status": locked.get_status_display()},
            code="not_proposed",
        )
    return locked


@transaction.atomic
def action_open(
    *,
    by,
    region,
    form: str,
    grounds: str,
    subject_cadre=None,
    subject_unit=None,
    deciding_body: str = "",
    commitments=(),
    findings=(),
) -> AccountabilityAction:
    action = AccountabilityAction.objects.create(
        subject_cadre=subject_cadre,
        subject_unit=subject_unit,
        region=region,
        form=form,
        grounds=grounds,
        deciding_body=deciding_body,
        created_by=by,
    )
    action.commitments.set(commitments)
    action.findings.set(findings)
    return action


@transaction.atomic
def action_update(
    *,
    action: AccountabilityAction,
    region,
    form: str,
    grounds: str,
    deciding_body: str = "",
    commitments=(),
    findings=(),
) -> AccountabilityAction:
    """Change a proposed action's grounds; once decided they are what was decided on."""
    action = _proposed(action)
    action.region, action.form, action.grounds, action.deciding_body = region, form, grounds, deciding_body
    action.save(update_fields=["region", "form", "grounds", "deciding_body"])
    action.commitments.set(commitments)
    action.findings.set(findings)
    return action


@transaction.atomic
def action_move(
    *,
    action: AccountabilityAction,
    to: str,
    by,
    note: str = "",
    decided_on: date | None = None,
    deciding_body: str = "",
) -> AccountabilityAction:
    """Move an action on (proposed → decided → executed, or revoked), the decision dated."""
    if to == AccountabilityAction.Status.DECIDED:
        if deciding_body.strip():
            action.deciding_body = deciding_body.strip()
        action.decided_on = decided_on
        if not action.deciding_body:
            raise ValidationError({"deciding_body": _("Name the body that decided.")})
        # Written before the guarded status change, which refuses (and so undoes this) when the
        # action moved meanwhile.
        AccountabilityAction.objects.filter(pk=action.pk).update(
            decided_on=decided_on, deciding_body=action.deciding_body
        )
    action.transition(to, by=by, note=note)
    return action


@transaction.atomic
def action_snapshot_attach(*, action: AccountabilityAction, snapshot_id: int, by) -> bool:
    """Attach a snapshot (already checked to be in the user's scope) to an action; False when it
    was attached already."""
    if action.status == AccountabilityAction.Status.REVOKED:
        raise ValidationError(_("This action has been revoked."), code="revoked")
    _link, created = ActionSnapshot.objects.get_or_create(
        action=action, snapshot_id=snapshot_id, defaults={"attached_by": by}
    )
    return created


def _pending_exists() -> ValidationError:
    return ValidationError(_("A request for this action is already waiting for a decision."), code="pending")


def exemption_request(*, action: AccountabilityAction, by, grounds: str) -> ExemptionRequest:
    """Ask that an action be waived; one request at a time waits for a decision."""
    if action.status == AccountabilityAction.Status.REVOKED:
        raise ValidationError(_("This action has been revoked."), code="revoked")
    pending = ExemptionRequest.Decision.PENDING
    if ExemptionRequest.objects.filter(action=action, decision=pending).exists():
        raise _pending_exists()
    try:
        # The unique constraint on pending requests settles two requests sent at once.
        with transaction.atomic():
            return ExemptionRequest.objects.create(action=action, requested_by=by, grounds=grounds.strip())
    except IntegrityError:
        raise _pending_exists() from None


@transaction.atomic
def exemption_decide(*, request: ExemptionRequest, decision: str, by, note: str) -> ExemptionRequest:
    if request.requested_by_id == by.pk:
        raise ValidationError(_("You asked for this exemption: someone else decides it."), code="own")
    if not note.strip():
        raise ValidationError({"note": _("Give the reasons for the decision.")})
    request.decide(decision, by=by, note=note)
    return request


# --- circulated notices -------------------------------------------------------------------------


def notice_issue(*, by, region, number: str, title: str, issuer: str, body: str, issued_on: date, actions) -> Notice:
    try:
        with transaction.atomic():
            notice = Notice.objects.create(
                region=region, number=number, title=title, issuer=issuer, body=body, issued_on=issued_on, created_by=by
            )
            notice.actions.set(actions)
    except IntegrityError:
        # Two notices given the same number at once: the second is told, as the form tells.
        raise ValidationError({"number": _("A notice with this number exists already.")}) from None
    return notice
