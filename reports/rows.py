"""The rows behind the dashboard's numbers ("37 overdue" opens those 37).

Each function here returns the rows one figure of ``reports.figures`` counts, chosen through the
figure's own conditions (its ``Q`` objects, and the filters of its measures through ``counted``),
so that a list holds exactly as many rows as the number that links to it:

- scoped with ``visible_to(access)``, in ``region``'s subtree (None: the viewer's whole dashboard
  scope, ``dashboard.in_area``), in ``period``;
- for the tables by unit and by cadre, only the rows of ``cadres`` (``figures.cadres_in``: the
  chosen cadres of one unit, one cadre, or all those the unit table sums), counted in the region
  as those tables count them;
- a ratio opens its denominator's rows, with its numerator's as the part "yes" of the
  ``Listing``: each row is marked (``counted``), and the page can keep only those or the rest
  ("no"). A list may name other parts (the reports of done and the reopenings of the reopen rate).

The lists are live (the dashboard may read rollups as of their last refresh: DESIGN.md §4). A
list counts its rows up to ``COUNT_SHOWN`` and pages those (``listing_page``): a larger number
opens a list that says "more than" that.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime

from django.core.paginator import InvalidPage, Page, Paginator
from django.db.models import BooleanField, Case, Count, Exists, OuterRef, Prefetch, Q, QuerySet, Value, When
from django.utils import timezone
from django.utils.functional import cached_property

from cadres.models import Cadre, ContactPoint, Pairing, Posting
from casework.models import Commitment, CommitmentTransition, PetitionCase, ResidentCode
from households.access import Access, id_from
from households.models import Household, Region
from visits.models import Visit

from . import figures
from .dashboard import in_area
from .figures import Period
from .selectors import COUNT_SHOWN

PAGE_SIZE = 50


def counted(measure: Count) -> Q:
    """The rows one of the figures' counts (``figures.count_where``) counts: its filter."""
    return measure.filter if measure.filter is not None else Q()


@dataclass
class Listing:
    """The rows a number counts, and named parts of them the page counts and can keep alone."""

    rows: QuerySet
    parts: dict[str, Q] = field(default_factory=dict)
    # A ratio's denominator: its part "yes" is the numerator, whose rows are marked ``counted``,
    # and "no" the rest.
    ratio: bool = False
    # What each row of a page is given to show, if anything (``rows(page_rows)``).
    present: Callable[[list], None] | None = None


def ratio_listing(rows: QuerySet, numerator: Q) -> Listing:
    return Listing(rows, {"yes": numerator}, ratio=True)


class _CountedPaginator(Paginator):
    """A paginator told its count (the tally has just counted the rows: no second COUNT);
    ``more``: the list has more rows than that, which are not paged (``COUNT_SHOWN``)."""

    def __init__(self, object_list, per_page, *, count: int, more: bool = False):
        super().__init__(object_list, per_page)
        self._count = count
        self.more = more

    @cached_property
    def count(self) -> int:
        return self._count


class NoSuchPage(ValueError):
    """A page number that is not one of the list's pages, 1 to ``last``."""

    def __init__(self, last: int):
        super().__init__(last)
        self.last = last


def _flag(q: Q) -> Case:
    """Whether a row is one of those ``q`` chooses."""
    return Case(When(q, then=Value(True)), default=Value(False), output_field=BooleanField())


def _upto(rows: QuerySet, parts: dict[str, Q]) -> dict[str, int]:
    """How many of the first ``COUNT_SHOWN + 1`` of ``rows`` there are ("all"), and how many of
    them are in each of ``parts``, in one query. They are the first in the list's order, which
    an index of that order finds without reading the others (a city's quarter has 1.3 million
    visits: counting them all took one to three seconds, reading 10,001 of them milliseconds)."""
    first = rows.annotate(**{f"in_{name}": _flag(q) for name, q in parts.items()})[: COUNT_SHOWN + 1]
    return first.aggregate(all=Count("pk"), **{name: Count("pk", filter=Q(**{f"in_{name}": True})) for name in parts})


def listing_page(
    listing: Listing, *, part: str = "", page: str | None = "", size: int = PAGE_SIZE
) -> tuple[Page, dict[str, int | None]]:
    """A page of ``listing``'s rows, all of them or one ``part``; and the tally: how many rows
    in all ("all") and in each part, counted in one query. A list of more than ``COUNT_SHOWN``
    rows is counted no further (its tally is None, but for the part chosen when that has no
    more than ``COUNT_SHOWN``), and only its first ``COUNT_SHOWN`` rows are paged. ``page``:
    the page's number as given (none: the first); ``NoSuchPage`` for any other.

    The page's rows are chosen by their ids alone, in the list's order, and only those are
    joined to what a row shows (and marked ``counted``): a city's list has a million rows, which
    the database would otherwise join before it sorts them."""
    rows = listing.rows
    tally: dict[str, int | None] = _upto(rows, listing.parts)
    if tally["all"] > COUNT_SHOWN:
        tally = dict.fromkeys(tally)
    if listing.ratio:
        tally["no"] = None if tally["all"] is None else tally["all"] - tally["yes"]
    chosen = rows
    if part == "no":
        chosen = rows.exclude(listing.parts["yes"])
    elif part:
        chosen = rows.filter(listing.parts[part])
    count = tally[part or "all"]
    if count is None and part:
        count = _upto(chosen, {})["all"]
        tally[part] = count if count <= COUNT_SHOWN else None
    more = count is None or count > COUNT_SHOWN
    paginator = _CountedPaginator(
        chosen.values_list("pk", flat=True), size, count=COUNT_SHOWN if more else count, more=more
    )
    number = id_from(page) if page else 1
    if number is None:
        raise NoSuchPage(paginator.num_pages)
    try:
        page = paginator.page(number)
    except InvalidPage:
        raise NoSuchPage(paginator.num_pages) from None
    ids = list(page.object_list)
    shown = rows.filter(pk__in=ids).order_by()
    if listing.ratio:
        shown = shown.annotate(counted=_flag(listing.parts["yes"]))
    by_pk = {row.pk: row for row in shown}
    page.object_list = [by_pk[pk] for pk in ids]
    if listing.present:
        listing.present(page.object_list)
    return page, tally


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
    those with more than two companions its numerator; or, ``flagged``, the visits of any kind
    with an integrity flag (the cadre tables' flagged visits), those with more than two
    companions marked the same way."""
    rows = in_area(Visit.objects.visible_to(access), access, region, "village__path").filter(period.q("visited_at"))
    if cadres is not None:
        rows = rows.filter(cadre__in=cadres)
    rows = rows.filter(figures.ANY_FLAG if flagged else figures.IN_PERSON)
    return ratio_listing(_visit_columns(rows), counted(figures.VISIT_MEASURES["heavy_visits"]))


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


def cadre_month_rows(
    access: Access, *, region: Region | None, period: Period, cadres: QuerySet | None = None, now: datetime
) -> Listing:
    """The cadres of a unit's or a cadre's row (all those the table by unit sums, without one),
    each with their in-person visits in the region in every month of the period begun by
    ``now``: the rows behind regularity (months with a visit ÷ cadres × months) and burst share
    (each cadre's busiest month's visits ÷ their visits). Those with a visit in every month are
    the part "yes"."""
    if cadres is None:
        cadres = figures.cadres_in(access, region=region).order_by().values("pk")
    visits = in_area(Visit.objects.visible_to(access), access, region, "village__path").filter(figures.IN_PERSON)
    begun = figures.months_begun(period, now)
    months = [
        (month, q) for month, q in zip(period.months(), figures.month_qs(period, "visited_at"), strict=True) if month in begun
    ]
    rows = Cadre.objects.filter(pk__in=cadres).select_related("unit").order_by("unit__name", "name", "pk")
    every_month = Q(*(Exists(visits.filter(q, cadre=OuterRef("pk"))) for _month, q in months))

    def present(shown: list[Cadre]) -> None:
        """Each cadre's visits a month, counted for the page's cadres alone (in one query)."""
        slot = Case(*(When(q, then=Value(i)) for i, (_month, q) in enumerate(months)), default=Value(-1))
        counts = {
            (row["cadre_id"], row["slot"]): row["n"]
            for row in visits.filter(period.q("visited_at"), cadre__in=[cadre.pk for cadre in shown])
            .order_by()
            .values("cadre_id", slot=slot)
            .annotate(n=Count("pk"))
        }
        for cadre in shown:
            cadre.months = [(month, counts.get((cadre.pk, i), 0)) for i, (month, _q) in enumerate(months)]
            visited = [n for _month, n in cadre.months]
            cadre.regularity = figures.Ratio(sum(1 for n in visited if n), len(visited))
            cadre.burst_share = figures.Ratio(max(visited, default=0), sum(visited))

    return Listing(rows, {"yes": every_month}, ratio=True, present=present)


# --- pledges: on-time fulfilment, reopen rate, satisfaction, confirmation -------------------------


def _commitments(access: Access, region: Region | None, cadres: QuerySet | None) -> QuerySet:
    """Commitments in the area (by their village), of ``cadres`` when given (their owners)."""
    rows = in_area(Commitment.objects.visible_to(access), access, region, "village__path")
    return rows if cadres is None else rows.filter(owner__in=cadres)


def pledge_rows(access: Access, *, region: Region | None, period: Period, cadres: QuerySet | None = None) -> Listing:
    """The pledges due in the period, cancelled ones left out (on-time fulfilment's
    denominator), those confirmed by their due date its numerator."""
    measures = figures.due_measures(period)
    rows = _commitments(access, region, cadres).filter(counted(measures["due"]))
    rows = rows.select_related("owner__unit", "household", "village", "category").order_by("due_at", "pk")
    return ratio_listing(rows, counted(measures["on_time"]))


def status_change_rows(
    access: Access, *, region: Region | None, period: Period, cadres: QuerySet | None = None
) -> Listing:
    """The pledges' reports of done in the period (the reopen rate's denominator, part
    "reported") and their reopenings (its numerator, part "reopened")."""
    reported, reopened = (counted(figures.TRANSITION_MEASURES[name]) for name in ("reported", "reopened"))
    rows = (
        CommitmentTransition.objects.filter(commitment__in=_commitments(access, region, cadres))
        .filter(period.q("at"))
        .filter(reported | reopened)
        .select_related("commitment__owner__unit", "commitment__household", "commitment__village")
        .order_by("-at", "-pk")
    )
    return Listing(rows, {"reported": reported, "reopened": reopened})


def _code_columns(rows: QuerySet, order: str) -> QuerySet:
    return rows.select_related(
        "visit__cadre__unit",
        "visit__household",
        "visit__village",
        "commitment__owner__unit",
        "commitment__household",
        "commitment__village",
    ).order_by(order, "-pk")


def rating_rows(access: Access, *, region: Region | None, period: Period, cadres: QuerySet | None = None) -> Listing:
    """The residents' ratings of pledges in the period (satisfaction's denominator: their codes
    used in it), satisfied or basically satisfied its numerator."""
    measures = figures.code_measures(period)
    rows = ResidentCode.objects.filter(commitment__in=_commitments(access, region, cadres)).filter(
        counted(measures["evaluated"])
    )
    return ratio_listing(_code_columns(rows, "-used_at"), counted(measures["satisfied"]))


def confirmation_rows(
    access: Access, *, region: Region | None, period: Period, cadres: QuerySet | None = None
) -> Listing:
    """The resident codes offered (the confirmation rate's denominator): those of the period's
    in-person visits and the pledges' codes issued in it; those used its numerator."""
    visits = visit_rows(access, region=region, period=period, cadres=cadres).rows.order_by()
    commitments = Q(commitment__in=_commitments(access, region, cadres))
    visit_measures, measures = figures.VISIT_MEASURES, figures.code_measures(period)

    def codes(visit_measure: str, code_measure: str) -> Q:
        of_visits = visits.filter(counted(visit_measures[visit_measure])).values("resident_code_id")
        return Q(pk__in=of_visits) | (commitments & counted(measures[code_measure]))

    rows = ResidentCode.objects.filter(codes("visit_codes_offered", "codes_offered"))
    return ratio_listing(_code_columns(rows, "-created_at"), codes("visit_codes_confirmed", "codes_confirmed"))


# --- assignments: the two full coverages, paired households visited ---------------------------------


def assignments_on(period: Period, now: datetime) -> date:
    """The day assignments are counted on: the period's last day, today for a period still
    running (as the figures count them)."""
    return min(period.end, timezone.localdate(now))


def village_rows(access: Access, *, region: Region | None, period: Period, now: datetime) -> Listing:
    """The villages (the contact coverage's denominator), those with a contact or posted cadre
    on the day assignments are counted its numerator; each with those cadres."""
    on = assignments_on(period, now)
    rows = (
        in_area(Region.objects.visible_to(access).villages(), access, region, "path")
        .select_related("parent")
        .prefetch_related(
            Prefetch("contact_points", ContactPoint.objects.current(on).select_related("cadre"), to_attr="contacts"),
            Prefetch("postings", Posting.objects.current(on).select_related("cadre"), to_attr="posted"),
        )
        .order_by("path")
    )
    return ratio_listing(rows, figures.village_assigned(on))


def cadre_assignment_rows(access: Access, *, region: Region | None, period: Period, now: datetime) -> Listing:
    """The active cadres of the area's units (the cadres' coverage's denominator), those with a
    contact village, a posting or a pairing on the day assignments are counted its numerator."""
    on = assignments_on(period, now)
    rows = in_area(Cadre.objects.visible_to(access).filter(is_active=True), access, region, "unit__region__path")
    rows = rows.select_related("unit").order_by("unit__name", "name", "pk")
    return ratio_listing(rows, figures.has_assignment(on))


def pairing_rows(
    access: Access, *, region: Region | None, period: Period, cadres: QuerySet | None = None, now: datetime
) -> Listing:
    """The active households paired with ``cadres`` on the day assignments are counted, one row
    per cadre and household (the cadre figures' coverage denominator), those the cadre visited
    in person in the period its numerator."""
    on = assignments_on(period, now)
    pairings = Pairing.objects.current(on).filter(household__in=Household.objects.visible_to(access).active())
    pairings = in_area(pairings, access, region, "household__village__path")
    if cadres is not None:
        pairings = pairings.filter(cadre__in=cadres)
    # Two pairings in force of the same cadre and household (one ending, one starting) count
    # once: the first. Said as "no earlier one", a few index reads a row, not as the first of
    # each pair grouped over them all (a city's 500,000 pairings took seconds, three times a page).
    earlier = Pairing.objects.current(on).filter(
        cadre_id=OuterRef("cadre_id"), household_id=OuterRef("household_id"), pk__lt=OuterRef("pk")
    )
    rows = (
        pairings.filter(~Exists(earlier))
        .select_related("cadre__unit", "household__village")
        .order_by("cadre__name", "cadre_id", "household__head_name", "pk")
    )
    return ratio_listing(rows, counted(figures.pairing_measures(period)["paired_visited"]))


# --- petition cases ---------------------------------------------------------------------------------

# Each petition figure's cases (``figures.petition_measures``), and those its numerator counts:
# cases registered (the repeat rate: repeats), due to be accepted or declined (on time), due to be
# replied to (on time), replied and evaluated (satisfied).
PETITION_FIGURES = {
    "registered": ("petitions", "petitions_repeated"),
    "accept_due": ("accept_due", "accepted_on_time"),
    "reply_due": ("reply_due", "replied_on_time"),
    "evaluated": ("petitions_evaluated", "petitions_satisfied"),
}


def petition_rows(access: Access, *, region: Region | None, period: Period, figure: str = "registered") -> Listing:
    """The petition cases one of the petition figures counts in the period (``PETITION_FIGURES``)."""
    denominator, numerator = (counted(figures.petition_measures(period)[name]) for name in PETITION_FIGURES[figure])
    rows = in_area(PetitionCase.objects.visible_to(access), access, region, "village__path").filter(denominator)
    rows = rows.select_related("village", "category", "owning_leader__unit").order_by("-registered_at", "-pk")
    return ratio_listing(rows, numerator)
