"""The lists behind the dashboard's numbers: each number links to exactly the rows it counts.

For the dashboard's readers (anyone else: 403 with the reason). A region outside the viewer's
scope, or unknown, is 404; an impossible period or filter is 400 with the message next to its
field, and then no rows at all.
"""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from . import dashboard, rows
from .dashboard_views import readers_only
from .rows_forms import VisitRowsForm


def _region(request):
    """The region a list is of (None: the whole scope); 404 outside the viewer's scope. A value
    that is not a number is left to the form, which says so next to its field."""
    value = request.GET.get("region", "")
    return dashboard.region_or_404(request.access, value) if value.isdigit() else None


def _parts(request, form, tally: rows.Tally) -> list[dict]:
    """The links that keep all of a ratio's rows, its numerator's, or the rest, with their counts."""
    if tally.counted is None:
        return []
    field = form.fields[form.part]
    labels = dict(field.choices)
    chosen = form.cleaned_data[form.part]
    links = []
    for value, count in (("", tally.total), ("yes", tally.counted), ("no", tally.rest)):
        query = request.GET.copy()
        query.pop("page", None)
        query.pop(form.part, None)
        if value:
            query[form.part] = value
        label = _("All") if not value else labels[value]
        links.append(
            {
                "key": value or "all",
                "label": label,
                "count": count,
                "url": f"?{query.urlencode()}",
                "active": value == chosen,
            }
        )
    return links


def _rows_page(request, form_class, template: str, listing_of, title_of):
    """A page of the rows ``listing_of(form, region, cadres)`` returns, as chosen by the form,
    under the title ``title_of(cleaned_data)`` (of the fields that are valid, on a bad filter)."""
    region = _region(request)
    form = form_class(request.GET, access=request.access)
    valid = form.is_valid()
    context = {
        "form": form,
        "region": region,
        "title": title_of(form.cleaned_data),
        "trail": dashboard.trail(request.access, region),
    }
    if not valid:
        return render(request, template, context, status=400)
    data = form.cleaned_data
    cadres = rows.cadre_choice(
        request.access, region=region, unit=data["unit"], cadre=data["cadre"], listed=data["listed"]
    )
    listing = listing_of(form, region, cadres)
    part = data.get(form.part, "") if form.part else ""
    page, tally = rows.listing_page(listing, part=part, page=request.GET.get("page"))
    context |= {
        "period": form.to_period(),
        "period_query": form.query(),
        "page": page,
        "tally": tally,
        "parts": _parts(request, form, tally),
        "unit": data["unit"],
        "cadre": data["cadre"],
    }
    return render(request, template, context)


@login_required
@require_GET
@readers_only
def dashboard_visits(request):
    """The in-person visits behind the visits and burden figures (or the flagged visits)."""

    def listing(form, region, cadres):
        return rows.visit_rows(
            request.access, region=region, period=form.to_period(), cadres=cadres, flagged=form.cleaned_data["flagged"]
        )

    def title(data):
        return _("Visits with an integrity flag") if data.get("flagged") else _("In-person visits")

    return _rows_page(request, VisitRowsForm, "reports/rows_visits.html", listing, title)
