"""Reads for the overdue report: its rows for a viewer and filters, one page of them, its scope."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db.models import Case, CharField, F, IntegerField, Q, QuerySet, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from casework.calendar import start_of_day
from casework.models import Commitment
from households.access import Access
from households.models import Region

from . import figures
from .forms import OverdueFilterForm

PAGE_SIZE = 50
# The page counts its rows up to this many, then says "more than": counting a whole city's
# overdue list would cost more than showing its first page.
COUNT_SHOWN = 10_000
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def overdue_rows(access: Access, filters: dict, *, now: datetime, rungs: list) -> QuerySet:
    """Overdue commitments the viewer may see, narrowed by the cleaned ``filters`` of
    ``OverdueFilterForm``, oldest due first. ``with_related`` adds what a displayed row shows."""
    rows = figures.overdue_commitments(Commitment.objects.visible_to(access), now)
    if region := filters.get("region"):
        rows = rows.filter(village__path__startswith=region.path)
    if unit := filters.get("unit"):
        rows = rows.filter(owner__unit__name__icontains=unit)
    if cadre := filters.get("cadre"):
        rows = rows.filter(owner__name__icontains=cadre)
    if category := filters.get("category"):
        rows = rows.filter(category=category)
    if bucket := filters.get("bucket"):
        rows = rows.filter(figures.BUCKETS_BY_CODE[bucket].q(now))
    if start := filters.get("pledged_from"):
        rows = rows.filter(pledged_at__gte=start_of_day(start))
    if end := filters.get("pledged_to"):
        rows = rows.filter(pledged_at__lt=start_of_day(end + timedelta(days=1)))
    if level := filters.get("level"):
        rows = rows.alias(level_reached=figures.escalation_level(rungs))
        rows = rows.filter(level_reached__isnull=True) if level == "none" else rows.filter(level_reached=int(level))
    return rows.order_by("due_at", "pk")


def escalation_level_kept(rungs: list, *, labels: dict | None = None) -> Case | F | Value:
    """``figures.escalation_level`` for a whole export, read from the level the sweep keeps for
    each escalated commitment (``accountability.EscalationLevel``): one LEFT JOIN of a narrow
    table instead of the escalation rows of every rung. The rung's id, or its entry in
    ``labels``; NULL when none.

    The same figure as the subquery, which a page evaluates for its 50 rows only (tested). Over a
    million rows the joins to the escalation rows (one a rung) cost a fifth of the export's CPU."""
    if not rungs:
        return Value(None, output_field=CharField() if labels else IntegerField())
    if not labels:
        return F("escalation_level__rule_id")
    return Case(
        *(When(escalation_level__rule_id=rung.pk, then=Value(labels[rung.pk])) for rung in rungs),
        output_field=CharField(),
    )


# --- keyset pagination ----------------------------------------------------------------------
# A page starts after the (due_at, id) of the previous page's last row: no OFFSET, so the
# thousandth page costs what the first does.


def cursor_for(due_at: datetime, pk: int) -> str:
    """The cursor of the page that starts after the row (``due_at``, ``pk``)."""
    micros = (due_at - EPOCH) // timedelta(microseconds=1)
    return f"{micros}.{pk}"


def parse_cursor(value: str) -> tuple[datetime, int] | None:
    """The (due_at, id) a cursor names, or None when it is not one."""
    micros, _dot, pk = value.partition(".")
    try:
        return EPOCH + timedelta(microseconds=int(micros)), int(pk)
    except (ValueError, OverflowError):
        return None


def after(rows: QuerySet, due_at: datetime, pk: int) -> QuerySet:
    # The leading ``due_at >=`` bound lets PostgreSQL start the due-date index scan at the
    # cursor; written only as the OR below, the planner cannot use the index for it.
    return rows.filter(due_at__gte=due_at).filter(Q(due_at__gt=due_at) | Q(due_at=due_at, pk__gt=pk))


def count_upto(rows: QuerySet, limit: int) -> int:
    """How many rows there are, counting no further than ``limit``."""
    return rows.order_by().values("pk")[:limit].count()


def with_related(rows: QuerySet, rungs: list) -> QuerySet:
    """What a displayed row shows, fetched with it: the names of where, who and what, and the
    escalation level (``level_id``, one of ``rungs``)."""
    return rows.annotate(level_id=figures.escalation_level(rungs)).select_related(
        "household", "village", "owner__unit", "category"
    )


@dataclass(slots=True)
class TableRow:
    """One overdue pledge as the report's table shows it (page, PDF, snapshot): the text of each
    cell computed once here, so that the template only places it. Per-row tags and filters (two
    or three dates, the status label, a translated name, a reversed URL) were most of the time
    the page took to render its 50 rows."""

    pk: int | None  # the commitment; None for a snapshot row whose commitment is gone
    owner_id: int | None  # None for snapshot rows, which keep the owner's name only
    household: str  # "Wang household"; "" for a village-level pledge
    village_name: str
    text: str
    category_name: str
    owner_name: str
    unit_name: str
    pledged_on: str  # local dates, YYYY-MM-DD
    due_on: str
    extended: str  # "originally <date>, extended <n> times"; "" when never extended
    days_overdue: int
    bucket_label: str
    level_name: str
    status_label: str


def table_rows(rows: Iterable, *, categories: dict[int, str] | None = None) -> list[TableRow]:
    """``rows`` as the table shows them. Each row has the names ``exports.annotate_row`` gives a
    commitment: those commitments, snapshot rows, and the page's rows (``overdue_page``), which
    carry their ``category_id`` instead of its name, named from ``categories``."""
    zone = timezone.get_current_timezone()
    statuses = {value: str(label) for value, label in Commitment.Status.choices}
    buckets = {bucket.code: str(bucket.label) for bucket in figures.AGING_BUCKETS}
    household = _("%(head)s household")

    def day(moment: datetime) -> str:
        return moment.astimezone(zone).date().isoformat()

    def extended(row) -> str:
        n = row.extension_count
        if not n:
            return ""
        text = ngettext("originally %(date)s, extended %(n)s time", "originally %(date)s, extended %(n)s times", n)
        return text % {"date": day(row.original_due_at), "n": n}

    return [
        TableRow(
            pk=row.commitment_id,
            owner_id=getattr(row, "owner_id", None),
            household=household % {"head": row.household_name} if row.household_name else "",
            village_name=row.village_name,
            text=row.text,
            category_name=row.category_name if categories is None else categories[row.category_id],
            owner_name=row.owner_name,
            unit_name=row.unit_name,
            pledged_on=day(row.pledged_at),
            due_on=day(row.due_at),
            extended=extended(row),
            days_overdue=row.days_overdue,
            bucket_label=buckets[figures.aging_bucket(row.days_overdue).code],
            level_name=row.level_name or "",
            status_label=statuses.get(row.status, row.status),
        )
        for row in rows
    ]


@dataclass
class Page:
    rows: list[TableRow]
    next_cursor: str | None


def overdue_page(
    rows: QuerySet,
    *,
    now: datetime,
    rungs: list,
    categories: dict[int, str],
    cursor: tuple[datetime, int] | None,
    size: int = PAGE_SIZE,
) -> Page:
    """The page of ``rows`` that starts after ``cursor``, as the table shows it. ``categories``:
    every category's name by id (``OverdueFilterForm.categories``)."""
    if cursor:
        rows = after(rows, *cursor)
    # The page's commitments are picked from the commitments alone, then only they are joined to
    # what a row shows: joined before the LIMIT, every match was (a township's 721 rows for 51).
    picked = rows.values("pk")[: size + 1]
    # What table_rows reads, as tuples: model instances of the six tables took twice the time.
    # Categories are named from the form's list: one join less cut PostgreSQL's planning of this
    # query by two thirds (6.5 to 2.0 ms, the machine loaded).
    joined = {
        "commitment_id": F("pk"),
        "household_name": F("household__head_name"),
        "village_name": F("village__name"),
        "owner_name": F("owner__name"),
        "unit_name": F("owner__unit__name"),
        "days_overdue": figures.days_overdue_sql(now),
        "level_name": figures.escalation_level(rungs, labels={rung.pk: rung.name for rung in rungs}),
    }
    own = ("owner_id", "category_id", "text", "pledged_at", "original_due_at", "due_at", "extension_count", "status")
    fetched = list(
        Commitment.objects.filter(pk__in=picked)
        .annotate(**joined)
        .order_by("due_at", "pk")
        .values_list(*own, *joined, named=True)
    )
    shown = fetched[:size]
    next_cursor = cursor_for(shown[-1].due_at, shown[-1].commitment_id) if len(fetched) > size else None
    return Page(table_rows(shown, categories=categories), next_cursor)


# --- scope ------------------------------------------------------------------------------------


def common_path(paths) -> str:
    """The deepest region path that contains all ``paths`` ("" when they share no root)."""
    split = [path.strip("/").split("/") for path in paths]
    if not split:
        return ""
    common = []
    for codes in zip(*split, strict=False):
        if len(set(codes)) > 1:
            break
        common.append(codes[0])
    return "/".join(common) + "/" if common else ""


@dataclass(frozen=True)
class Scope:
    text: str
    path: str  # "" for everything


def report_scope(access: Access, region: Region | None, scope_names: list[str]) -> Scope:
    """What a report of this viewer covers: the chosen region, else their whole scope, whose
    regions' names (by path) are ``scope_names``."""
    if region is not None:
        return Scope(region.name, region.path)
    if access.is_admin:
        return Scope(_("All regions"), "")
    return Scope("、".join(scope_names), common_path(access.scope_paths))


@dataclass
class Report:
    """The overdue report for one viewer and one set of filters, as of ``now``."""

    form: OverdueFilterForm
    rungs: list
    now: datetime
    rows: QuerySet | None = None  # None while the filters are not valid
    scope: Scope | None = None

    @property
    def levels(self) -> dict[int, str]:
        return {rung.pk: rung.name for rung in self.rungs}


def overdue_report(access: Access, data, *, now: datetime | None = None) -> Report:
    """Check the filters in ``data`` (query parameters) against the viewer's scope; when they
    hold, the rows and the scope they cover."""
    rungs = figures.escalation_rungs()
    form = OverdueFilterForm(data, access=access, rungs=rungs)
    report = Report(form=form, rungs=rungs, now=now or timezone.now())
    if form.is_valid():
        report.rows = overdue_rows(access, form.cleaned_data, now=report.now, rungs=rungs)
        report.scope = report_scope(access, form.cleaned_data.get("region"), form.scope_names)
    return report
