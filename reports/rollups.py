"""Rollups of the dashboard's figures, so that a whole city's figures cost a few milliseconds.

``rollups_refresh`` recomputes whole periods (months, quarters, years) from the raw rows, set
based: for each table and period, one ``INSERT … SELECT … ON CONFLICT DO UPDATE`` of the sums of
every source (``UNION ALL`` of one grouped query per source), then a ``DELETE`` of the period's
rows that this run did not write. The same statement runs on PostgreSQL and SQLite. Each period
is one short transaction: no table lock, no TRUNCATE; readers keep seeing the old rows until it
commits. On PostgreSQL a transaction-level advisory lock per period makes an overlapping refresh
skip the period instead of writing it twice, and the commit does not wait for the WAL flush (a
crash loses a refresh that the next one redoes).

What is refreshed and when (the figures are "as of" ``rollups_as_of``):

- every ``ROLLUP_INTERVAL_SECONDS`` (Celery beat, ``reports.tasks.refresh_rollups``): the current
  and the previous month and quarter, the current year, and the previous year in the first
  quarter;
- nightly: every period of this year and the last (``refresh_rollups --recent``), which catches late
  changes to older periods (a pledge due in an older month cancelled or extended, a back-dated
  visit);
- ``manage.py refresh_rollups --all``: every period since the oldest row (a backfill);
- at the end of ``seed_demo``.

The definitions are those of ``reports.figures`` (its module docstring). A month is computed
from the raw rows; a quarter or a year sums its months' rows, except the counts that do not add
up (distinct households visited, paired households visited) and those by deadline (pledges and
petition cases due, overdue and aging, which may fall in months not begun), which are computed
from the raw rows for it. Counts "as of today" (active households, assignments in force, overdue
and never acted on) are as of the refresh.

Cost at city scale (2M households, 10M visits, 2M pledges, on a shared two-core machine): a
month 15–25 s, a quarter 12–15 s, the current year 35 s; the default refresh about 110 s, most
of it reading the visits table (2.6 GB, no index by date: the benchmark's rows are in random
order). Visits stored in date order would let a BRIN index on ``visited_at`` read a month's
visits instead of all.
"""

from dataclasses import dataclass
from datetime import date, datetime

from django.db import connection, transaction
from django.db.models import Count, Exists, F, IntegerField, Min, OuterRef, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from cadres.models import Cadre, ContactPoint, Pairing
from casework.models import Commitment, CommitmentTransition, Concern, PetitionCase, ResidentCode
from households.models import Household, Region
from visits.models import Visit

from . import figures
from .figures import Period, count_where
from .rollup_models import (
    CadreRegion,
    CadreVillagePeriod,
    CategoryRegionPeriod,
    RegionPeriod,
    RollupPeriod,
    UnitRegionPeriod,
    VillagePeriod,
)

CALENDAR_KINDS = ("month", "quarter", "year")
S = Commitment.Status


def default_periods(today: date) -> list[Period]:
    """The current and the previous month and quarter, the current year, and the previous year
    while late entries may still land in it (in the first quarter); the nightly refresh keeps
    the older periods."""
    periods = []
    for kind in CALENDAR_KINDS:
        current = Period.of(kind, today)
        periods.append(current)
        if kind != "year" or today.month <= 3:
            periods.append(current.previous())
    return periods


def every_period(*, since: date | None, today: date) -> list[Period]:
    """Every month, quarter and year from ``since``'s to ``today``'s (none when ``since`` is None)."""
    if since is None:
        return []
    periods = []
    for kind in CALENDAR_KINDS:
        period = Period.of(kind, since)
        while period.start <= today:
            periods.append(period)
            period = Period.of(kind, period.end + figures.DAY)
    return periods


def recent_periods(today: date) -> list[Period]:
    """Every month, quarter and year of this year and the last (the nightly refresh)."""
    return every_period(since=date(today.year - 1, 1, 1), today=today)


def oldest_day() -> date | None:
    """The local date of the oldest visit, concern, pledge or petition case."""
    moments = [
        Visit.objects.aggregate(at=Min("visited_at"))["at"],
        Concern.objects.aggregate(at=Min("raised_at"))["at"],
        Commitment.objects.aggregate(at=Min("pledged_at"))["at"],
        PetitionCase.objects.aggregate(at=Min("registered_at"))["at"],
    ]
    moments = [moment for moment in moments if moment is not None]
    return timezone.localdate(min(moments)) if moments else None


@dataclass
class Refreshed:
    periods: list[Period]
    skipped: list[Period]  # being refreshed by another run at the same time


def rollups_refresh(*, periods: list[Period] | None = None, now: datetime | None = None) -> Refreshed:
    """Recompute the rollups of ``periods`` (default: ``default_periods``) from the raw rows, each
    period in its own short transaction."""
    now = now or timezone.now()
    periods = default_periods(timezone.localdate(now)) if periods is None else periods
    if any(not period.is_calendar for period in periods):
        raise ValueError("only whole months, quarters and years are rolled up")
    result = Refreshed([], [])
    if periods:
        _refresh_cadre_regions()
    for period in _in_order(periods, now):
        (result.periods if _refresh_period(period, now) else result.skipped).append(period)
    return result


def _in_order(periods: list[Period], now: datetime) -> list[Period]:
    """Months first, then quarters, then years (which sum their months' rows), with the months a
    quarter or year needs and that were never rolled up."""
    periods = list(dict.fromkeys(periods))
    months = [period for period in periods if period.kind == "month"]
    needed = []
    for period in periods:
        if period.kind != "month":
            on_month = _on(period, now).replace(day=1)
            needed += [Period.of("month", month) for month in period.months() if month <= on_month]
    needed = [month for month in dict.fromkeys(needed) if month not in months]
    if needed:
        have = set(
            RollupPeriod.objects.filter(kind="month", start__in=[month.start for month in needed]).values_list("start", flat=True)
        )
        months += [month for month in needed if month.start not in have]
    rank = {kind: i for i, kind in enumerate(CALENDAR_KINDS)}
    return sorted(months, key=lambda period: period.start) + sorted(
        (period for period in periods if period.kind != "month"), key=lambda period: (rank[period.kind], period.start)
    )


def rollups_as_of(period: Period | None = None):
    """When the rollups of ``period`` were computed (None: never; no period: the latest refresh)."""
    rows = RollupPeriod.objects.all()
    if period is not None:
        rows = rows.filter(kind=period.kind, start=period.start)
    return rows.order_by("-refreshed_at").values_list("refreshed_at", flat=True).first()


@transaction.atomic
def _refresh_period(period: Period, now: datetime) -> bool:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_xact_lock(hashtext(%s))", [f"rollups:{period.kind}:{period.start}"])
            if not cursor.fetchone()[0]:
                return False
            cursor.execute("SET LOCAL synchronous_commit TO OFF")
            # Big one-off aggregates: JIT compilation costs more than it saves, and hashes of a
            # period's visits fit in memory.
            cursor.execute("SET LOCAL jit TO off")
            cursor.execute("SET LOCAL work_mem TO '256MB'")
    for table in TABLES:
        table.refresh(period, now)
    RollupPeriod.objects.update_or_create(kind=period.kind, start=period.start, defaults={"refreshed_at": now})
    return True


# --- one statement a table and period ---------------------------------------------------------


@dataclass(frozen=True)
class Raw:
    """A source written in SQL, for what the ORM cannot say (an aggregate of aggregates): it
    selects ``k_<key>`` for each key column and ``c_<name>`` for each of ``measures``."""

    sql: str
    params: tuple
    measures: tuple[str, ...]


@dataclass(frozen=True)
class Table:
    """A rollup table: its key columns and value columns, and the sources summed into it.

    A source is a function of (period, now) returning ``(rows, keys, measures)``: ``keys`` maps
    each key column to the expression that gives it on ``rows``, ``measures`` some value
    columns to their aggregate (the others are 0 for that source); or a ``Raw`` statement.
    """

    model: type
    keys: tuple[str, ...]
    sources: tuple  # of a month, from the raw rows
    # Of a quarter or a year: the ``direct`` sources from the raw rows (distinct counts, which do
    # not add up, and counts by deadline, which may fall in months not begun yet), the other
    # columns from its months' rows, summed (``snapshot`` columns: those of the month of the day
    # "as of today" counts are taken on).
    snapshot: tuple[str, ...] = ()
    direct: tuple = ()
    # Read by a later table in the same transaction: its statistics are brought up to date first,
    # so that the planner knows how many rows the period has (estimated at none, it picks
    # nested loops that take minutes).
    analyze: bool = False

    @property
    def columns(self) -> list[str]:
        return self.model.count_columns()

    def select(self, source, period: Period, now: datetime) -> tuple[str, list]:
        """The SQL of one source: the key columns, then every value column."""
        selected = source(period, now)
        if isinstance(selected, Raw):
            listed = [f"k_{key}" for key in self.keys] + [
                f"c_{name}" if name in selected.measures else f"0 AS c_{name}" for name in self.columns
            ]
            return f"SELECT {', '.join(listed)} FROM ({selected.sql}) r", list(selected.params)
        rows, keys, measures = selected
        zero = Value(0, output_field=IntegerField())
        values = {f"c_{name}": measures.get(name, zero) for name in self.columns}
        rows = (
            rows.order_by()
            .values(**{f"k_{key}": expression for key, expression in keys.items()})
            .annotate(**values)
            .values_list(*(f"k_{key}" for key in self.keys), *values)
        )
        return rows.query.sql_with_params()

    def sources_of(self, period: Period) -> tuple:
        if period.kind == "month" or not self.direct:
            return self.sources
        return (self.from_months, *self.direct)

    def from_months(self, period: Period, now: datetime):
        """A quarter or a year from its months' rows (refreshed before it)."""
        on_month = _on(period, now).replace(day=1)
        rows = self.model.objects.filter(kind="month", start__gte=period.start, start__lte=on_month)
        direct = {name for source in self.direct for name in source(period, now)[2]}
        measures = {
            name: Coalesce(Sum(name, filter=Q(start=on_month)) if name in self.snapshot else Sum(name), 0)
            for name in self.columns
            if name not in direct
        }
        return rows, {key: F(key) for key in self.keys}, measures

    def refresh(self, period: Period, now: datetime) -> None:
        qn = connection.ops.quote_name
        parts, params = [], []
        for i, source in enumerate(self.sources_of(period)):
            sql, source_params = self.select(source, period, now)
            parts.append(f"SELECT * FROM ({sql}) s{i}")
            params += source_params
        keys = ", ".join(qn(key) for key in self.keys)
        columns = self.columns
        fixed = [period.kind, connection.ops.adapt_datefield_value(period.start), connection.ops.adapt_datetimefield_value(now)]
        statement = (
            f"INSERT INTO {qn(self.model._meta.db_table)} (kind, start, refreshed_at, {keys}, "
            f"{', '.join(qn(c) for c in columns)}) "
            f"SELECT %s, %s, %s, {', '.join(f'k_{key}' for key in self.keys)}, "
            f"{', '.join(f'SUM(c_{c})' for c in columns)} "
            f"FROM ({' UNION ALL '.join(parts)}) u WHERE 1 = 1 "
            f"GROUP BY {', '.join(f'k_{key}' for key in self.keys)} "
            # In key order: a page reads a region's rows, stored near each other.
            f"ORDER BY {', '.join(f'k_{key}' for key in self.keys)} "
            f"ON CONFLICT (kind, start, {keys}) DO UPDATE SET "
            + ", ".join(f"{qn(c)} = EXCLUDED.{qn(c)}" for c in [*columns, "refreshed_at"])
        )
        with connection.cursor() as cursor:
            cursor.execute(statement, fixed + params)
        self.model.objects.filter(kind=period.kind, start=period.start).exclude(refreshed_at=now).delete()
        if self.analyze:
            _analyze(self.model)


def _analyze(model) -> None:
    """Up-to-date planner statistics of ``model``'s table (PostgreSQL's ANALYZE samples the rows
    this transaction wrote too)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")


def _on(period: Period, now: datetime) -> date:
    """The day "as of today" counts are taken on: the period's last day, or today if sooner."""
    return min(period.end, timezone.localdate(now))


# Village sources.


def _households(period, now):
    return Household.objects.active(), {"village_id": F("village_id")}, {"households": Count("pk")}


def _villages(period, now):
    return (
        Region.objects.villages(),
        {"village_id": F("pk")},
        {"villages": Count("pk"), "assigned": count_where(figures.village_assigned(_on(period, now)))},
    )


def _visited_households(period, now):
    visited = Visit.objects.in_person().filter(period.q("visited_at"), household_id=OuterRef("pk"))
    return (
        Household.objects.active().filter(Exists(visited)),
        {"village_id": F("village_id")},
        {"visited_households": Count("pk")},
    )


def _visits(period, now):
    return (
        Visit.objects.in_person().filter(period.q("visited_at")),
        {"village_id": F("village_id")},
        figures.VISIT_MEASURES,
    )


def _concerns(period, now):
    return (
        Concern.objects.filter(period.q("raised_at")),
        {"village_id": F("village_id")},
        {"concerns": Count("pk"), "idle": count_where(figures.never_acted_on_q(now))},
    )


def _commitments(period, now):
    end = min(period.bounds()[1], now)
    overdue_at_end = figures.overdue_at_q(end)
    return (
        Commitment.objects.filter(figures.due_q(period) | overdue_at_end),
        {"village_id": F("village_id")},
        {**figures.due_measures(period), "overdue_at_end": count_where(overdue_at_end), **figures.aging_measures(end)},
    )


def _transitions(period, now):
    return (
        CommitmentTransition.objects.filter(period.q("at"), to_status__in=[S.REPORTED_DONE, S.REOPENED]),
        {"village_id": F("commitment__village_id")},
        figures.TRANSITION_MEASURES,
    )


def _codes(period, now):
    return (
        ResidentCode.objects.filter(commitment__isnull=False).filter(figures.code_q(period)),
        {"village_id": F("commitment__village_id")},
        figures.code_measures(period),
    )


def _petitions(period, now):
    return PetitionCase.objects.all(), {"village_id": F("village_id")}, figures.petition_measures(period)


# Cadre sources: keyed by (cadre, village).


def _cadre_visits(period, now):
    return (
        Visit.objects.filter(period.q("visited_at")),
        {"cadre_id": F("cadre_id"), "village_id": F("village_id")},
        {"visits": count_where(figures.IN_PERSON), "flagged": count_where(figures.ANY_FLAG)},
    )


def _cadre_commitments(period, now):
    pledged, confirmed = period.q("pledged_at"), figures.confirmed_q(period)
    overdue = figures.overdue_at_q(min(period.bounds()[1], now))
    return (
        Commitment.objects.filter(figures.due_q(period) | pledged | confirmed | overdue),
        {"cadre_id": F("owner_id"), "village_id": F("village_id")},
        {
            **figures.due_measures(period),
            "pledged": count_where(pledged),
            "confirmed": count_where(confirmed),
            "overdue_at_end": count_where(overdue),
        },
    )


def _cadre_transitions(period, now):
    rows, _keys, measures = _transitions(period, now)
    return rows, {"cadre_id": F("commitment__owner_id"), "village_id": F("commitment__village_id")}, measures


def _cadre_codes(period, now):
    rows, _keys, measures = _codes(period, now)
    return (
        rows,
        {"cadre_id": F("commitment__owner_id"), "village_id": F("commitment__village_id")},
        {name: measures[name] for name in ("evaluated", "satisfied")},
    )


def _cadre_pairings(period, now):
    return (
        _current_pairings(period, now),
        {"cadre_id": F("cadre_id"), "village_id": F("household__village_id")},
        {"paired": figures.pairing_measures(period)["paired"]},
    )


def _cadre_paired_visited(period, now):
    """Paired households the cadre visited in person (a semi-join, not a test per pairing)."""
    visited = Visit.objects.in_person().filter(
        period.q("visited_at"), cadre_id=OuterRef("cadre_id"), household_id=OuterRef("household_id")
    )
    return (
        _current_pairings(period, now).filter(Exists(visited)),
        {"cadre_id": F("cadre_id"), "village_id": F("household__village_id")},
        {"paired_visited": Count("household_id", distinct=True)},
    )


def _current_pairings(period, now):
    return Pairing.objects.current(_on(period, now)).filter(household__status=Household.Status.ACTIVE)


def _cadre_coverage_in(level: str):
    """Active cadres, and those with an assignment, of the units in regions ``level`` below."""

    def source(period, now):
        return (
            Cadre.objects.filter(is_active=True, **{f"unit__region__{level}__isnull": False}),
            {"region_id": F(f"unit__region__{level}")},
            {"cadres": Count("pk"), "cadres_covered": count_where(figures.has_assignment(_on(period, now)))},
        )

    return source


def _categories_in(region: str):
    """Concerns by category summed at one level: the village itself, its township, county, city."""

    def source(period, now):
        return (
            Concern.objects.filter(period.q("raised_at")),
            {"region_id": F(region), "category_id": F("category_id")},
            {"concerns": Count("pk"), "households": Count("household_id", distinct=True)},
        )

    return source


# Regions at every level: a village's own row, then its township's, county's and city's, each
# its villages' rows summed (regions are four levels deep: city, county, township, village).
ANCESTORS = ("id", "parent_id", "parent__parent_id", "parent__parent__parent_id")


def _in_regions(level: str):
    """A region's rows as the sum of its villages' rows, for regions ``level`` above them."""

    def source(period, now):
        return (
            VillagePeriod.objects.filter(kind=period.kind, start=period.start, **{f"village__{level}__isnull": False}),
            {"region_id": F(f"village__{level}")},
            {name: Sum(name) for name in AREA_COLUMNS},
        )

    return source


AREA_COLUMNS = VillagePeriod.count_columns()


# Units by region: the cadres of ``CadreRegion`` and their work in the region.


@transaction.atomic
def _refresh_cadre_regions() -> None:
    """Rewrite ``CadreRegion``: each active cadre with the regions of its unit, contact villages
    and paired households, and every region above them (one short transaction; an overlapping
    refresh leaves it to the run that holds the lock)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_xact_lock(hashtext('rollups:cadre-regions'))")
            if not cursor.fetchone()[0]:
                return
            cursor.execute("SET LOCAL synchronous_commit TO OFF")
            cursor.execute("SET LOCAL jit TO off")
    active = {"cadre__is_active": True}
    # Distinct (cadre, unit, region) first: a city has half a million pairings.
    belongs = (
        Cadre.objects.filter(is_active=True)
        .order_by()
        .values(c=F("pk"), u=F("unit_id"), r=F("unit__region_id"))
        .union(
            ContactPoint.objects.current().filter(**active).order_by().values(c=F("cadre_id"), u=F("cadre__unit_id"), r=F("village_id")),
            Pairing.objects.current()
            .filter(**active)
            .order_by()
            .values(c=F("cadre_id"), u=F("cadre__unit_id"), r=F("household__village_id")),
        )
    )
    belongs_sql, belongs_params = belongs.query.sql_with_params()
    above_sql, above_params = _regions_above().query.sql_with_params()
    CadreRegion.objects.all().delete()
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO reports_cadreregion (cadre_id, unit_id, region_id) "
            f"SELECT DISTINCT b.c, b.u, a.a FROM ({belongs_sql}) b JOIN ({above_sql}) a ON a.r = b.r",
            [*belongs_params, *above_params],
        )
    _analyze(CadreRegion)


def _regions_above() -> QuerySet:
    """Each region (``r``) with itself and every region above it (``a``)."""
    levels = [
        Region.objects.filter(**{f"{level}__isnull": False}).order_by().values(r=F("pk"), a=F(level))
        for level in ANCESTORS
    ]
    return levels[0].union(*levels[1:], all=True)


def _unit_cadres(period, now):
    return CadreRegion.objects.all(), {"unit_id": F("unit_id"), "region_id": F("region_id")}, {"cadres": Count("pk")}


CADRE_COLUMNS = CadreVillagePeriod.count_columns()


def _cadre_rows_by_region(where: str) -> str:
    """Cadre × village rows (``cv``, those matching ``where``) with each region above the
    village (itself included) that the cadre belongs to (``l``: its unit and region): one pass
    over the period's rows, a hash join each."""
    qn = connection.ops.quote_name
    above_sql, params = _regions_above().query.sql_with_params()
    assert not params
    return (
        f"FROM {qn(CadreVillagePeriod._meta.db_table)} cv "
        f"JOIN ({above_sql}) a ON a.r = cv.village_id "
        f"JOIN {qn(CadreRegion._meta.db_table)} l ON l.cadre_id = cv.cadre_id AND l.region_id = a.a "
        f"WHERE {where}"
    )


def _unit_work(period, now):
    """The unit's cadres' work in each region, summed."""
    sums = ", ".join(f"SUM(cv.{name}) AS c_{name}" for name in CADRE_COLUMNS)
    sql = (
        f"SELECT l.unit_id AS k_unit_id, l.region_id AS k_region_id, {sums} "
        + _cadre_rows_by_region("cv.kind = %s AND cv.start = %s")
        + " GROUP BY l.unit_id, l.region_id"
    )
    return Raw(sql, (period.kind, connection.ops.adapt_datefield_value(period.start)), tuple(CADRE_COLUMNS))


def _unit_months(period, now):
    """Regularity and burst share: each cadre's in-person visits in the region per month begun,
    then per cadre the months with one and the busiest month's count, summed per unit."""
    months = [connection.ops.adapt_datefield_value(month) for month in figures.months_begun(period, now)]
    per_month = (
        "SELECT cv.cadre_id AS c, l.unit_id AS u, l.region_id AS r, SUM(cv.visits) AS v "
        + _cadre_rows_by_region(f"cv.kind = 'month' AND cv.start IN ({', '.join(['%s'] * len(months))})")
        + " GROUP BY cv.cadre_id, l.unit_id, l.region_id, cv.start"
    )
    sql = (
        "SELECT u AS k_unit_id, r AS k_region_id, SUM(active) AS c_active_months, SUM(top) AS c_top_months FROM "
        "(SELECT c, u, r, MAX(v) AS top, SUM(CASE WHEN v > 0 THEN 1 ELSE 0 END) AS active "
        f"FROM ({per_month}) m GROUP BY c, u, r) per_cadre GROUP BY u, r"
    )
    return Raw(sql, tuple(months), ("active_months", "top_months"))


TABLES = (
    Table(
        VillagePeriod,
        ("village_id",),
        (_households, _villages, _visited_households, _visits, _concerns, _commitments, _transitions, _codes, _petitions),
        snapshot=("households", "villages", "assigned"),
        direct=(_visited_households, _concerns, _commitments, _petitions),
    ),
    # From the villages' rows just written.
    Table(
        RegionPeriod,
        ("region_id",),
        tuple(_in_regions(level) for level in ANCESTORS) + tuple(_cadre_coverage_in(level) for level in ANCESTORS),
    ),
    Table(
        CadreVillagePeriod,
        ("cadre_id", "village_id"),
        (_cadre_visits, _cadre_commitments, _cadre_transitions, _cadre_codes, _cadre_pairings, _cadre_paired_visited),
        snapshot=("paired",),
        direct=(_cadre_paired_visited, _cadre_commitments),
        analyze=True,
    ),
    # From the cadres' rows just written (and their months') and ``CadreRegion``.
    Table(
        UnitRegionPeriod,
        ("region_id", "unit_id"),
        (_unit_cadres, _unit_work, _unit_months),
    ),
    Table(
        CategoryRegionPeriod,
        ("region_id", "category_id"),
        tuple(_categories_in(f"village__{level}") for level in ANCESTORS),
    ),
)
