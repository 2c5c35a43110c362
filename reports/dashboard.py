"""Reads for the supervisor dashboard's pages.

Every number comes from ``reports.figures`` (one definition each); this module only arranges them
into tiles, tables and charts, and gives each number the link to the rows behind it: the overdue
report for overdue pledges, the household list for coverage, the concern list for concerns.
Each page runs a fixed number of queries, whatever the number of regions, units or rows.
"""

from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache, partial
from html import escape
from urllib.parse import quote_plus

from django.conf import settings
from django.db.models import Exists, F, OuterRef, QuerySet, Subquery
from django.shortcuts import get_object_or_404
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse
from django.utils.http import urlencode
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from cadres.models import Cadre, Unit
from casework.models import Concern
from households.access import Access, path_q
from households.models import Household, Region
from visits.models import Visit

from . import figures
from .figures import AGING_BUCKETS, AreaFigures, CadreFigures, Period, Ratio

HOUSEHOLDS_PAGE_SIZE = 50
CONCERNS_PAGE_SIZE = 50
CADRES_PAGE_SIZE = 50
UNITS_PAGE_SIZE = 50
# A dashboard lists its units up to this many; a city's hundreds are a page of their own (on a
# phone, six hundred rows made the page ten times heavier), and the dashboard shows their total.
DASHBOARD_UNITS = 40
# The household list's columns, each sortable both ways on the server (the list comes in pages).
HOUSEHOLD_COLUMNS = (
    ("name", _lazy("Household")),
    ("address", _lazy("Address")),
    ("village", _lazy("Village")),
    ("last_visit", _lazy("Last in-person visit")),
    ("visited", _lazy("Visited in the period")),
)
HOUSEHOLD_SORTS = {
    "name": ("head_name", "pk"),
    "-name": ("-head_name", "-pk"),
    "address": ("address", "pk"),
    "-address": ("-address", "-pk"),
    "village": ("village__path", "head_name", "pk"),
    "-village": ("-village__path", "head_name", "pk"),
    "last_visit": (F("last_visit").asc(nulls_first=True), "head_name", "pk"),
    "-last_visit": (F("last_visit").desc(nulls_last=True), "head_name", "pk"),
    "visited": ("visited", "head_name", "pk"),
    "-visited": ("-visited", "head_name", "pk"),
}


# --- scope ------------------------------------------------------------------------------------


def dashboard_regions(access: Access) -> QuerySet:
    """Regions a viewer's dashboard covers: their scopes' subtrees (everything for an administrator)."""
    return Region.objects.all() if access.is_admin else Region.objects.filter(path_q("path", access.scope_paths))


def region_or_404(access: Access, pk) -> Region:
    """A region of the viewer's dashboard; 404 for one outside it, as for one that does not exist."""
    return get_object_or_404(dashboard_regions(access), pk=pk)


def in_area(rows: QuerySet, access: Access, region: Region | None, lookup: str) -> QuerySet:
    """``rows`` in ``region``'s subtree (None: anywhere in the viewer's dashboard scope)."""
    if region is not None:
        return rows.filter(**{f"{lookup}__startswith": region.path})
    return rows if access.is_admin else rows.filter(path_q(lookup, access.scope_paths))


def trail(access: Access, region: Region | None) -> list[Region]:
    """The breadcrumb down to ``region``: its ancestors within the viewer's scope, then itself.
    Those are the ancestors under the outermost scope root above ``region``: none, and no query,
    when ``region`` is the top of the viewer's scope (where every supervisor's dashboard starts)."""
    if region is None:
        return []
    if access.is_admin:
        return list(region.ancestors()) + [region]
    above = [path for path in access.scope_paths if region.path.startswith(path) and path != region.path]
    if not above:
        return [region]
    return list(region.ancestors().filter(path__startswith=min(above, key=len))) + [region]


# --- how a number is shown ----------------------------------------------------------------------


def percent(ratio: Ratio) -> str:
    return "—" if ratio.rate is None else f"{ratio.rate:.1%}"


def fraction(ratio: Ratio) -> str:
    return f"{ratio.numerator} / {ratio.denominator}"


def rate_change(now: Ratio, before: Ratio) -> str:
    """The change of a rate from the previous period, in percentage points ("" when either is unknown)."""
    if now.rate is None or before.rate is None:
        return ""
    return _("%(points)s pp") % {"points": f"{(now.rate - before.rate) * 100:+.1f}"}


def count_change(now: int | float | None, before: int | float | None, digits: int = 0) -> str:
    if now is None or before is None:
        return ""
    return f"{now - before:+.{digits}f}"


def sort_value(value) -> str:
    """A cell's value for the table's sort script ("" sorts last: nothing to measure)."""
    if isinstance(value, Ratio):
        value = value.rate
    return "" if value is None else repr(round(float(value), 6))


# --- links to the rows behind a number ---------------------------------------------------------


# A number no primary key reaches, reversed in place of one and cut out of the path again.
PATH_SLOT = 9_087_654_321


@lru_cache(maxsize=128)
def _path_parts(urlconf: str, script_prefix: str, name: str, arity: int) -> tuple[str, ...] | None:
    """The text around the integer arguments of URL ``name``'s path (None: not reversible so)."""
    try:
        path = reverse(name, urlconf=urlconf, args=[PATH_SLOT] * arity)
    except NoReverseMatch:
        return None
    parts = tuple(path.split(str(PATH_SLOT)))
    return parts if len(parts) == arity + 1 else None


def path_of(name: str, *args) -> str:
    """``reverse(name, args=args)``, each URL name reversed once and then joined as text when its
    arguments are primary keys: a page of tables has hundreds of links."""
    if all(type(arg) is int and arg >= 0 for arg in args):
        urlconf = get_urlconf() or settings.ROOT_URLCONF
        parts = _path_parts(urlconf, get_script_prefix(), name, len(args))
        if parts is not None:
            return parts[0] + "".join([f"{arg}{part}" for arg, part in zip(args, parts[1:], strict=True)])
    return reverse(name, args=args)


def query_text(query: dict) -> str:
    """``urlencode(query)`` (its keys are Python names) without the empty values: None, "", False."""
    return "&".join(
        [
            f"{key}={value}" if type(value) is int else f"{key}={quoted(str(value))}"
            for key, value in query.items()
            if value not in (None, "", False)
        ]
    )


@lru_cache(maxsize=4096)
def quoted(value: str) -> str:
    """``value`` as a query string's value (the same few units' and filters' names, page after page)."""
    return quote_plus(value)


def link(name: str, *args, **query) -> str:
    url = path_of(name, *args)
    query_string = query_text(query)
    return f"{url}?{query_string}" if query_string else url


def overdue_url(region: Region | None, bucket: str | None = None, unit: str | None = None) -> str:
    return link("overdue_report", region=region.pk if region else None, bucket=bucket, unit=unit)


def add_query(url: str, query: str) -> str:
    """``url`` with the (already encoded) ``query`` appended."""
    if not query:
        return url
    return f"{url}{'&' if '?' in url else '?'}{query}"


class RowLinks:
    """Links to the lists of the rows behind numbers (``reports.rows_views``, the concern list,
    the overdue report) in ``region`` (None: the viewer's whole scope) for the period:
    ``links(name, **filters)``. A table makes thousands of them (a city has 600 units, each with
    six numbers), so each list's path is reversed once a table (``of`` shares them between
    regions) and the rest is joined as text."""

    def __init__(self, region: Region | None, period_query: str, paths: dict | None = None):
        self.region = f"region={region.pk}" if region is not None else ""
        self.period_query = period_query
        self.paths = {} if paths is None else paths

    def of(self, region: Region | None) -> "RowLinks":
        """The same links in another region."""
        return RowLinks(region, self.period_query, self.paths)

    def __call__(self, name: str, **filters) -> str:
        path = self.paths.get(name) or self.paths.setdefault(name, path_of(name))
        query = [self.region] if self.region else []
        for key, value in filters.items():
            if value:
                query.append(f"{key}={value}" if type(value) is int else f"{key}={quoted(value)}")
        if self.period_query:
            query.append(self.period_query)
        return f"{path}?{'&'.join(query)}" if query else path


# --- the dashboard ------------------------------------------------------------------------------


@dataclass
class Tile:
    """One headline figure: its value, the change from the previous period and where its rows are."""

    key: str
    label: str
    value: str
    detail: str = ""
    change: str = ""
    url: str = ""
    # Figures shown inside the tile, each as a Tile: the reopen rate next to satisfaction, the
    # aging buckets under the overdue count.
    parts: list = field(default_factory=list)


@dataclass
class Cell:
    text: str
    sort: str = ""
    url: str = ""
    title: str = ""
    flag: str = ""  # a badge next to the value ("for review")
    numeric: bool = True  # aligned right


@dataclass
class Column:
    key: str
    label: str
    numeric: bool = True


@dataclass
class Table:
    key: str
    columns: list[Column]
    rows: list[list[Cell]]
    footer: list[Cell] | None = None  # the total, kept last whatever the sort

    def rows_html(self) -> list[SafeString]:
        """Each row's cells as markup (templates/reports/dashboard_table.html wraps them)."""
        return [row_html(row) for row in self.rows]

    def footer_html(self) -> SafeString:
        return row_html(self.footer) if self.footer else SafeString()


def html_text(value) -> str:
    """``value`` escaped as a template's ``{{ value }}`` would be (safe strings as they are)."""
    if type(value) is str:  # nearly every one: the quickest test first
        return escape(value)
    return value.__html__() if hasattr(value, "__html__") else escape(str(value))


def cell_html(cell: Cell, header: bool) -> str:
    """One cell's markup, the row's header if ``header``. Joined here rather than by a template
    included for each cell: a table page has hundreds of cells."""
    if header:
        opening, closing = '<th scope="row"', "</th>"
    else:
        opening, closing = ('<td class="text-end"' if cell.numeric else '<td class=""'), "</td>"
    text = html_text(cell.text)
    if cell.url:
        text = f'<a href="{html_text(cell.url)}">{text}</a>'
    title = f' title="{html_text(cell.title)}"' if cell.title else ""
    flag = f' <span class="badge text-bg-warning" data-testid="for-review">{html_text(cell.flag)}</span>' if cell.flag else ""
    return f'{opening} data-sort="{html_text(cell.sort)}"{title}>{text}{flag}{closing}'


def row_html(cells: list[Cell]) -> SafeString:
    """A row's cells as markup, the first as the row's header."""
    return SafeString("".join([cell_html(cell, index == 0) for index, cell in enumerate(cells)]))


def ratio_cell(ratio: Ratio, url: str = "") -> Cell:
    return Cell(percent(ratio), sort_value(ratio), url=url, title=fraction(ratio))


def count_cell(value: int, url: str = "") -> Cell:
    return Cell(str(value), sort_value(value), url=url)


def area_tiles(region: Region | None, now_: AreaFigures, before: AreaFigures, *, period_query: str) -> list[Tile]:
    """The headline figures of an area, each with its change from the previous period."""

    def households(visited: str) -> str:
        # The whole scope of several regions has no one household list: its table's rows have.
        return households_url(region, period_query, visited=visited) if region else ""

    concerns = concerns_url(region, period_query=period_query)
    rows = RowLinks(region, period_query)
    tiles = [
        Tile(
            "visit_coverage",
            _("Visit coverage"),
            percent(now_.visit_coverage),
            _("%(visited)s of %(households)s active households visited in person")
            % {"visited": now_.visit_coverage.numerator, "households": now_.visit_coverage.denominator},
            rate_change(now_.visit_coverage, before.visit_coverage),
            households("no"),
            parts=[
                Tile("visited", _("visited"), str(now_.visit_coverage.numerator), url=households("yes")),
                Tile(
                    "not_visited",
                    _("not visited"),
                    str(now_.visit_coverage.denominator - now_.visit_coverage.numerator),
                    url=households("no"),
                ),
            ],
        ),
        Tile(
            "visits",
            _("In-person visits"),
            str(now_.visits),
            change=count_change(now_.visits, before.visits),
            url=rows("dashboard_visits"),
        ),
        Tile(
            "villages_covered",
            _("Villages with an assigned cadre"),
            percent(now_.villages_covered),
            fraction(now_.villages_covered),
            rate_change(now_.villages_covered, before.villages_covered),
            rows("dashboard_villages"),
        ),
        Tile(
            "cadres_covered",
            _("Cadres with a contact village or pairing"),
            percent(now_.cadres_covered),
            fraction(now_.cadres_covered),
            rate_change(now_.cadres_covered, before.cadres_covered),
            rows("dashboard_cadre_assignments"),
        ),
        Tile(
            "never_acted_on",
            _("Concerns never acted on"),
            percent(now_.never_acted_on),
            fraction(now_.never_acted_on),
            rate_change(now_.never_acted_on, before.never_acted_on),
            concerns_url(region, period_query=period_query, never_acted_on=True),
            parts=[Tile("concerns", _("concerns raised"), str(now_.never_acted_on.denominator), url=concerns)],
        ),
        Tile(
            "on_time",
            _("Pledges fulfilled on time"),
            percent(now_.on_time),
            fraction(now_.on_time),
            rate_change(now_.on_time, before.on_time),
            rows("dashboard_pledges"),
        ),
        # Live, whatever the period: the previous period's figure would be the same count.
        Tile(
            "overdue",
            _("Overdue pledges now"),
            str(now_.overdue),
            _("open and past due, whatever the period"),
            url=overdue_url(region),
            parts=[
                Tile(f"aging-{bucket.code}", str(bucket.label), str(now_.aging[bucket.code]), url=overdue_url(region, bucket.code))
                for bucket in AGING_BUCKETS
            ],
        ),
        # Satisfaction is never shown alone: the reopen rate sits next to it (anti-gaming).
        Tile(
            "satisfaction",
            _("Satisfaction"),
            percent(now_.satisfaction),
            fraction(now_.satisfaction),
            rate_change(now_.satisfaction, before.satisfaction),
            rows("dashboard_ratings"),
            parts=[
                Tile(
                    "reopen",
                    _("reopened"),
                    percent(now_.reopen),
                    fraction(now_.reopen),
                    rate_change(now_.reopen, before.reopen),
                    rows("dashboard_pledge_changes", to="reported"),
                )
            ],
        ),
        Tile(
            "burden",
            _("Companions per visit"),
            "—" if now_.burden_average is None else f"{now_.burden_average:.1f}",
            change=count_change(now_.burden_average, before.burden_average, digits=1),
            url=rows("dashboard_visits"),
            parts=[
                Tile(
                    "burden_heavy",
                    _("visits with more than two companions"),
                    percent(now_.burden_heavy),
                    fraction(now_.burden_heavy),
                    rate_change(now_.burden_heavy, before.burden_heavy),
                    rows("dashboard_visits", heavy="yes"),
                )
            ],
        ),
        Tile(
            "confirmation",
            _("Confirmed by the resident"),
            percent(now_.confirmation),
            fraction(now_.confirmation),
            rate_change(now_.confirmation, before.confirmation),
            rows("dashboard_confirmations"),
        ),
    ]
    if petitions := now_.petitions:
        earlier = before.petitions
        tiles.append(
            Tile(
                "petitions",
                _("Petition cases registered"),
                str(petitions.cases),
                change=count_change(petitions.cases, earlier.cases if earlier else None),
                url=rows("dashboard_petitions"),
                parts=[
                    Tile(
                        key,
                        label,
                        percent(ratio),
                        fraction(ratio),
                        rate_change(ratio, getattr(earlier, key)) if earlier else "",
                        rows("dashboard_petitions", figure=figure),
                    )
                    for key, label, ratio, figure in (
                        ("accepted_on_time", _("accepted or declined on time"), petitions.accepted_on_time, "accept_due"),
                        ("replied_on_time", _("replied on time"), petitions.replied_on_time, "reply_due"),
                        ("repeat", _("repeat petitions"), petitions.repeat, "registered"),
                        ("satisfaction", _("satisfied"), petitions.satisfaction, "evaluated"),
                    )
                ],
            )
        )
    return tiles


def region_table(children: list[tuple[Region, AreaFigures]], *, period_query: str) -> Table:
    """One row per child region, its name linking to its own dashboard."""
    columns = [
        Column("region", _("Region"), numeric=False),
        Column("households", _("Households")),
        Column("visits", _("In-person visits")),
        Column("coverage", _("Visit coverage")),
        Column("villages_covered", _("Villages with a cadre")),
        Column("never_acted_on", _("Never acted on")),
        Column("on_time", _("On time")),
        Column("overdue", _("Overdue")),
        Column("satisfaction", _("Satisfaction")),
        Column("reopen", _("Reopened")),
        Column("confirmation", _("Confirmed by residents")),
    ]
    rows = []
    links = RowLinks(None, period_query)
    for region, area in children:
        behind = links.of(region)
        rows.append(
            [
                Cell(region.name, region.path, url=add_query(link("dashboard_region", region.pk), period_query)),
                count_cell(area.households, households_url(region, period_query)),
                count_cell(area.visits, behind("dashboard_visits")),
                ratio_cell(area.visit_coverage, households_url(region, period_query, visited="no")),
                ratio_cell(area.villages_covered, behind("dashboard_villages")),
                ratio_cell(area.never_acted_on, concerns_url(region, period_query=period_query, never_acted_on=True)),
                ratio_cell(area.on_time, behind("dashboard_pledges")),
                count_cell(area.overdue, overdue_url(region)),
                ratio_cell(area.satisfaction, behind("dashboard_ratings")),
                ratio_cell(area.reopen, behind("dashboard_pledge_changes", to="reported")),
                ratio_cell(area.confirmation, behind("dashboard_confirmations")),
            ]
        )
    return Table("regions", columns, rows)


def concern_table(region: Region | None, summary, *, period_query: str) -> Table:
    """问题分类汇总: child regions × categories, each cell linking to the concerns behind it."""
    columns = [Column("region", _("Region"), numeric=False)] + [
        Column(f"category-{category.pk}", category.name) for category in summary.categories
    ]
    households = _("%(n)s households")  # translated once, not once a cell
    links = RowLinks(None, period_query)

    def cell(counted, concerns: RowLinks, category) -> Cell:
        count = counted.concerns if counted else 0
        return Cell(
            str(count),
            sort_value(count),
            url=concerns("dashboard_concerns", category=category.pk) if count else "",
            title=households % {"n": counted.households} if counted else "",
        )

    rows = []
    for child in summary.children:
        concerns = links.of(child)
        rows.append(
            [Cell(child.name, child.path, url=add_query(link("dashboard_region", child.pk), period_query))]
            + [cell(summary.cells.get((child.pk, category.pk)), concerns, category) for category in summary.categories]
        )
    # Under a village there are no child rows: its total is its only row.
    concerns = links.of(region)
    total = [Cell(region.name if region is not None and not summary.children else _("All"))] + [
        cell(summary.totals.get(category.pk), concerns, category) for category in summary.categories
    ]
    return Table("concerns", columns, rows, footer=total)


# --- by unit and by cadre: fulfilment, coverage, regularity and satisfaction side by side ---------
# Listed by name, never ranked: a cadre whose visits carry integrity flags is marked for review,
# which is a question for the supervisor, not a penalty.


def cadre_columns(first: str) -> list[Column]:
    return [
        Column("name", first, numeric=False),
        Column("visits", _("In-person visits")),
        Column("on_time", _("On time")),
        Column("coverage", _("Paired households visited")),
        Column("regularity", _("Months with a visit")),
        Column("burst_share", _("Busiest month's share")),
        Column("satisfaction", _("Satisfaction")),
        Column("reopen", _("Reopened")),
        Column("overdue", _("Overdue")),
        Column("flagged", _("Flagged visits")),
    ]


def cadre_cells(figures: CadreFigures, *, overdue: str = "", rows=None, review: str | None = None) -> list[Cell]:
    """A unit's or cadre's figures; ``rows(name, **query)`` gives the link to the rows behind one.
    ``review``: the flag's text, translated once by a table of many rows."""

    def behind(name: str, count: int, **query) -> str:
        return rows(name, **query) if rows and count else ""

    return [
        count_cell(figures.visits, behind("dashboard_visits", figures.visits)),
        ratio_cell(figures.on_time, behind("dashboard_pledges", figures.on_time.denominator)),
        ratio_cell(figures.coverage, behind("dashboard_pairings", figures.coverage.denominator)),
        ratio_cell(figures.regularity, behind("dashboard_cadre_months", figures.regularity.denominator)),
        ratio_cell(figures.burst_share, behind("dashboard_cadre_months", figures.burst_share.denominator)),
        ratio_cell(figures.satisfaction, behind("dashboard_ratings", figures.satisfaction.denominator)),
        ratio_cell(figures.reopen, behind("dashboard_pledge_changes", figures.reopen.denominator, to="reported")),
        count_cell(figures.overdue, overdue if figures.overdue else ""),
        Cell(
            str(figures.flagged_visits),
            sort_value(figures.flagged_visits),
            url=behind("dashboard_visits", figures.flagged_visits, flagged="on"),
            flag=(review or _("for review")) if figures.flagged_visits else "",
        ),
    ]


def place(region: Region) -> str:
    """Where a unit is: its region after its parent ("County A · Township 1"). Townships of
    different counties may share a name, and so do their governments: a city's list of units
    needs both to tell them apart."""
    return f"{region.parent.name} · {region.name}" if region.parent_id else region.name


def unit_table(
    units: list[tuple[Unit, CadreFigures]], region: Region | None, *, period_query: str, total: CadreFigures | None = None
) -> Table:
    """One row per unit (its cadres' figures summed), each opening its cadres; the total last:
    ``total``, of every unit when ``units`` are some (or none) of them, else theirs."""
    if total is None and units:
        total = sum((unit_figures for _unit, unit_figures in units), CadreFigures())
    rows = []
    behind = RowLinks(region, period_query)
    overdue = RowLinks(region, "")  # the overdue report is live: no period
    review = _("for review")
    for unit, unit_figures in units:
        rows.append(
            [
                Cell(unit.name, unit.name, url=behind("dashboard_cadres", unit=unit.pk)),
                Cell(place(unit.region), place(unit.region), numeric=False),
            ]
            + cadre_cells(
                unit_figures,
                overdue=overdue("overdue_report", unit=unit.name),
                rows=partial(behind, unit=unit.pk),
                review=review,
            )
        )
    footer = None
    if total is not None:
        footer = [Cell(_("All units")), Cell("", numeric=False)] + cadre_cells(
            total, overdue=overdue_url(region), rows=partial(behind, listed="on")
        )
    columns = cadre_columns(_("Unit"))
    return Table("units", columns[:1] + [Column("region", _("Region"), numeric=False)] + columns[1:], rows, footer=footer)


def cadre_table(cadres: list[tuple[Cadre, CadreFigures]], region: Region | None, *, period_query: str) -> Table:
    """One row per cadre, the name opening their performance archive for the same period."""
    behind = RowLinks(region, period_query)
    overdue = RowLinks(region, "")  # the overdue report is live: no period
    review = _("for review")
    rows = [
        [
            Cell(cadre.name, cadre.name, url=add_query(link("cadre_archive", cadre.pk), period_query)),
            Cell(cadre.unit.name, cadre.unit.name, numeric=False),
        ]
        + cadre_cells(
            cadre_figures,
            overdue=overdue("overdue_report", cadre=cadre.name),
            rows=partial(behind, cadre=cadre.pk),
            review=review,
        )
        for cadre, cadre_figures in cadres
    ]
    columns = cadre_columns(_("Cadre"))
    return Table("cadres", columns[:1] + [Column("unit", _("Unit"), numeric=False)] + columns[1:], rows)


def chart_data(
    area: AreaFigures, children: list[tuple[Region, AreaFigures]], trend: list, summary
) -> dict:
    """What the page's charts draw (passed with ``json_script``; the tables hold the same numbers)."""
    months = [point.month.strftime("%Y-%m") for point in trend]
    return {
        "trend": {
            "labels": months,
            "series": [
                {"label": _("In-person visits"), "data": [point.visits for point in trend]},
                {"label": _("Overdue pledges at the month's end"), "data": [point.overdue for point in trend]},
            ],
        },
        "aging": {
            "labels": [str(bucket.label) for bucket in AGING_BUCKETS],
            "series": [{"label": _("Overdue pledges now"), "data": [area.aging[bucket.code] for bucket in AGING_BUCKETS]}],
        },
        "coverage": {
            "labels": [region.name for region, _area in children],
            "series": [
                {
                    "label": _("Visit coverage (%)"),
                    "data": [
                        None if child.visit_coverage.rate is None else round(child.visit_coverage.rate * 100, 1)
                        for _region, child in children
                    ],
                }
            ],
        },
        "concerns": {
            "labels": [month.strftime("%Y-%m") for month in summary.months],
            "series": [
                {"label": category.name, "data": summary.trend.get(category.pk, [])} for category in summary.categories
            ],
        },
    }


@dataclass
class SortLink:
    key: str
    label: str
    url: str
    state: str  # "ascending", "descending" or "" (the aria-sort of its header)


def household_sorts(base_url: str, current: str, *, village: bool) -> list[SortLink]:
    """The household list's headers: each links to the list sorted by it (the other way round
    when it is the current sort). A village's list has no village column."""
    links = []
    for key, label in HOUSEHOLD_COLUMNS:
        if key == "village" and village:
            continue
        state = {key: "ascending", f"-{key}": "descending"}.get(current, "")
        target = f"-{key}" if current == key else key
        links.append(SortLink(key, str(label), add_query(base_url, urlencode({"sort": target})), state))
    return links


@dataclass
class FirstPage:
    """A list's first ``size`` rows and whether more follow, in one query (a paginator's page
    counts the rows first): the village dashboard's households, the rest on the list's own pages."""

    object_list: list
    has_next: bool

    @classmethod
    def of(cls, rows: QuerySet, size: int) -> "FirstPage":
        first = list(rows[: size + 1])
        return cls(first[:size], len(first) > size)

    def __getitem__(self, index):
        return self.object_list[index]

    def __iter__(self):
        return iter(self.object_list)

    def __len__(self) -> int:
        return len(self.object_list)


@dataclass
class Dashboard:
    region: Region | None
    trail: list[Region]
    period: Period
    previous: Period
    now: datetime
    tiles: list[Tile]
    regions: Table
    concerns: Table
    units: Table  # every unit's row if there are at most DASHBOARD_UNITS, else only their total
    units_count: int
    charts: dict
    # When the period's figures were read from rollups, the time they were computed (the overdue
    # count is live all the same); None: computed live, as of ``now``.
    rolled_up_at: datetime | None = None
    period_query: str = ""
    households: FirstPage | None = None  # a village's first page of households
    household_sorts: list[SortLink] = field(default_factory=list)

    @property
    def area_query(self) -> str:
        """The region and the period as query parameters, for the lists of the page's area."""
        region = f"region={self.region.pk}" if self.region is not None else ""
        return "&".join(part for part in (region, self.period_query) if part)


def dashboard(access: Access, region: Region | None, period: Period, *, now: datetime, period_query: str) -> Dashboard:
    """Everything the dashboard of ``region`` (None: the viewer's whole scope) shows for ``period``."""
    shown = figures.dashboard_figures(access, region, period, now=now, units_at_most=DASHBOARD_UNITS)
    page = Dashboard(
        region=region,
        trail=trail(access, region),
        period=period,
        previous=period.previous(),
        now=now,
        tiles=area_tiles(region, shown.area, shown.before, period_query=period_query),
        regions=region_table(shown.children, period_query=period_query),
        concerns=concern_table(region, shown.concerns, period_query=period_query),
        units=unit_table(shown.units.units or [], region, period_query=period_query, total=shown.units.total),
        units_count=shown.units.count,
        charts=chart_data(shown.area, shown.children, shown.trend, shown.concerns),
        rolled_up_at=shown.area.as_of,
        period_query=period_query,
    )
    if region is not None and region.is_village:
        page.households = FirstPage.of(household_rows(access, region, period), HOUSEHOLDS_PAGE_SIZE)
        page.household_sorts = household_sorts(households_url(region, period_query), "name", village=True)
    return page


# --- households of a region, with their last in-person visit -------------------------------------


def households_url(region: Region, period_query: str = "", *, visited: str = "") -> str:
    """The household list of ``region``, all of them or only those ``visited`` ("yes"/"no") in the period."""
    return add_query(link("dashboard_households", region.pk, visited=visited), period_query)


def household_rows(access: Access, region: Region, period: Period, *, visited: str = "", sort: str = "name") -> QuerySet:
    """The active households of ``region`` (those coverage counts), each with its last in-person
    visit and whether it was visited in person in ``period``; ``visited`` "yes"/"no" keeps those
    that were / were not (the numerator and the rest of the coverage figure)."""
    in_person = Visit.objects.in_person().filter(household_id=OuterRef("pk"))
    rows = (
        Household.objects.visible_to(access)
        .active()
        .filter(village__path__startswith=region.path)
        .select_related("village")
        .annotate(
            last_visit=Subquery(in_person.order_by("-visited_at").values("visited_at")[:1]),
            visited=Exists(in_person.filter(period.q("visited_at"))),
        )
    )
    if visited:
        rows = rows.filter(visited=visited == "yes")
    return rows.order_by(*HOUSEHOLD_SORTS[sort or "name"])


# --- concerns behind a cell of the category table -----------------------------------------------


def concerns_url(region: Region | None, category=None, *, period_query: str = "", never_acted_on: bool = False) -> str:
    url = link(
        "dashboard_concerns",
        region=region.pk if region else None,
        category=category.pk if category else None,
        never_acted_on="on" if never_acted_on else None,
    )
    return add_query(url, period_query)


def concern_rows(
    access: Access, *, region: Region | None, period: Period, category=None, never_acted_on: bool = False, now: datetime
) -> QuerySet:
    """The concerns raised in ``period`` in the area that the category table and the
    never-acted-on rate count, newest first."""
    rows = in_area(Concern.objects.visible_to(access), access, region, "village__path").filter(period.q("raised_at"))
    if category is not None:
        rows = rows.filter(category=category)
    if never_acted_on:
        rows = rows.filter(figures.never_acted_on_q(now))
    return rows.select_related("household", "village", "category", "commitment").order_by("-raised_at", "-pk")
