"""The lists behind the dashboard's numbers: each number links to exactly the rows it counts.

For the dashboard's readers (anyone else: 403 with the reason). A region outside the viewer's
scope, or unknown, is 404; an impossible period or filter is 400 with the message next to its
field, a page that is not one of the list's 400 with the message over the filters, and then no
rows at all.
"""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from . import dashboard, rows
from .dashboard_views import readers_only
from .rows_forms import (
    CadreAssignmentRowsForm,
    CadreMonthRowsForm,
    ConfirmationRowsForm,
    PairingRowsForm,
    PetitionRowsForm,
    PledgeRowsForm,
    RatingRowsForm,
    StatusChangeRowsForm,
    VillageRowsForm,
    VisitRowsForm,
)


def _region(request, form):
    """The region a list is of, as ``form`` (validated) chose it among the viewer's (None: the
    whole scope); 404 for a number that is not one of them (outside the scope, or unknown).
    Another value is left to the form, which says so next to its field."""
    value = request.GET.get("region", "")
    # ASCII digits only: "²" is a digit to Python, not a number to the database.
    if "region" in form.errors and value.isascii() and value.isdigit():
        raise Http404
    return form.cleaned_data.get("region")


def _parts(request, form, tally: dict[str, int | None]) -> list[dict]:
    """Links that keep all the rows or one part of them, with their counts."""
    if len(tally) == 1:
        return []
    chosen = form.cleaned_data[form.part]
    links = []
    for value, label in form.fields[form.part].choices:
        query = request.GET.copy()
        query.pop("page", None)
        query.pop(form.part, None)
        if value:
            query[form.part] = value
        key = value or "all"
        links.append(
            {
                "key": key,
                "label": label if value else _("All"),
                "count": tally[key],
                # Not counted beyond COUNT_SHOWN (``rows.listing_page``): all the rows, or the
                # part chosen; another part's count is then unknown.
                "more": tally[key] is None and (key == "all" or value == chosen),
                "url": f"?{query.urlencode()}",
                "active": value == chosen,
            }
        )
    return links


def _rows_page(request, form_class, selector, template: str, title, options: tuple[str, ...], at_now: bool):
    form = form_class(request.GET, access=request.access)
    valid = form.is_valid()
    region = _region(request, form)
    data = form.cleaned_data
    context = {
        "form": form,
        "region": region,
        # Of the fields that are valid, on a bad filter.
        "title": title(data) if callable(title) else title,
        "trail": dashboard.trail(request.access, region),
    }
    if not valid:
        return render(request, template, context, status=400)
    chosen = {name: data[name] for name in options}
    if "unit" in data:
        chosen["cadres"] = rows.cadre_choice(
            request.access, region=region, unit=data["unit"], cadre=data["cadre"], listed=data["listed"]
        )
    if at_now:
        chosen["now"] = timezone.now()
    listing = selector(request.access, region=region, period=form.to_period(), **chosen)
    try:
        page, tally = rows.listing_page(listing, part=data[form.part], page=request.GET.get("page"))
    except rows.NoSuchPage as error:
        form.add_error(None, _("Choose a page from 1 to %(last)s.") % {"last": error.last})
        return render(request, template, context, status=400)
    context |= {
        "period": form.to_period(),
        "period_query": form.query(),
        "page": page,
        "tally": tally,
        "parts": _parts(request, form, tally),
        "count_shown": rows.COUNT_SHOWN,
        "unit": data.get("unit"),
        "cadre": data.get("cadre"),
    }
    return render(request, template, context)


def _rows_view(form_class, selector, template: str, title, *, options: tuple[str, ...] = (), at_now: bool = False):
    """A page of the rows ``selector`` (of ``reports.rows``) returns for the region, period and
    cadres the form chose, passing it the form's ``options`` too (and ``now``, ``at_now``);
    ``title``: a text, or a function of the form's data."""

    @login_required
    @require_GET
    @readers_only
    def view(request):
        return _rows_page(request, form_class, selector, template, title, options, at_now)

    view.__doc__ = selector.__doc__
    return view


dashboard_visits = _rows_view(
    VisitRowsForm,
    rows.visit_rows,
    "reports/rows_visits.html",
    lambda data: _("Visits with an integrity flag") if data.get("flagged") else _("In-person visits"),
    options=("flagged",),
)
dashboard_cadre_months = _rows_view(
    CadreMonthRowsForm,
    rows.cadre_month_rows,
    "reports/rows_cadre_months.html",
    gettext_lazy("In-person visits by month"),
    at_now=True,
)
dashboard_pledges = _rows_view(
    PledgeRowsForm, rows.pledge_rows, "reports/rows_pledges.html", gettext_lazy("Pledges due")
)
dashboard_pledge_changes = _rows_view(
    StatusChangeRowsForm,
    rows.status_change_rows,
    "reports/rows_status_changes.html",
    lambda data: {"reported": _("Pledges reported done"), "reopened": _("Pledges reopened")}.get(
        data.get("to"), _("Pledges reported done or reopened")
    ),
)
dashboard_ratings = _rows_view(
    RatingRowsForm, rows.rating_rows, "reports/rows_codes.html", gettext_lazy("Residents' ratings of pledges")
)
dashboard_confirmations = _rows_view(
    ConfirmationRowsForm, rows.confirmation_rows, "reports/rows_codes.html", gettext_lazy("Resident codes offered")
)
dashboard_villages = _rows_view(
    VillageRowsForm, rows.village_rows, "reports/rows_villages.html", gettext_lazy("Villages"), at_now=True
)
dashboard_cadre_assignments = _rows_view(
    CadreAssignmentRowsForm,
    rows.cadre_assignment_rows,
    "reports/rows_cadre_assignments.html",
    gettext_lazy("Cadres of the units"),
    at_now=True,
)
dashboard_pairings = _rows_view(
    PairingRowsForm, rows.pairing_rows, "reports/rows_pairings.html", gettext_lazy("Paired households"), at_now=True
)


def _petitions_title(data) -> str:
    figure = dict(PetitionRowsForm.base_fields["figure"].choices).get(data.get("figure"))
    return f"{_('Petition cases')} · {figure}" if figure else _("Petition cases")


dashboard_petitions = _rows_view(
    PetitionRowsForm, rows.petition_rows, "reports/rows_petitions.html", _petitions_title, options=("figure",)
)
