"""The rows behind the dashboard's numbers ("37 overdue" opens those 37).

Each function here returns the rows one figure of ``reports.figures`` counts, chosen through the
figure's own conditions (its ``Q`` objects, and the filters of its measures through ``counted``),
so that a list holds exactly as many rows as the number that links to it:

- scoped with ``visible_to(access)``, in ``region``'s subtree (None: the viewer's whole dashboard
  scope, ``dashboard.in_area``), in ``period``;
- for the tables by unit and by cadre, only the rows of ``cadres`` (``figures.cadres_in``: the
  chosen cadres of one unit, one cadre, or all those the unit table sums), counted in the region
  as those tables count them;
- a ratio opens its denominator's rows as a ``Listing`` whose ``part`` is what its numerator
  counts: each row is marked (``counted``), and the page can keep only those or only the rest.

The lists are live (the dashboard may read rollups as of their last refresh: DESIGN.md §4).
"""

from dataclasses import dataclass

from django.core.paginator import Page, Paginator
from django.db.models import BooleanField, Case, Count, Q, QuerySet, Value, When
from django.utils.functional import cached_property

from households.access import Access
from households.models import Region
from visits.models import Visit

from . import figures
from .dashboard import in_area
from .figures import Period

PAGE_SIZE = 50


def counted(measure: Count) -> Q:
    """The rows one of the figures' counts (``figures.count_where``) counts: its filter."""
    return measure.filter if measure.filter is not None else Q()


@dataclass
class Listing:
    """The rows a number counts; for a ratio, its denominator's, with ``part`` its numerator's."""

    rows: QuerySet
    part: Q | None = None


@dataclass
class Tally:
    total: int  # rows the number counts (the denominator of a ratio)
    counted: int | None = None  # of those, the numerator's (None: not a ratio)

    @property
    def rest(self) -> int | None:
        return None if self.counted is None else self.total - self.counted


class _CountedPaginator(Paginator):
    """A paginator told its count (the tally has just counted the rows: no second COUNT)."""

    def __init__(self, object_list, per_page, *, count: int):
        super().__init__(object_list, per_page)
        self._count = count

    @cached_property
    def count(self) -> int:
        return self._count


def listing_page(listing: Listing, *, part: str = "", page=1, size: int = PAGE_SIZE) -> tuple[Page, Tally]:
    """A page of ``listing``'s rows, all of them or only those its numerator counts (``part``
    "yes") or does not ("no"), each marked ``counted``; and the tally of all its rows."""
    rows = listing.rows
    if listing.part is None:
        tally = Tally(rows.count())
        return _CountedPaginator(rows, size, count=tally.total).get_page(page), tally
    sums = rows.aggregate(total=Count("pk"), counted=Count("pk", filter=listing.part))
    tally = Tally(sums["total"], sums["counted"])
    rows = rows.annotate(
        counted=Case(When(listing.part, then=Value(True)), default=Value(False), output_field=BooleanField())
    )
    if part == "yes":
        rows, count = rows.filter(listing.part), tally.counted
    elif part == "no":
        rows, count = rows.exclude(listing.part), tally.rest
    else:
        count = tally.total
    return _CountedPaginator(rows, size, count=count).get_page(page), tally


# --- visits: in-person visits, burden, flagged visits ---------------------------------------------


def visit_rows(
    access: Access,
    *,
    region: Region | None,
    period: Period,
    cadres: QuerySet | None = None,
    flagged: bool = False,
) -> Listing:
    """The in-person visits of the period (the visits figure, and the burden's denominator),
    those with more than two companions their part; or, ``flagged``, the visits of any kind
    with an integrity flag (the cadre tables' flagged visits)."""
    rows = in_area(Visit.objects.visible_to(access), access, region, "village__path").filter(period.q("visited_at"))
    if cadres is not None:
        rows = rows.filter(cadre__in=cadres)
    if flagged:
        return Listing(_visit_columns(rows.filter(figures.ANY_FLAG)))
    return Listing(_visit_columns(rows.filter(figures.IN_PERSON)), counted(figures.VISIT_MEASURES["heavy_visits"]))


def _visit_columns(rows: QuerySet) -> QuerySet:
    return rows.select_related("cadre__unit", "household", "village", "resident_code").order_by("-visited_at", "-pk")


def cadre_choice(
    access: Access, *, region: Region | None, unit=None, cadre=None, listed: bool = False
) -> QuerySet | None:
    """The cadres whose rows a link from the table by unit or by cadre counts: the chosen
    cadres (``figures.cadres_in``) of ``unit``, ``cadre`` alone, or all of them (``listed``, the
    units' total); None when the link is not from those tables."""
    if unit is None and cadre is None and not listed:
        return None
    chosen = figures.cadres_in(access, region=region, unit=unit, cadres=[cadre] if cadre is not None else None)
    return chosen.order_by().values("pk")
