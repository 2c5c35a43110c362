"""The supervisor dashboard: a region's figures for a period, drilling down to its households.

For supervisors, discipline inspectors and administrators (anyone else: 403 with the reason). A
region outside the viewer's scope is 404; an impossible period or filter is 400 with the message
next to its field, and then no figures at all, never another scope's.
"""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from . import dashboard, figures, permissions
from .dashboard_forms import AreaListForm, CadreListForm, ConcernListForm, HouseholdListForm, PeriodForm

readers_only = permissions.readers_only(
    gettext_lazy("The dashboard is for supervisors, discipline inspectors and administrators.")
)


@login_required
@require_GET
@readers_only
def dashboard_home(request):
    """The viewer's whole scope; a scope of one region is that region's dashboard."""
    roots = figures.scope_roots(request.access)
    return _dashboard(request, roots[0] if len(roots) == 1 else None)


@login_required
@require_GET
@readers_only
def dashboard_region(request, pk):
    return _dashboard(request, dashboard.region_or_404(request.access, pk))


def _dashboard(request, region):
    form = PeriodForm(request.GET)
    if not form.is_valid():
        context = {"form": form, "region": region, "trail": dashboard.trail(request.access, region)}
        return render(request, "reports/dashboard.html", context, status=400)
    page = dashboard.dashboard(
        request.access, region, form.to_period(), now=timezone.now(), period_query=form.query()
    )
    context = {"form": form, "region": region, "trail": page.trail, "page": page, "period_query": form.query()}
    return render(request, "reports/dashboard.html", context)


def _listing(request, form, region, rows, size: int) -> dict:
    """What every list page shows: where it is, its filters and period, and a page of its rows."""
    return {
        "form": form,
        "region": region,
        "trail": dashboard.trail(request.access, region),
        "period": form.to_period(),
        "period_query": form.query(),
        "page": Paginator(rows, size).get_page(request.GET.get("page")),
    }


@login_required
@require_GET
@readers_only
def dashboard_households(request, pk):
    """A region's active households with their last in-person visit, optionally only those
    visited (or not) in the period: the rows behind the coverage figure."""
    region = dashboard.region_or_404(request.access, pk)
    form = HouseholdListForm(request.GET)
    if not form.is_valid():
        context = {"form": form, "region": region, "trail": dashboard.trail(request.access, region)}
        return render(request, "reports/dashboard_households.html", context, status=400)
    visited, sort = form.cleaned_data["visited"], form.cleaned_data["sort"] or "name"
    rows = dashboard.household_rows(request.access, region, form.to_period(), visited=visited, sort=sort)
    context = _listing(request, form, region, rows, dashboard.HOUSEHOLDS_PAGE_SIZE)
    listed = dashboard.households_url(region, form.query(), visited=visited)
    context["sorts"] = dashboard.household_sorts(listed, sort, village=region.is_village)
    return render(request, "reports/dashboard_households.html", context)


@login_required
@require_GET
@readers_only
def dashboard_concerns(request):
    """The concerns behind a cell of the table by category and region (or behind the
    never-acted-on rate)."""
    form = ConcernListForm(request.GET, access=request.access)
    if not form.is_valid():
        return render(request, "reports/dashboard_concerns.html", {"form": form}, status=400)
    region = form.cleaned_data["region"]
    rows = dashboard.concern_rows(
        request.access,
        region=region,
        period=form.to_period(),
        category=form.cleaned_data["category"],
        never_acted_on=form.cleaned_data["never_acted_on"],
        now=timezone.now(),
    )
    context = _listing(request, form, region, rows, dashboard.CONCERNS_PAGE_SIZE)
    return render(request, "reports/dashboard_concerns.html", context)


@login_required
@require_GET
@readers_only
def dashboard_cadres(request):
    """Cadres' figures side by side, a page at a time: of one unit, or of a region."""
    form = CadreListForm(request.GET, access=request.access)
    if not form.is_valid():
        return render(request, "reports/dashboard_cadres.html", {"form": form}, status=400)
    region, unit = form.cleaned_data["region"], form.cleaned_data["unit"]
    chosen = figures.cadres_in(request.access, region=region, unit=unit).order_by("unit__name", "name", "pk")
    context = _listing(request, form, region, chosen, dashboard.CADRES_PAGE_SIZE)
    rows = figures.cadre_figures(
        request.access, context["period"], now=timezone.now(), region=region, unit=unit, cadres=context["page"].object_list
    )
    context |= {
        "unit": unit,
        "table": dashboard.cadre_table(rows, region, period_query=context["period_query"]),
    }
    return render(request, "reports/dashboard_cadres.html", context)


@login_required
@require_GET
@readers_only
def dashboard_units(request):
    """Every unit's figures (its cadres' in the region, summed), a page at a time in name order,
    with the total of all of them: the dashboard's table by unit when it has too many to list."""
    form = AreaListForm(request.GET, access=request.access)
    if not form.is_valid():
        return render(request, "reports/dashboard_units.html", {"form": form}, status=400)
    region = form.cleaned_data["region"]
    units = figures.unit_figures(request.access, form.to_period(), now=timezone.now(), region=region)
    context = _listing(request, form, region, units, dashboard.UNITS_PAGE_SIZE)
    total = sum((unit_figures for _unit, unit_figures in units), figures.CadreFigures()) if units else None
    context["table"] = dashboard.unit_table(
        context["page"].object_list, region, period_query=context["period_query"], total=total
    )
    return render(request, "reports/dashboard_units.html", context)
