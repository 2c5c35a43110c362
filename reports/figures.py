"""Figures, each defined once (DESIGN.md §4): every page, export, digest and API that shows one
takes it from here, so that two screens never disagree about what a number means.

For the overdue-case report:

- **overdue**: an open commitment whose due date has passed (``Commitment.objects.overdue(now)``);
  derived from the due date, never stored, and counted from the due date, not from when a job
  noticed it;
- **days overdue**: whole days past the (current) due date, as ``Commitment.overdue_days`` counts
  them; ``days_overdue_sql`` is the same count in SQL, for filters and exports;
- **aging bucket**: up to 7, 8–30, 31–90 and over 90 days overdue (the first day, less than one
  whole day past due, counts in the first bucket);
- **escalation level**: the highest rung of the commitment ladder an item has reached, read from
  its ``accountability.Escalation`` rows (the rung with the most days after the due date).

For the dashboard and the performance archive (``area_figures``, ``child_area_figures``,
``cadre_figures``, ``unit_figures``, ``concerns_by_category``, ``monthly_trend``). A period is a
closed range of local (Asia/Shanghai) calendar days; "in the period" means from its first day's
midnight to the midnight after its last day. Every row is scoped: only what
``visible_to(access)`` returns counts, and, for a region, only rows under its path; with no
region, "the viewer's scope" is the supervised or inspected subtrees (everything for an
administrator; a cadre without a scope sees their own rows). Each function runs a fixed number of
queries whatever the data size.

- **households**: active households (status *active* now) living in the area (their village).
- **visits**: in-person visits (every kind but the phone callback, which never counts) visited
  in the period, in the area by the visit's village.
- **visit coverage**: active households with at least one in-person visit in the period (by
  anyone) ÷ active households; households never visited count in the denominator.
- **villages covered**: villages with a contact cadre (contact point) or a posted cadre in force
  on the period's last day (today for a period still running) ÷ villages.
- **cadres covered**: active cadres (of units in the area) with a contact village, a posting or a
  pairing in force on that day ÷ active cadres.
- **never acted on**: concerns raised in the period that, at ``now``, still have no outcome and
  were raised more than N days before ``now`` ÷ concerns raised in the period. N is the concern
  rung of the escalation ladder that reaches the inspectors (30 in the seeded ladder, "只记不办"),
  else the latest active concern rung, else ``NEVER_ACTED_ON_DAYS``; calendar days.
- **on time**: commitments whose current due date (the approved one, after any extensions) falls
  in the period, confirmed (status confirmed, ``closed_at``) at or before it ÷ those due in the
  period. Cancelled commitments are left out of both; one confirmed late, or still open, counts
  in the denominator only. An extended commitment counts in the period of its new due date.
- **overdue** and **aging**: open and past due at ``now``, whatever the period (live).
- **satisfaction**: commitments' resident codes used (rated) in the period: satisfied or basically
  satisfied ÷ rated. A visit's rating is a sign of contact (see confirmation), not of satisfaction
  with what was done. Always shown next to the reopen rate.
- **reopen**: status changes into *reopened* in the period ÷ reports of done (changes into
  *reported done*) in the period, from the commitments' history; a report in one period reopened
  in the next counts each in its own period.
- **burden**: companions per in-person visit in the period (None without visits); heavy: visits
  with more than two companions ÷ visits.
- **confirmation**: resident codes used (whatever the rating) ÷ codes offered: those of the
  period's in-person visits, plus commitment codes issued in the period; a code used later still
  counts for the period it was offered in.
- **petitions** (None when the area has never had a case): cases registered in the period; on-time
  acceptance: cases whose acceptance deadline falls in the period, accepted or declined by it ÷
  those; on-time reply: cases whose handling deadline (``handle_due_at``) falls in the period,
  replied by it ÷ those; repeat rate: cases registered in the period as a repeat of an earlier one
  ÷ cases registered; satisfaction: cases replied in the period and evaluated, satisfied or
  basically satisfied ÷ evaluated.
- **cadre figures** count the cadre's own rows the viewer sees in the region of the page (the
  viewer's whole scope without one): in-person visits they made;
  coverage: active households paired with them on the period's last day (today if running)
  that they visited in person in the period ÷ those households; regularity: months with an
  in-person visit ÷ months of the period begun by ``now``; burst share: the largest month's
  in-person visits ÷ their in-person visits; on time, overdue, satisfaction and reopen as above
  for the commitments they own; pledged: pledged in the period; confirmed: confirmed in the
  period; flagged visits: visits of any kind in the period with an integrity flag (for review,
  never a penalty). The cadres of a region are the active ones whose unit, contact village or
  paired household lies in it. A unit's figures are its cadres' (of the region) summed,
  numerators and denominators apart.
- **concerns by category**: concerns raised in the period per child region and category, with
  the distinct households that raised them (village-level concerns have none), and per category
  the concerns raised in each of the twelve months ending with the period's.
- **monthly trend**: in-person visits per month, and pledges overdue at each month's end (pledged
  and due before it, not closed by it; the due date is today's, so an extension granted later
  moves a pledge out of the months it was overdue in).

Speed and freshness. Whole months, quarters and years are read from rollups (``reports.rollups``,
tables in ``reports.rollup_models``: a row per region at every level and period, and per unit
and region, so that a whole city's page reads a few rows) refreshed every ``ROLLUP_INTERVAL_SECONDS`` (10 minutes by
default) for the current and previous periods and nightly for this year and the last; the
figures carry the refresh time (``AreaFigures.as_of``, ``ConcernSummary.as_of``;
``reports.rollups.rollups_as_of``) for the page to say "as of". Read from rollups, the figures
that depend on the moment are as of the refresh too: the overdue count and its aging (from the
current month's rows), the never-acted-on numerator, and the monthly trend's overdue count of the
current month (counting a whole city's 300,000 open pledges live costs a third of a second; the
overdue report and the lists behind each number stay live). Rollups are used when they hold
exactly what the viewer sees: an administrator, or regions inside a scope over a whole region
(not one unit's); for a cadre's own rows, a unit's scope, a custom range or a period never
refreshed, the same figures are computed live from the raw rows, at ``now``.
"""

from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import (
    Case,
    CharField,
    Count,
    DateTimeField,
    Exists,
    F,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Substr
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accountability.models import Escalation, EscalationRule
from cadres.models import Cadre, ContactPoint, Pairing, Posting, Unit
from casework.calendar import start_of_day
from casework.models import (
    Category,
    Commitment,
    CommitmentTransition,
    Concern,
    PetitionCase,
    PetitionEvent,
    ResidentCode,
)
from households.access import Access, path_q
from households.models import Household, Region
from visits.models import Visit

from .rollup_models import (
    CadreRegion,
    CadreVillagePeriod,
    CategoryRegionPeriod,
    RegionPeriod,
    RollupPeriod,
    UnitRegionPeriod,
    VillagePeriod,
)

# The rollups' columns summed by the area figures.
VILLAGE_COLUMNS = [
    column for column in VillagePeriod.count_columns() if column != "overdue_at_end" and not column.startswith("aging_")
]

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

    The item's escalation rows, read from the unique (commitment, rung) index alone, highest rung
    first: the rungs' order is known here, so the database needs no join to the rungs.
    """
    output_field = CharField() if labels else IntegerField()
    if not rungs:
        return Value(None, output_field=output_field)
    rank = Case(*(When(rule_id=rung.pk, then=Value(i)) for i, rung in enumerate(rungs)), output_field=IntegerField())
    level = (
        Case(*(When(rule_id=rung.pk, then=Value(labels[rung.pk])) for rung in rungs), output_field=output_field)
        if labels
        else F("rule_id")
    )
    highest = (
        Escalation.objects.filter(commitment_id=OuterRef(commitment), rule_id__in=[rung.pk for rung in rungs])
        .order_by(rank.desc())
        .values(level=level)[:1]
    )
    return Subquery(highest, output_field=output_field)


# --- the dashboard's and the archive's figures (DESIGN.md §4) ---------------------------------


@dataclass(frozen=True)
class Period:
    """A closed range of calendar days, local time (Asia/Shanghai)."""

    kind: str  # "month" | "quarter" | "year" | "custom"
    start: date  # first day, inclusive
    end: date  # last day, inclusive

    KINDS = ("month", "quarter", "year", "custom")

    def __post_init__(self):
        if self.kind not in self.KINDS:
            raise ValueError(f"unknown period kind {self.kind!r}")
        if self.end < self.start:
            raise ValueError("a period cannot end before it starts")

    @classmethod
    def of(cls, kind: str, day: date) -> "Period":
        """The month, quarter or year containing ``day``."""
        if kind == "month":
            first_month, months = day.month, 1
        elif kind == "quarter":
            first_month, months = 3 * ((day.month - 1) // 3) + 1, 3
        elif kind == "year":
            first_month, months = 1, 12
        else:
            raise ValueError(f"{kind!r} is not a calendar period")
        start = date(day.year, first_month, 1)
        return cls(kind, start, _add_months(start, months) - DAY)

    def previous(self) -> "Period":
        """The same kind and length just before."""
        if self.kind == "custom":
            return Period("custom", self.start - (self.end - self.start) - DAY, self.start - DAY)
        return Period.of(self.kind, self.start - DAY)

    def months(self) -> list[date]:
        """The first day of each month the period touches."""
        months, month = [], self.start.replace(day=1)
        while month <= self.end:
            months.append(month)
            month = _add_months(month, 1)
        return months

    @property
    def is_calendar(self) -> bool:
        """A whole month, quarter or year (what rollups hold)."""
        return self.kind != "custom"

    def bounds(self) -> tuple[datetime, datetime]:
        """[first moment, first moment after) in aware datetimes."""
        return start_of_day(self.start), start_of_day(self.end + DAY)

    def q(self, field: str) -> Q:
        """Rows whose ``field`` (a datetime) falls in the period."""
        start, stop = self.bounds()
        return Q(**{f"{field}__gte": start, f"{field}__lt": stop})

    def rollup_q(self) -> Q:
        """Rollup rows of this (calendar) period."""
        return Q(kind=self.kind, start=self.start)

    @property
    def label(self) -> str:
        if self.kind == "month":
            return _("%(year)d-%(month)02d") % {"year": self.start.year, "month": self.start.month}
        if self.kind == "quarter":
            return _("%(year)d Q%(quarter)d") % {"year": self.start.year, "quarter": (self.start.month + 2) // 3}
        if self.kind == "year":
            return _("year %(year)d") % {"year": self.start.year}
        return _("%(start)s to %(end)s") % {"start": self.start.isoformat(), "end": self.end.isoformat()}


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


@dataclass(frozen=True)
class Ratio:
    numerator: int
    denominator: int

    @property
    def rate(self) -> float | None:
        """None when the denominator is 0 (nothing to measure, which is not 0%)."""
        return self.numerator / self.denominator if self.denominator else None

    def __add__(self, other: "Ratio") -> "Ratio":
        return Ratio(self.numerator + other.numerator, self.denominator + other.denominator)


ZERO = Ratio(0, 0)


@dataclass
class PetitionFigures:
    cases: int  # registered in the period
    accepted_on_time: Ratio  # accept deadline in period: decided (accepted or declined) by it
    replied_on_time: Ratio  # handling deadline in period: replied by it
    repeat: Ratio  # registered in period as a repeat of an earlier case / registered in period
    satisfaction: Ratio  # replied in period: (satisfied + basically satisfied) / evaluated


@dataclass
class AreaFigures:
    """A region (or the viewer's whole scope) over a period."""

    households: int
    visits: int
    visit_coverage: Ratio
    villages_covered: Ratio
    cadres_covered: Ratio
    never_acted_on: Ratio
    on_time: Ratio
    overdue: int
    aging: dict[str, int]
    satisfaction: Ratio
    reopen: Ratio
    burden_average: float | None
    burden_heavy: Ratio
    confirmation: Ratio
    petitions: PetitionFigures | None
    as_of: datetime | None = None  # when the rollups it was read from were computed; None: live


@dataclass
class CadreFigures:
    visits: int = 0
    coverage: Ratio = ZERO
    regularity: Ratio = ZERO
    burst_share: Ratio = ZERO
    on_time: Ratio = ZERO
    pledged: int = 0
    confirmed: int = 0
    overdue: int = 0
    satisfaction: Ratio = ZERO
    reopen: Ratio = ZERO
    flagged_visits: int = 0

    def __add__(self, other: "CadreFigures") -> "CadreFigures":
        """Summed numerators and denominators (a unit's figures from its cadres')."""
        return CadreFigures(*(getattr(self, name) + getattr(other, name) for name in self.__dataclass_fields__))


@dataclass
class CategoryCell:
    concerns: int = 0
    households: int = 0  # distinct households that raised them (village-level concerns have none)


@dataclass
class ConcernSummary:
    """Concerns raised in a period by child region × category, with each category's monthly trend."""

    categories: list  # Category rows with at least one concern, in their display order
    children: list  # child Regions, in path order (empty under a village)
    cells: dict  # (child region id, category id) -> CategoryCell
    totals: dict  # category id -> CategoryCell over the whole area
    months: list  # first days of the trend's months
    trend: dict  # category id -> [concerns raised in each of ``months``]
    as_of: datetime | None = None  # when the rollups it was read from were computed; None: live


@dataclass
class MonthPoint:
    month: date  # first day
    visits: int  # in-person visits in the month
    overdue: int  # pledges overdue at the month's end (at ``now`` for the current month)


# --- how rows are scoped and grouped ----------------------------------------------------------

# "Recorded but never acted on" after this many days when the ladder has no rung for concerns.
NEVER_ACTED_ON_DAYS = 30
SATISFIED = (ResidentCode.Rating.SATISFIED, ResidentCode.Rating.BASICALLY_SATISFIED)
PETITION_SATISFIED = (PetitionCase.Evaluation.SATISFIED, PetitionCase.Evaluation.BASICALLY_SATISFIED)


def never_acted_on_days() -> int:
    """N of "concerns older than N days with no outcome": the concern rung of the escalation
    ladder that reaches the inspectors (诉求30天未处理（只记不办） in the seeded ladder), else the
    latest active concern rung, else ``NEVER_ACTED_ON_DAYS``. Read as calendar days."""
    rungs = list(
        EscalationRule.objects.filter(subject=EscalationRule.Subject.CONCERN, is_active=True).values_list(
            "offset_days", "audience"
        )
    )
    to_inspectors = [days for days, audience in rungs if audience == EscalationRule.Audience.INSPECTORS]
    days = to_inspectors or [days for days, _audience in rungs]
    return max(days) if days else NEVER_ACTED_ON_DAYS


def never_acted_on_q(now: datetime) -> Q:
    """Concerns that count as never acted on at ``now`` (the rate's numerator, among the concerns
    raised in the period): no outcome yet, raised more than ``never_acted_on_days()`` days ago."""
    return Q(outcome=Concern.Outcome.NONE, raised_at__lt=now - never_acted_on_days() * DAY)


def outermost(paths) -> tuple[str, ...]:
    """``paths`` without those inside another one (nested scopes count once)."""
    paths = sorted(set(paths))
    return tuple(p for p in paths if not any(p != q and p.startswith(q) for q in paths))


def scope_roots(access: Access) -> list[Region]:
    """The regions a viewer's whole scope is made of: every city for an administrator, the
    supervised or inspected subtrees' roots, else (a cadre without a scope) their villages."""
    if access.is_admin:
        return list(Region.objects.filter(parent__isnull=True).order_by("path"))
    if access.scope_paths:
        return list(Region.objects.filter(path__in=outermost(access.scope_paths)).order_by("path"))
    return list(Region.objects.visible_to(access).villages().order_by("path"))


def child_regions(access: Access, region: Region | None) -> list[Region]:
    """The rows of a table by child region: the region's children (none under a village), or
    the scope's roots when ``region`` is None."""
    if region is None:
        return scope_roots(access)
    return list(Region.objects.visible_to(access).filter(parent=region).order_by("path"))


@dataclass(frozen=True)
class Area:
    """Which rows count, and under which key they are summed.

    ``paths``: the region subtrees counted (None: whatever ``visible_to`` lets the viewer see,
    i.e. everything for an administrator, their own rows for a cadre without a scope);
    ``children``: when set, rows are summed per child region (keyed by its path), else as one
    (keyed by ""). Every queryset handed in is already ``visible_to(access)``.
    """

    paths: tuple[str, ...] | None
    children: tuple[Region, ...] | None = None

    @classmethod
    def of(cls, access: Access, region: Region | None) -> "Area":
        if region is not None:
            return cls((region.path,))
        if access.is_admin or not access.scope_paths:
            return cls(None)
        return cls(outermost(access.scope_paths))

    @classmethod
    def split(cls, children: list[Region]) -> "Area":
        return cls(tuple(child.path for child in children), tuple(children))

    def keys(self) -> list[str]:
        return [child.path for child in self.children] if self.children is not None else [""]

    def filter(self, rows: QuerySet, lookup: str) -> QuerySet:
        rows = rows.order_by()
        return rows if self.paths is None else rows.filter(path_q(lookup, self.paths))

    def key(self, lookup: str):
        """The child path of a row, from its region path at ``lookup``."""
        lengths = {len(child.path) for child in self.children}
        if len(lengths) == 1:
            # Sibling codes have one length (statistical division codes): a prefix is the key.
            return Substr(lookup, 1, lengths.pop())
        return Case(
            *(When(**{f"{lookup}__startswith": child.path}, then=Value(child.path)) for child in self.children),
            output_field=CharField(),
        )

    def tally(self, rows: QuerySet, lookup: str, **aggregates) -> dict[str, dict]:
        """``aggregates`` over ``rows`` in the area, per key (absent keys had no rows)."""
        rows = self.filter(rows, lookup)
        # Prefixed, so that a figure may be named like a field of the model it is counted on.
        aggregates = {f"s_{name}": aggregate for name, aggregate in aggregates.items()}
        if self.children is None:
            return {"": _unprefixed(rows.aggregate(**aggregates))}
        if not self.children:
            return {}
        grouped = rows.annotate(_key=self.key(lookup)).values("_key").annotate(**aggregates)
        return {row.pop("_key"): _unprefixed(row) for row in grouped}


def _unprefixed(row: dict) -> dict:
    return {name[2:]: value for name, value in row.items()}


def merged(*tallies: dict) -> dict[str, dict]:
    """Tallies of several sources, one dict of figures per key."""
    rows: dict[str, dict] = {}
    for tally in tallies:
        for key, row in tally.items():
            rows.setdefault(key, {}).update(row)
    return rows


def count_where(q=None, **lookups) -> Count:
    """Rows matching ``q`` and ``lookups``."""
    condition = Q(**lookups) if q is None else q & Q(**lookups)
    return Count("pk", filter=condition)


def _get(tally: dict, key, name: str):
    return (tally.get(key) or {}).get(name) or 0


def _ratio(tally: dict, key, numerator: str, denominator: str) -> Ratio:
    return Ratio(_get(tally, key, numerator), _get(tally, key, denominator))


# --- area figures -----------------------------------------------------------------------------


def area_figures(access: Access, region: Region | None, period: Period, *, now: datetime) -> AreaFigures:
    """The figures of ``region`` (None: the viewer's whole scope) over ``period``."""
    return _area_figures(access, Area.of(access, region), period, now=now)[""]


def child_area_figures(
    access: Access, region: Region | None, period: Period, *, now: datetime
) -> list[tuple[Region, AreaFigures]]:
    """The figures of each child region of ``region`` (None: of each root of the viewer's scope)."""
    return _child_area_figures(access, child_regions(access, region), period, now=now)


def _child_area_figures(
    access: Access, children: list[Region], period: Period, *, now: datetime, read: "RolledUp | None" = None
) -> list[tuple[Region, AreaFigures]]:
    figures = _area_figures(access, Area.split(children), period, now=now, read=read)
    return [(child, figures[child.path]) for child in children]


def rollups_cover(access: Access, area: Area) -> bool:
    """Whether rollups (whole villages) hold exactly the rows the viewer sees in ``area``: for an
    administrator, and for regions inside a scope over a whole region (not one unit's)."""
    if access.is_admin:
        return True
    if area.paths is None:
        return False
    whole = [path for path, unit_id in access.supervision + access.inspection if unit_id is None]
    return all(any(path.startswith(scope) for scope in whole) for path in area.paths)


def rolled_up_as_of(periods) -> datetime | None:
    """When the rollups of all ``periods`` were computed (the oldest of them), None unless they
    all exist (then the figures are computed live)."""
    periods = {(period.kind, period.start) for period in periods}
    if not periods or any(kind == "custom" for kind, _start in periods):
        return None
    known = _refreshes.get()
    if known is not None:
        stamps = [known[period] for period in periods if period in known]
    else:
        q = Q(pk__in=[])
        for kind, start in periods:
            q |= Q(kind=kind, start=start)
        stamps = list(RollupPeriod.objects.filter(q).values_list("refreshed_at", flat=True))
    return min(stamps) if len(stamps) == len(periods) else None


# When each period was rolled up, read once for a page of many figures (``refreshes_read_once``).
_refreshes: ContextVar[dict | None] = ContextVar("rollup_refreshes", default=None)


@contextmanager
def refreshes_read_once():
    """Inside: the figures ask when their periods were rolled up without a query each (a page
    of a dozen figures reads the few dozen periods' times once)."""
    token = _refreshes.set({(kind, start): at for kind, start, at in RollupPeriod.objects.values_list("kind", "start", "refreshed_at")})
    try:
        yield
    finally:
        _refreshes.reset(token)


def _area_rollups(access: Access, area: Area, period: Period, now: datetime) -> tuple[list["Period"], datetime | None]:
    """The periods whose rollups the figures of ``area`` over ``period`` read (the overdue count
    and aging come from the current month's rows), and when those were computed; ([], None) when
    the figures are computed live."""
    if not period.is_calendar or not rollups_cover(access, area):
        return [], None
    return _all_rolled_up([period, Period.of("month", timezone.localdate(now))])


def _all_rolled_up(periods: list["Period"]) -> tuple[list["Period"], datetime | None]:
    """``periods`` and when their rollups were computed (the oldest), if they all were; else
    ([], None)."""
    as_of = rolled_up_as_of(periods)
    return (periods, as_of) if as_of else ([], None)


def _area_figures(
    access: Access, area: Area, period: Period, *, now: datetime, read: "RolledUp | None" = None
) -> dict[str, AreaFigures]:
    """The figures of ``area`` (per child when split); ``read``: rollup rows already read for
    this and other figures of a page (``dashboard_figures``), holding those of ``area``."""
    periods, as_of = _area_rollups(access, area, period, now)
    if as_of:
        counts = (read or RolledUp.read(area, periods)).area_counts(area, *periods)
    else:
        counts = _area_counts_live(access, area, period, now=now)
    return {key: _area_from_counts(counts.get(key, {}), as_of) for key in area.keys()}


def aging_column(bucket: AgingBucket) -> str:
    return "aging_" + bucket.code.replace("-", "_").replace("+", "_plus")


def aging_measures(moment: datetime) -> dict:
    """Over commitments: those overdue at ``moment`` in each aging bucket."""
    overdue = overdue_at_q(moment)
    return {aging_column(bucket): count_where(overdue & bucket.q(moment)) for bucket in AGING_BUCKETS}


def _overdue_now(access: Access, area: Area, now: datetime) -> dict:
    """The overdue count and its aging at ``now``, live: open pledges by due date (counting the
    due dates, not the ids, so that the partial index of open pledges by village and due date
    answers alone)."""
    rows = Commitment.objects.visible_to(access).filter(status__in=Commitment.OPEN_STATES, due_at__lt=now)
    return area.tally(
        rows,
        "village__path",
        overdue=Count("due_at"),
        **{aging_column(bucket): Count("due_at", filter=bucket.q(now)) for bucket in AGING_BUCKETS},
    )


def _area_counts_live(access: Access, area: Area, period: Period, *, now: datetime) -> dict[str, dict]:
    on = min(period.end, timezone.localdate(now))
    in_person_visit = Visit.objects.in_person().filter(period.q("visited_at"))
    commitment_rows = Commitment.objects.visible_to(access)
    return merged(
        area.tally(
            Household.objects.visible_to(access).active(),
            "village__path",
            households=Count("pk"),
            visited_households=count_where(Exists(in_person_visit.filter(household_id=OuterRef("pk")))),
        ),
        area.tally(
            Region.objects.visible_to(access).villages(),
            "path",
            villages=Count("pk"),
            assigned=count_where(village_assigned(on)),
        ),
        area.tally(
            Cadre.objects.visible_to(access).filter(is_active=True),
            "unit__region__path",
            cadres=Count("pk"),
            cadres_covered=count_where(has_assignment(on)),
        ),
        area.tally(
            Visit.objects.visible_to(access).in_person().filter(period.q("visited_at")), "village__path", **VISIT_MEASURES
        ),
        area.tally(
            Concern.objects.visible_to(access).filter(period.q("raised_at")),
            "village__path",
            concerns=Count("pk"),
            idle=count_where(never_acted_on_q(now)),
        ),
        area.tally(commitment_rows.filter(due_q(period)), "village__path", **due_measures(period)),
        _overdue_now(access, area, now),
        area.tally(
            CommitmentTransition.objects.filter(commitment__in=commitment_rows).filter(period.q("at")),
            "commitment__village__path",
            **TRANSITION_MEASURES,
        ),
        area.tally(
            ResidentCode.objects.filter(commitment__in=commitment_rows).filter(code_q(period)),
            "commitment__village__path",
            **code_measures(period),
        ),
        area.tally(PetitionCase.objects.visible_to(access), "village__path", **petition_measures(period)),
    )


def of_periods(*periods: "Period") -> Q:
    """Rollup rows of any of ``periods``, said so that an index by region, kind and start reads
    only those periods' rows (an OR alone reads every period's rows of the region, then filters)."""
    starts: dict[str, set] = {}
    for period in periods:
        starts.setdefault(period.kind, set()).add(period.start)
    bounds = Q(kind__in=set(starts), start__in={start for kind_starts in starts.values() for start in kind_starts})
    return bounds & Q(*(Q(kind=kind, start__in=kind_starts) for kind, kind_starts in starts.items()), _connector=Q.OR)


# The columns of the period's region rows an area's figures sum, and the current month's they
# take whatever the period: the overdue count and its aging at the refresh (a whole city's open
# pledges cost a third of a second to count).
PERIOD_COLUMNS = [*VILLAGE_COLUMNS, "cadres", "cadres_covered"]
AT_MONTH = {"overdue": "overdue_at_end", **{aging_column(bucket): aging_column(bucket) for bucket in AGING_BUCKETS}}
ROLLED_UP_COLUMNS = [*PERIOD_COLUMNS, *AT_MONTH.values()]


@dataclass
class RolledUp:
    """The region rollup rows of an area read once, for its figures over several periods and
    its child regions': each region's own row (``RegionPeriod``, kept at every level) by (path,
    kind, start)."""

    regions: dict

    @classmethod
    def read(
        cls, area: Area, periods: list["Period"], *, children: list[Region] = (), child_periods: list["Period"] | None = None
    ) -> "RolledUp":
        """The rows of ``area`` over ``periods`` (a split area's: its children's), and of each
        of ``children`` over ``child_periods`` (by default the same)."""
        if area.paths is None:  # an administrator's whole scope: the roots (the children, if any)
            where = Q(region__parent__isnull=True) & of_periods(*periods)
        else:
            where = Q(region__path__in=area.paths) & of_periods(*periods)
            child_periods = periods if child_periods is None else child_periods
            if children and child_periods:
                where |= Q(region__path__in=[child.path for child in children]) & of_periods(*child_periods)
        rows = RegionPeriod.objects.order_by().filter(where)
        return cls(
            {
                (path, kind, start): dict(zip(ROLLED_UP_COLUMNS, values, strict=True))
                for path, kind, start, *values in rows.values_list("region__path", "kind", "start", *ROLLED_UP_COLUMNS)
            }
        )

    def area_counts(self, area: Area, period: "Period", this_month: "Period") -> dict[str, dict]:
        """The counts of ``area`` (per child path when split) over ``period``, summed from its
        regions' own rows: a few rows a region, where forty filtered sums cost more to build as
        SQL than to add up."""
        counts = {}
        for key in area.keys():
            # With no paths (an administrator's whole scope), the rows read are the roots'.
            paths = [key] if key else area.paths
            summed = counts[key] = {}
            for (path, kind, start), row in self.regions.items():
                if paths is not None and path not in paths:
                    continue
                if (kind, start) == (period.kind, period.start):
                    for name in PERIOD_COLUMNS:
                        summed[name] = summed.get(name, 0) + row[name]
                if (kind, start) == (this_month.kind, this_month.start):
                    for name, column in AT_MONTH.items():
                        summed[name] = summed.get(name, 0) + row[column]
        return counts

    def trend(self, area: Area, firsts: list[date]) -> list[MonthPoint]:
        """In-person visits and pledges overdue at the end of each month of ``firsts``."""
        points = {first: MonthPoint(first, 0, 0) for first in firsts}
        for (path, kind, start), row in self.regions.items():
            if kind == "month" and start in points and (area.paths is None or path in area.paths):
                points[start].visits += row["visits"]
                points[start].overdue += row["overdue_at_end"]
        return list(points.values())


def _area_from_counts(n: dict, as_of: datetime | None) -> AreaFigures:
    def get(name):
        return n.get(name) or 0

    def ratio(numerator, denominator):
        return Ratio(get(numerator), get(denominator))

    visits = get("visits")
    return AreaFigures(
        households=get("households"),
        visits=visits,
        visit_coverage=ratio("visited_households", "households"),
        villages_covered=ratio("assigned", "villages"),
        cadres_covered=ratio("cadres_covered", "cadres"),
        never_acted_on=ratio("idle", "concerns"),
        on_time=ratio("on_time", "due"),
        overdue=get("overdue"),
        aging={bucket.code: get(aging_column(bucket)) for bucket in AGING_BUCKETS},
        satisfaction=ratio("satisfied", "evaluated"),
        reopen=ratio("reopened", "reported"),
        burden_average=get("companions") / visits if visits else None,
        burden_heavy=ratio("heavy_visits", "visits"),
        confirmation=ratio("visit_codes_confirmed", "visit_codes_offered") + ratio("codes_confirmed", "codes_offered"),
        petitions=_petition_figures(n) if get("petitions_all") else None,
        as_of=as_of,
    )


# --- what is counted, shared by the live figures and the rollups ------------------------------

VISIT_MEASURES = {  # over in-person visits
    "visits": Count("pk"),
    "companions": Sum("companions"),
    "heavy_visits": count_where(companions__gt=2),
    "visit_codes_offered": count_where(resident_code__isnull=False),
    "visit_codes_confirmed": count_where(resident_code__used_at__isnull=False),
}
TRANSITION_MEASURES = {  # over commitments' status changes
    "reported": count_where(to_status=Commitment.Status.REPORTED_DONE),
    "reopened": count_where(to_status=Commitment.Status.REOPENED),
}


def due_q(period: Period) -> Q:
    return period.q("due_at")


def due_measures(period: Period) -> dict:
    """Over commitments: due in the period (not cancelled), and of those confirmed by the due date."""
    due = due_q(period)
    return {
        "due": count_where(due & ~Q(status=Commitment.Status.CANCELLED)),
        "on_time": count_where(due, status=Commitment.Status.CONFIRMED, closed_at__lte=F("due_at")),
    }


def code_q(period: Period) -> Q:
    """Commitment codes offered or used in the period."""
    return period.q("created_at") | period.q("used_at")


def code_measures(period: Period) -> dict:
    """Over commitments' resident codes: offered and confirmed, rated and satisfied."""
    offered, used = period.q("created_at"), period.q("used_at")
    return {
        "codes_offered": count_where(offered),
        "codes_confirmed": count_where(offered, used_at__isnull=False),
        "evaluated": count_where(used),
        "satisfied": count_where(used, rating__in=SATISFIED),
    }


IN_PERSON = ~Q(kind=Visit.Kind.PHONE_CALLBACK)
ANY_FLAG = Q(flag_proxy=True) | Q(flag_backdated=True) | Q(flag_far=True) | Q(flag_burst=True) | Q(flag_copied=True)


def village_assigned(on: date) -> Q:
    """A village (region row) with a contact point or a posting in force on ``on``."""
    return Q(
        Exists(ContactPoint.objects.current(on).filter(village_id=OuterRef("pk")))
        | Exists(Posting.objects.current(on).filter(village_id=OuterRef("pk")))
    )


def has_assignment(on: date) -> Q:
    """A cadre with a contact village, a posting or a pairing in force on ``on``."""
    return Q(
        Exists(ContactPoint.objects.current(on).filter(cadre_id=OuterRef("pk")))
        | Exists(Posting.objects.current(on).filter(cadre_id=OuterRef("pk")))
        | Exists(Pairing.objects.current(on).filter(cadre_id=OuterRef("pk")))
    )


def petition_measures(period: Period) -> dict:
    """The petition figures' counts over petition cases (see the module docstring)."""
    start, stop = period.bounds()
    declined_by_deadline = Exists(
        PetitionEvent.objects.filter(
            case_id=OuterRef("pk"), to_status=PetitionCase.Status.DECLINED, at__lte=OuterRef("accept_due_at")
        )
    )
    registered = Q(registered_at__gte=start, registered_at__lt=stop)
    accept_due = Q(accept_due_at__gte=start, accept_due_at__lt=stop)
    reply_due = Q(handle_due_at__gte=start, handle_due_at__lt=stop)
    replied = Q(replied_at__gte=start, replied_at__lt=stop) & ~Q(evaluation="")
    return {
        "petitions_all": Count("pk"),
        "petitions": count_where(registered),
        "petitions_repeated": count_where(registered, repeat_of__isnull=False),
        "accept_due": count_where(accept_due),
        "accepted_on_time": count_where(accept_due & (Q(accepted_at__lte=F("accept_due_at")) | declined_by_deadline)),
        "reply_due": count_where(reply_due),
        "replied_on_time": count_where(reply_due, replied_at__lte=F("handle_due_at")),
        "petitions_evaluated": count_where(replied),
        "petitions_satisfied": count_where(replied, evaluation__in=PETITION_SATISFIED),
    }


def pairing_measures(period: Period) -> dict:
    """Over pairings: the households paired, and those their cadre visited in person in ``period``."""
    visited = Visit.objects.in_person().filter(
        period.q("visited_at"), cadre_id=OuterRef("cadre_id"), household_id=OuterRef("household_id")
    )
    return {
        "paired": Count("household_id", distinct=True),
        "paired_visited": Count("household_id", distinct=True, filter=Exists(visited)),
    }


def _petition_figures(n: dict) -> PetitionFigures:
    def ratio(numerator, denominator):
        return Ratio(n.get(numerator) or 0, n.get(denominator) or 0)

    return PetitionFigures(
        cases=n.get("petitions") or 0,
        accepted_on_time=ratio("accepted_on_time", "accept_due"),
        replied_on_time=ratio("replied_on_time", "reply_due"),
        repeat=ratio("petitions_repeated", "petitions"),
        satisfaction=ratio("petitions_satisfied", "petitions_evaluated"),
    )


# --- cadres and units -------------------------------------------------------------------------


def cadres_in(access: Access, *, region: Region | None = None, unit=None, cadres=None) -> QuerySet:
    """Cadres the viewer sees: of ``unit``; the given ``cadres`` (active or not: an archive shows
    a cadre who has left too); those whose unit belongs to ``region`` (None: the viewer's scope)
    or who have a contact village or pairing in it. Without ``cadres``, the active ones.

    Inside a scope over whole regions, once the rollups have been refreshed, a region's active
    cadres are read from ``CadreRegion`` (as of the refresh, like the table by unit that links
    to them): a city's 70,000 take a few milliseconds there, a second and a half through the
    pairings."""
    chosen = None if cadres is None else [getattr(cadre, "pk", cadre) for cadre in cadres]
    rows = Cadre.objects.filter(is_active=True) if chosen is None else Cadre.objects.filter(pk__in=chosen)
    paths = Area.of(access, region).paths
    whole = paths is not None and rollups_cover(access, Area(paths))
    if not whole:
        rows = rows.filter(pk__in=Cadre.objects.visible_to(access).order_by().values("pk"))
    if paths is not None:
        if whole and chosen is None and CadreRegion.objects.exists():
            links = CadreRegion.objects.filter(region__path__in=paths)
            rows = rows.filter(pk__in=(links if unit is None else links.filter(unit=unit)).values("cadre_id"))
        else:
            # One set of ids (a UNION) rather than three ORed subqueries: 10 ms instead of 40 for
            # a township of a city of 70,000 cadres. Inside a scope over a whole region that is
            # all visible_to allows.
            ids = [_cadres_under(path, chosen) for path in paths]
            rows = rows.filter(pk__in=ids[0].union(*ids[1:]))
    if unit is not None:
        rows = rows.filter(unit=unit)
    return rows


def _cadres_under(path: str, chosen: list[int] | None = None) -> QuerySet:
    """Ids of the cadres (of ``chosen``, if given) whose unit, contact village or paired
    household lies under ``path`` (``reports.rollups`` keeps the same as ``CadreRegion``)."""
    cadre, other = ({}, {}) if chosen is None else ({"pk__in": chosen}, {"cadre_id__in": chosen})
    return (
        Cadre.objects.filter(unit__region__path__startswith=path, **cadre)
        .order_by()
        .values("pk")
        .union(
            ContactPoint.objects.current().filter(village__path__startswith=path, **other).order_by().values("cadre_id"),
            Pairing.objects.current()
            .filter(household__village__path__startswith=path, **other)
            .order_by()
            .values("cadre_id"),
        )
    )


def cadre_figures(
    access: Access, period: Period, *, now: datetime, region: Region | None = None, unit=None, cadres=None
) -> list[tuple[Cadre, CadreFigures]]:
    """Each chosen cadre's figures over ``period``, counting only their rows in ``region`` (None:
    the viewer's scope) that the viewer sees, in unit then name order."""
    chosen = cadres_in(access, region=region, unit=unit, cadres=cadres)
    people = list(chosen.select_related("unit__region__parent").order_by("unit__name", "name", "pk"))
    # Their ids, not the query again: choosing them costs more than counting their rows.
    area = Area.of(access, region)
    figures = _cadre_figures(access, area, [cadre.pk for cadre in people], period, now=now)
    idle = _cadre_from_counts({}, {}, months_begun(period, now))
    return [(cadre, figures.get(cadre.pk, idle)) for cadre in people]


def unit_figures(
    access: Access, period: Period, *, now: datetime, region: Region | None = None
) -> list[tuple[Unit, CadreFigures]]:
    """The figures of each unit with a chosen cadre (``cadres_in``), summed over those cadres
    (ratios sum their numerators and denominators), in name order."""
    area, begun = Area.of(access, region), months_begun(period, now)
    path = _unit_rollups_path(access, area, period, begun, now)
    if path:
        return _units_from_counts(_unit_counts_rolled_up(path, period, now), begun)
    totals: dict = {}
    units = {}
    for cadre, figures in cadre_figures(access, period, now=now, region=region):
        units[cadre.unit_id] = cadre.unit
        totals[cadre.unit_id] = totals.get(cadre.unit_id, CadreFigures()) + figures
    return [(units[pk], totals[pk]) for pk in sorted(totals, key=lambda pk: (units[pk].name, pk))]


@dataclass
class UnitSummary:
    count: int  # units with a chosen cadre
    total: CadreFigures | None  # their figures summed (None: no unit)
    units: list[tuple[Unit, CadreFigures]] | None  # each one's (``unit_figures``), unless too many


def unit_summary(access: Access, period: Period, *, now: datetime, region: Region | None = None, at_most: int) -> UnitSummary:
    """How many units ``unit_figures`` lists and their figures summed, with each unit's when
    there are at most ``at_most`` (a city has hundreds: a page of their own, not a dashboard's)."""
    area, begun = Area.of(access, region), months_begun(period, now)
    path = _unit_rollups_path(access, area, period, begun, now)
    if path:
        counts = _unit_counts_rolled_up(path, period, now)
        if len(counts) > at_most:
            summed: dict = {}
            for n in counts.values():
                for name, value in n.items():
                    summed[name] = summed.get(name, 0) + (value or 0)
            return UnitSummary(len(counts), _unit_from_counts(summed, begun), None)
        units = _units_from_counts(counts, begun)
    else:
        units = unit_figures(access, period, now=now, region=region)
    total = sum((figures for _unit, figures in units), CadreFigures()) if units else None
    return UnitSummary(len(units), total, units if len(units) <= at_most else None)


def _unit_rollups_path(access: Access, area: Area, period: Period, begun: list[date], now: datetime) -> str | None:
    """The path of the one region whose unit rollups hold the area's unit figures; None to
    compute them from the cadres' (live, or several regions: a scope of two townships shares
    cadres, whose busiest month is one, not one in each)."""
    if not (_cadre_rollups_as_of(access, area, period, begun, now) and rollups_cover(access, area)):
        return None
    paths = area.paths or tuple(Region.objects.filter(parent__isnull=True).values_list("path", flat=True))
    return paths[0] if len(paths) == 1 else None


def _unit_counts_rolled_up(path: str, period: Period, now: datetime) -> dict[int, dict]:
    """The counts of each unit with cadres in the region at ``path`` over ``period``, with its
    overdue count from the current month's row: a unit's two rows, taken as they are here (a
    dozen and a half filtered sums cost more to build as SQL than to pick from two rows)."""
    this_month = Period.of("month", timezone.localdate(now))
    columns = ["cadres", *_cadre_columns(), "active_months", "top_months"]
    rows = (
        UnitRegionPeriod.objects.filter(of_periods(period, this_month), region__path=path)
        .order_by()
        .values_list("unit_id", "kind", "start", "overdue_at_end", *columns)
    )
    counts: dict[int, dict] = {}
    for unit_id, kind, start, overdue, *values in rows:
        n = counts.setdefault(unit_id, {"overdue": 0})
        if (kind, start) == (period.kind, period.start):  # one row a unit and period
            n.update(zip(columns, values, strict=True))
        if (kind, start) == (this_month.kind, this_month.start):
            n["overdue"] = overdue
    return {unit_id: n for unit_id, n in counts.items() if n.get("cadres")}


def _unit_from_counts(n: dict, begun: list[date]) -> CadreFigures:
    unit = _cadre_from_counts(n, {}, begun)
    unit.regularity = Ratio(n["active_months"] or 0, n["cadres"] * len(begun))
    unit.burst_share = Ratio(n["top_months"] or 0, unit.visits)
    return unit


def _units_from_counts(counts: dict[int, dict], begun: list[date]) -> list[tuple[Unit, CadreFigures]]:
    units = Unit.objects.select_related("region__parent").order_by().in_bulk(list(counts))  # sorted here, by name
    return [(units[pk], _unit_from_counts(counts[pk], begun)) for pk in sorted(counts, key=lambda pk: (units[pk].name, pk))]


def _cadre_columns() -> list[str]:
    return [column for column in CadreVillagePeriod.count_columns() if column != "overdue_at_end"]


def month_qs(period: Period, field: str) -> list[Q]:
    """Rows in each month of ``period`` (clipped to the period)."""
    return [
        Period("custom", max(month, period.start), min(_add_months(month, 1) - DAY, period.end)).q(field)
        for month in period.months()
    ]


def months_begun(period: Period, now: datetime) -> list[date]:
    """The months of ``period`` that have begun by ``now`` (a period still running counts up to
    the current month; one not yet begun, its first)."""
    this_month = timezone.localdate(now).replace(day=1)
    return [month for month in period.months() if month <= this_month] or period.months()[:1]


def confirmed_q(period: Period) -> Q:
    """Commitments confirmed (closed as confirmed) in the period."""
    return Q(status=Commitment.Status.CONFIRMED) & period.q("closed_at")


def overdue_at_q(moment: datetime) -> Q:
    """Commitments overdue at ``moment``: pledged and due before it, not closed by it."""
    return Q(pledged_at__lte=moment, due_at__lt=moment) & (Q(closed_at__isnull=True) | Q(closed_at__gt=moment))


def _by(rows, key: str) -> dict:
    return {row.pop(key): row for row in rows}


def _cadre_rollups_as_of(access: Access, area: Area, period: Period, elapsed: list[date], now: datetime):
    """When the rollups a cadre or unit table reads were computed: the period's, its months' (for
    regularity) and the current month's (for the overdue count); None to compute live."""
    if not period.is_calendar or not (access.is_admin or area.paths is not None):
        return None
    months = {*elapsed, timezone.localdate(now).replace(day=1)}
    return rolled_up_as_of([period, *(Period.of("month", month) for month in months)])


def _cadre_figures(access: Access, area: Area, chosen: list[int], period: Period, *, now: datetime) -> dict[int, CadreFigures]:
    elapsed = months_begun(period, now)
    if _cadre_rollups_as_of(access, area, period, elapsed, now):
        counts, monthly = _cadre_counts_rolled_up(area, chosen, period, elapsed)
        overdue = area.filter(
            CadreVillagePeriod.objects.filter(kind="month", start=timezone.localdate(now).replace(day=1), cadre__in=chosen),
            "village__path",
        ).values(owner_id=F("cadre_id")).annotate(overdue=Sum("overdue_at_end"))
    else:
        counts, monthly = _cadre_counts_live(access, area, chosen, period, now=now)
        overdue = area.filter(
            Commitment.objects.visible_to(access).filter(owner__in=chosen, status__in=Commitment.OPEN_STATES, due_at__lt=now),
            "village__path",
        ).values("owner_id").annotate(overdue=Count("pk"))
    for row in overdue:
        counts.setdefault(row["owner_id"], {})["overdue"] = row["overdue"]
    return {pk: _cadre_from_counts(n, monthly.get(pk, {}), elapsed) for pk, n in counts.items()}


def _cadre_counts_live(access: Access, area: Area, chosen: list[int], period: Period, *, now: datetime):
    months = period.months()
    visits = _by(
        area.filter(Visit.objects.visible_to(access).filter(cadre__in=chosen).filter(period.q("visited_at")), "village__path")
        .values("cadre_id")
        .annotate(
            visits=count_where(IN_PERSON),
            flagged=count_where(ANY_FLAG),
            **{f"m{i}": count_where(IN_PERSON & q) for i, q in enumerate(month_qs(period, "visited_at"))},
        ),
        "cadre_id",
    )
    monthly = {
        pk: {month: row.pop(f"m{i}") for i, month in enumerate(months)} for pk, row in visits.items()
    }
    pairings = _by(
        area.filter(
            Pairing.objects.current(min(period.end, timezone.localdate(now))).filter(
                cadre__in=chosen, household__in=Household.objects.visible_to(access).active()
            ),
            "household__village__path",
        )
        .values("cadre_id")
        .annotate(**pairing_measures(period)),
        "cadre_id",
    )
    commitment_rows = area.filter(Commitment.objects.visible_to(access).filter(owner__in=chosen), "village__path")
    pledged, confirmed = period.q("pledged_at"), confirmed_q(period)
    commitments = _by(
        commitment_rows.filter(due_q(period) | pledged | confirmed)
        .values("owner_id")
        .annotate(**due_measures(period), pledged=count_where(pledged), confirmed=count_where(confirmed)),
        "owner_id",
    )
    transitions = _by(
        CommitmentTransition.objects.filter(commitment__in=commitment_rows)
        .filter(period.q("at"))
        .order_by()
        .values(owner=F("commitment__owner_id"))
        .annotate(**TRANSITION_MEASURES),
        "owner",
    )
    measures = code_measures(period)
    codes = _by(
        ResidentCode.objects.filter(commitment__in=commitment_rows)
        .filter(period.q("used_at"))
        .order_by()
        .values(owner=F("commitment__owner_id"))
        .annotate(evaluated=measures["evaluated"], satisfied=measures["satisfied"]),
        "owner",
    )
    return merged(visits, pairings, commitments, transitions, codes), monthly


def _cadre_counts_rolled_up(area: Area, chosen: list[int], period: Period, elapsed: list[date]):
    columns = _cadre_columns()
    rows = area.filter(CadreVillagePeriod.objects.filter(cadre__in=chosen), "village__path")
    counts = _by(
        rows.filter(kind=period.kind, start=period.start)
        .values("cadre_id")
        .annotate(**{f"s_{name}": Sum(name) for name in columns}),
        "cadre_id",
    )
    counts = {pk: _unprefixed(row) for pk, row in counts.items()}
    monthly: dict = {}
    for row in (
        rows.filter(kind="month", start__in=elapsed).values("cadre_id", "start").annotate(s_visits=Sum("visits"))
    ):
        monthly.setdefault(row["cadre_id"], {})[row["start"]] = row["s_visits"]
    return counts, monthly


def _cadre_from_counts(n: dict, monthly: dict, elapsed: list[date]) -> CadreFigures:
    def get(name):
        return n.get(name) or 0

    def ratio(numerator, denominator):
        return Ratio(get(numerator), get(denominator))

    return CadreFigures(
        visits=get("visits"),
        coverage=ratio("paired_visited", "paired"),
        regularity=Ratio(sum(1 for month in elapsed if monthly.get(month)), len(elapsed)),
        burst_share=Ratio(max(monthly.values(), default=0), get("visits")),
        on_time=ratio("on_time", "due"),
        pledged=get("pledged"),
        confirmed=get("confirmed"),
        overdue=get("overdue"),
        satisfaction=ratio("satisfied", "evaluated"),
        reopen=ratio("reopened", "reported"),
        flagged_visits=get("flagged"),
    )


# --- concerns by category, monthly trend ------------------------------------------------------


def _trend_months(last: date, months: int) -> list[date]:
    last = last.replace(day=1)
    return [_add_months(last, i - months + 1) for i in range(months)]


def concerns_by_category(
    access: Access,
    region: Region | None,
    period: Period,
    *,
    months: int = 12,
    now: datetime | None = None,
    children: list[Region] | None = None,
) -> ConcernSummary:
    """Concerns raised in ``period`` in ``region`` (None: the viewer's scope) by child region and
    category, with distinct households; and each category's concerns per month over the
    ``months`` months ending with the period's last month (those after ``now``'s have none).
    ``children``: ``child_regions(access, region)`` when the caller has them already."""
    children = child_regions(access, region) if children is None else children
    area = Area.of(access, region)
    trend_months = _trend_months(period.end, months)
    this_month = timezone.localdate(now or timezone.now()).replace(day=1)
    as_of = None
    if period.is_calendar and rollups_cover(access, area):
        begun = [Period.of("month", month) for month in trend_months if month <= this_month]
        as_of = rolled_up_as_of([period, *begun])
    if as_of:
        # With no region, the children are the scope's roots: the area is their sum.
        roots = [region.pk] if region is not None else [child.pk for child in children]
        cells, totals, trend = _concerns_rolled_up(children, roots, period, trend_months)
    else:
        cells, totals, trend = _concerns_live(access, area, children, period, trend_months)
    categories = list(Category.objects.filter(pk__in=set(totals) | set(trend)).order_by("sort_order", "name"))
    return ConcernSummary(categories, children, cells, totals, trend_months, trend, as_of)


def _concerns_rolled_up(children: list[Region], roots: list[int], period: Period, trend_months: list[date]):
    """From the category rows of the children (the table's cells) and of the roots (the area's
    totals and trend), read in one query."""
    child_ids, root_ids = {child.pk for child in children}, set(roots)
    rows = CategoryRegionPeriod.objects.order_by().filter(
        Q(kind=period.kind, start=period.start, region_id__in=child_ids | root_ids)
        | Q(kind="month", start__in=trend_months, region_id__in=root_ids)
    )
    cells, totals, trend = {}, {}, {}
    for region_id, category_id, kind, start, concerns, households in rows.values_list(
        "region_id", "category_id", "kind", "start", "concerns", "households"
    ):
        if (kind, start) == (period.kind, period.start):
            if region_id in child_ids:
                cells[region_id, category_id] = CategoryCell(concerns, households)
            if region_id in root_ids:
                total = totals.setdefault(category_id, CategoryCell())
                total.concerns += concerns
                total.households += households
        if kind == "month" and start in trend_months and region_id in root_ids:
            trend.setdefault(category_id, [0] * len(trend_months))[trend_months.index(start)] += concerns
    return cells, totals, trend


def _concerns_live(access: Access, area: Area, children: list[Region], period: Period, trend_months: list[date]):
    rows = Concern.objects.visible_to(access)
    in_period = rows.filter(period.q("raised_at"))
    measures = {"s_concerns": Count("pk"), "s_households": Count("household_id", distinct=True)}
    cells = {}
    if children:
        split = Area.split(children)
        by_path = {child.path: child.pk for child in children}
        grouped = (
            split.filter(in_period, "village__path")
            .annotate(_key=split.key("village__path"))
            .values("_key", "category_id")
            .annotate(**measures)
        )
        cells = {(by_path[row["_key"]], row["category_id"]): CategoryCell(row["s_concerns"], row["s_households"]) for row in grouped}
    totals = {
        row["category_id"]: CategoryCell(row["s_concerns"], row["s_households"])
        for row in area.filter(in_period, "village__path").values("category_id").annotate(**measures)
    }
    trend_period = Period("custom", trend_months[0], period.end)
    in_months = month_qs(trend_period, "raised_at")
    trend = {
        row.pop("category_id"): [row[f"m{i}"] for i in range(len(in_months))]
        for row in area.filter(rows.filter(trend_period.q("raised_at")), "village__path")
        .values("category_id")
        .annotate(**{f"m{i}": count_where(q) for i, q in enumerate(in_months)})
    }
    return cells, totals, trend


def _trend_rollups(access: Access, area: Area, firsts: list[date]) -> tuple[list[Period], datetime | None]:
    """The month rollups a trend over the months of ``firsts`` reads, and when they were
    computed; ([], None) when it is computed live."""
    if not rollups_cover(access, area):
        return [], None
    return _all_rolled_up([Period.of("month", first) for first in firsts])


def monthly_trend(
    access: Access, region: Region | None, *, months: int = 12, now: datetime, read: RolledUp | None = None
) -> list[MonthPoint]:
    """For each of the ``months`` months ending with ``now``'s: in-person visits, and pledges
    overdue at the month's end (at ``now`` for the current month; as of the refresh when read
    from rollups). ``read``: rollup rows already read for the page, holding those months'."""
    firsts = _trend_months(timezone.localdate(now), months)
    area = Area.of(access, region)
    periods, as_of = _trend_rollups(access, area, firsts)
    if as_of:
        return (read or RolledUp.read(area, periods)).trend(area, firsts)
    trend_period = Period("custom", firsts[0], _add_months(firsts[-1], 1) - DAY)
    visits = area.filter(
        Visit.objects.visible_to(access).in_person().filter(trend_period.q("visited_at")), "village__path"
    ).aggregate(**{f"m{i}": count_where(q) for i, q in enumerate(month_qs(trend_period, "visited_at"))})
    ends = [min(start_of_day(_add_months(first, 1)), now) for first in firsts]
    overdue = area.filter(Commitment.objects.visible_to(access), "village__path").aggregate(
        **{f"m{i}": count_where(overdue_at_q(end)) for i, end in enumerate(ends)}
    )
    return [MonthPoint(first, visits[f"m{i}"] or 0, overdue[f"m{i}"] or 0) for i, first in enumerate(firsts)]


# --- the dashboard's figures, read together ---------------------------------------------------


@dataclass
class DashboardFigures:
    area: AreaFigures
    before: AreaFigures  # over the previous period
    children: list[tuple[Region, AreaFigures]]
    concerns: ConcernSummary
    trend: list[MonthPoint]
    units: UnitSummary


def dashboard_figures(
    access: Access, region: Region | None, period: Period, *, now: datetime, units_at_most: int
) -> DashboardFigures:
    """What the dashboard of ``region`` (None: the viewer's whole scope) shows over ``period``:
    the figures of ``area_figures`` (and over the previous period), ``child_area_figures``,
    ``concerns_by_category``, ``monthly_trend`` and ``unit_summary``, with the region rollups they
    read read in one query rather than one each (building and running a query costs a few
    milliseconds, a third of a township's page)."""
    children = child_regions(access, region)
    area, split = Area.of(access, region), Area.split(children)
    previous = period.previous()
    with refreshes_read_once():
        child_periods = _area_rollups(access, split, period, now)[0]
        periods = [
            *_area_rollups(access, area, period, now)[0],
            *_area_rollups(access, area, previous, now)[0],
            *child_periods,
            *_trend_rollups(access, area, _trend_months(timezone.localdate(now), 12))[0],
        ]
        read = RolledUp.read(area, periods, children=children, child_periods=child_periods) if periods else None
        return DashboardFigures(
            area=_area_figures(access, area, period, now=now, read=read)[""],
            before=_area_figures(access, area, previous, now=now, read=read)[""],
            children=_child_area_figures(access, children, period, now=now, read=read),
            concerns=concerns_by_category(access, region, period, now=now, children=children),
            trend=monthly_trend(access, region, now=now, read=read),
            units=unit_summary(access, period, now=now, region=region, at_most=units_at_most),
        )
