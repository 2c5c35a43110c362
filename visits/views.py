import functools

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from cadres.selectors import cadre_responsibilities, scope_summaries
from casework.calendar import WorkingCalendar
from casework.services import deadline_table
from households.access import id_from
from households.models import Household

from . import selectors
from .forms import ConcernFormSet, VisitAmendForm, VisitForm
from .models import Visit
from .photos import photo_hold, photo_tokens_valid, visit_attach_photos
from .services import VisitConflict, VisitInput, visit_amend, visit_can_amend, visit_record


@login_required
def home(request):
    """My work for a cadre; scopes for supervisors and inspectors."""
    access = request.access
    search = request.GET.get("q", "")[:50]
    return render(
        request,
        "visits/home.html",
        {
            "responsibilities": cadre_responsibilities(access),
            "scopes": scope_summaries(access) if access.is_supervisor or access.is_inspector else [],
            "households": selectors.my_households(access, search=search) if access.is_cadre or search else [],
            "commitments": selectors.my_open_commitments(access),
            "search": search,
            "households_cut_at": selectors.MY_HOUSEHOLDS_SHOWN,
            "now": timezone.now(),
        },
    )


@login_required
def household_detail(request, pk):
    return render(request, "visits/household.html", selectors.household_page(request.access, pk) | {"now": timezone.now()})


@login_required
@require_GET
def petition_detail(request, pk):
    """A petition case, read only, for whoever may see it (scopes over its village, its owning leader)."""
    return render(request, "visits/petition_detail.html", selectors.petition_page(request.access, pk))


@login_required
def visit_new(request):
    access = request.access
    # Cadres log their own visits; supervisors and administrators may record one on a cadre's
    # behalf (shown as such). Inspectors only read.
    if not (access.is_cadre or access.is_supervisor or access.is_admin):
        messages.error(request, _("Only a cadre can log a visit."))
        return redirect("home")
    # Read only when a concern's due date is checked: most visits pledge with the proposed date.
    calendar = SimpleLazyObject(WorkingCalendar)
    form_kwargs = {"access": access, "my_households": lambda: selectors.my_households(access)}
    initial = {}
    if household_id := request.GET.get("household", ""):
        if (number := id_from(household_id)) is not None:
            initial["household"] = Household.objects.get_visible_or_404(access, pk=number).pk
    form = VisitForm(request.POST or None, request.FILES or None, initial=initial, **form_kwargs)
    concerns = ConcernFormSet(request.POST or None, prefix="concerns", form_kwargs={"access": access, "calendar": calendar})
    valid = request.method == "POST" and form.is_valid() & concerns.is_valid()
    held = photo_tokens_valid(request.user, request.POST.get("held_photos", "").split(",")) if request.POST else []
    if valid:
        try:
            visit, created = _record(request, form, concerns)
        except VisitConflict as conflict:
            form.add_error(None, conflict.message)
        except ValidationError as error:
            _place_errors(form, error)
        else:
            if created:
                visit_attach_photos(visit=visit, user=request.user, processed=form.cleaned_data["photos"], tokens=held)
                messages.success(request, _("Visit recorded."))
            return redirect("visit_detail", pk=visit.pk)
    if request.method == "POST":
        # Keep the photos that came with a form that failed, so they need not be picked again.
        held += [photo_hold(request.user, data) for data in getattr(form, "processed_photos", [])]
        form.data = form.data.copy()
        form.data["held_photos"] = ",".join(held)
    return render(
        request,
        "visits/visit_form.html",
        {"form": form, "concerns": concerns, "deadlines": deadline_table(now=timezone.now()), "held_photos": len(held)},
    )


def _record(request, form, concerns):
    visit_input = VisitInput.from_cleaned(
        form.cleaned_data, concerns=[f.to_input() for f in concerns.forms if f.has_changed()]
    )
    # The service's writes are atomic: a refused visit leaves nothing behind, and the page can still render.
    return visit_record(data=visit_input, recorded_by=request.user)


def _place_errors(form, error: ValidationError):
    for field, messages_ in error.message_dict.items():
        form.add_error(field if field in form.fields else None, messages_)


@login_required
def visit_detail(request, pk):
    visit = (
        Visit.objects.select_related("cadre__unit", "recorded_by", "household", "village__parent", "resident_code")
        .prefetch_related("concerns__category", "concerns__commitment", "amendments__by", "followed_commitments", "photos")
        .get_visible_or_404(request.access, pk=pk)
    )
    return render(
        request,
        "visits/visit_detail.html",
        {
            "visit": visit,
            "can_amend": visit_can_amend(visit, request.user),
            "in_window": visit.is_editable_by(request.user),
        },
    )


@login_required
def visit_edit(request, pk):
    """The author corrects a visit within 24 hours; afterwards an amendment with a reason."""
    visit = Visit.objects.select_related("cadre", "household", "village").get_visible_or_404(request.access, pk=pk)
    if not visit_can_amend(visit, request.user):
        raise PermissionDenied
    in_window = visit.is_editable_by(request.user)
    form = VisitAmendForm(request.POST or None, instance=visit, in_window=in_window)
    if request.method == "POST" and form.is_valid():
        values = {name: form.cleaned_data[name] for name in form.Meta.fields}
        try:
            with transaction.atomic():
                amendment = visit_amend(visit=visit, by=request.user, values=values, reason=form.cleaned_data["reason"])
        except ValidationError as error:
            visit.refresh_from_db()
            _place_errors(form, error)
        else:
            messages.success(request, _("Visit updated.") if amendment else _("Nothing was changed."))
            return redirect("visit_detail", pk=visit.pk)
    return render(request, "visits/visit_edit.html", {"visit": visit, "form": form, "in_window": in_window})


@functools.cache
def _service_worker_script() -> str:
    # Rendered once per process, without the request: it holds no data and touches no table.
    return render_to_string("visits/sw.js", {"version": "2"})


def service_worker(request):
    """The service worker, served from the root so that it may control every page."""
    response = HttpResponse(_service_worker_script(), content_type="application/javascript")
    response["Cache-Control"] = "no-cache"
    return response
