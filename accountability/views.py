"""Supervision reports, accountability actions, exemption requests and circulated notices.

Supervisors write reports for regions of their supervision scope; discipline inspectors open
actions, move them on, decide exemptions and issue notices for their inspection scope; the cadre
an action or an issued report names reads it. Out of scope is 404; in scope but not one's to do
is 403 with the reason; bad input shows the form again with the message next to the field, what
was typed kept and nothing saved. An issued report, or an action past "proposed", is read-only:
its edit addresses send back to it with a message.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cadres.models import Cadre, Unit
from casework.views import place_errors
from households.access import Access, id_from

from . import selectors, services
from .forms import (
    ActionForm,
    ExemptionDecisionForm,
    ExemptionForm,
    FindingForm,
    NoticeForm,
    ReportForm,
    TransitionForm,
)
from .models import AccountabilityAction, ExemptionRequest, SupervisionReport

GET_POST = require_http_methods(["GET", "POST"])


def _run(form, service):
    """Run ``service`` in a savepoint: refused, it leaves nothing behind and the page can render
    again with its message on ``form``. Returns what it returned, or None when refused."""
    try:
        with transaction.atomic():
            return service()
    except ValidationError as error:
        place_errors(form, error)
        return None


def _ids(values) -> list[int]:
    """Ids from query parameters given repeated or comma-separated; anything else is dropped."""
    ids = (id_from(part.strip()) for value in values for part in value.split(","))
    return [number for number in ids if number is not None][:200]


def _bad_filter(request, allowed, name) -> bool:
    value = request.GET.get(name, "")
    return bool(value) and value not in allowed


# --- supervision reports ----------------------------------------------------------------------


def _report_read_only(request, report: SupervisionReport):
    """Send back to an issued report; refuse a draft to whoever may not edit it."""
    if report.status == SupervisionReport.Status.ISSUED:
        messages.warning(
            request,
            _("This report was issued on %(date)s and is read-only.")
            % {"date": timezone.localtime(report.issued_at).strftime("%Y-%m-%d")},
        )
        return redirect("supervision_report_detail", pk=report.pk)
    if not selectors.can_edit_report(request.access, report):
        raise PermissionDenied(
            _("Only a supervisor whose scope covers %(region)s edits this report.") % {"region": report.region.name}
        )
    return None


@login_required
@require_GET
def report_list(request):
    status = request.GET.get("status", "")
    bad = _bad_filter(request, SupervisionReport.Status.values, "status")
    if bad:
        messages.error(request, _("Unknown status: showing every report."))
        status = ""
    page = selectors.report_list(request.access, status=status, page=request.GET.get("page", 1))
    return render(
        request,
        "accountability/report_list.html",
        {
            "page": page,
            "status": status,
            "statuses": SupervisionReport.Status.choices,
            "can_write": selectors.can_write_reports(request.access),
        },
        status=400 if bad else 200,
    )


@login_required
@GET_POST
def report_create(request):
    if not selectors.can_write_reports(request.access):
        raise PermissionDenied(_("Supervision reports are written by supervisors, for the regions they supervise."))
    form = ReportForm(request.POST or None, access=request.access)
    if request.method == "POST" and form.is_valid():
        report = _run(form, lambda: services.report_create(author=request.user, **form.cleaned_data))
        if report:
            messages.success(request, _("Draft saved. Add the findings, then issue it."))
            return redirect("supervision_report_detail", pk=report.pk)
    return render(request, "accountability/report_form.html", {"form": form}, status=400 if form.is_bound else 200)


@login_required
@require_GET
def report_detail(request, pk):
    report = selectors.report_for_page(request.access, pk)
    return render(
        request,
        "accountability/report_detail.html",
        {
            "report": report,
            "findings": selectors.report_findings(report),
            "can_edit": selectors.can_edit_report(request.access, report),
        },
    )


@login_required
@GET_POST
def report_edit(request, pk):
    report = selectors.report_for_page(request.access, pk)
    if refused := _report_read_only(request, report):
        return refused
    form = ReportForm(request.POST or None, access=request.access, report=report)
    if request.method == "POST" and form.is_valid():
        if _run(form, lambda: services.report_update(report=report, **form.cleaned_data)):
            messages.success(request, _("Report saved."))
            return redirect("supervision_report_detail", pk=report.pk)
        if _issued_meanwhile(form):
            return _report_read_only(request, selectors.report_for_page(request.access, pk))
    return render(
        request,
        "accountability/report_form.html",
        {"form": form, "report": report},
        status=400 if form.is_bound else 200,
    )


def _issued_meanwhile(form) -> bool:
    return any(error.code == "issued" for error in form.errors.as_data().get("__all__", ()))


@login_required
@require_POST
def report_issue(request, pk):
    report = selectors.report_for_page(request.access, pk)
    if refused := _report_read_only(request, report):
        return refused
    try:
        with transaction.atomic():
            services.report_issue(report=report, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("supervision_report_detail", pk=report.pk)
    messages.success(request, _("Report issued. It is read-only from now on, and the cadres it names can read it."))
    return redirect("supervision_report_detail", pk=report.pk)


def _finding_page(request, report, form, finding=None):
    """The finding form with, after a search, the report region's matching items to link."""
    search = request.POST.get("search", "") if request.method == "POST" else request.GET.get("search", "")
    context = {
        "report": report,
        "form": form,
        "finding": finding,
        "search": search,
        "candidates": selectors.finding_candidates(report, search[:100]) if search else None,
    }
    return render(request, "accountability/finding_form.html", context, status=400 if form.errors else 200)


def _finding_data(request):
    """The posted finding, with a picked search result put in its field."""
    data = request.POST.copy()
    field, _sep, value = request.POST.get("pick", "").partition(":")
    if field in ("cadre", "commitment", "petition_case", "visit"):
        data[field] = value
    return data


def _save_finding(request, report, finding=None):
    data = _finding_data(request)
    if "save" not in request.POST:
        # Searching or picking: the form again as typed, neither checked nor saved.
        return _finding_page(request, report, FindingForm(report=report, initial=data.dict()), finding)
    form = FindingForm(data, report=report, finding=finding)
    if form.is_valid():
        fields = {name: form.cleaned_data[name] for name in ("text", "cadre", "visit", "commitment", "petition_case")}
        if _run(form, lambda: services.finding_save(report=report, finding=finding, **fields)):
            messages.success(request, _("Finding saved."))
            return redirect("supervision_report_detail", pk=report.pk)
        if _issued_meanwhile(form):
            return _report_read_only(request, selectors.report_for_page(request.access, report.pk))
    return _finding_page(request, report, form, finding)


@login_required
@GET_POST
def finding_create(request, pk):
    report = selectors.report_for_page(request.access, pk)
    if refused := _report_read_only(request, report):
        return refused
    if request.method == "POST":
        return _save_finding(request, report)
    initial = {
        name: request.GET[name] for name in ("cadre", "commitment", "petition_case", "visit") if name in request.GET
    }
    return _finding_page(request, report, FindingForm(report=report, initial=initial))


@login_required
@GET_POST
def finding_edit(request, pk):
    finding = selectors.finding_for_page(request.access, pk)
    if refused := _report_read_only(request, finding.report):
        return refused
    if request.method == "POST":
        return _save_finding(request, finding.report, finding)
    return _finding_page(request, finding.report, FindingForm(report=finding.report, finding=finding), finding)


@login_required
@require_POST
def finding_delete(request, pk):
    finding = selectors.finding_for_page(request.access, pk)
    if refused := _report_read_only(request, finding.report):
        return refused
    try:
        with transaction.atomic():
            services.finding_delete(finding=finding)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Finding removed."))
    return redirect("supervision_report_detail", pk=finding.report_id)


# --- accountability actions -------------------------------------------------------------------


def _inspectors_only(access: Access):
    if not selectors.can_open_actions(access):
        raise PermissionDenied(
            _("Accountability actions are opened by discipline inspectors, within their inspection scope.")
        )


def _acting_inspector(access: Access, action: AccountabilityAction):
    if not selectors.can_act_on(access, action):
        raise PermissionDenied(
            _("Only a discipline inspector whose scope covers %(region)s acts on this action.")
            % {"region": action.region.name}
        )


@login_required
@require_GET
def action_list(request):
    bad = [
        name
        for name, allowed in (
            ("status", AccountabilityAction.Status.values),
            ("form", AccountabilityAction.Form.values),
        )
        if _bad_filter(request, allowed, name)
    ]
    cadre = request.GET.get("cadre", "")
    if cadre and id_from(cadre) is None:
        bad.append("cadre")
    if bad:
        messages.error(request, _("Unknown filter value: showing every action."))
    filters = {} if bad else {"status": request.GET.get("status", ""), "form": request.GET.get("form", "")}
    page = selectors.action_list(
        request.access, cadre=None if bad or not cadre else int(cadre), page=request.GET.get("page", 1), **filters
    )
    return render(
        request,
        "accountability/action_list.html",
        {
            "page": page,
            "filters": filters,
            "statuses": AccountabilityAction.Status.choices,
            "forms": AccountabilityAction.Form.choices,
            "can_open": selectors.can_open_actions(request.access),
        },
        status=400 if bad else 200,
    )


@login_required
@GET_POST
def action_create(request):
    _inspectors_only(request.access)
    data = request.POST if request.method == "POST" else request.GET
    subject, error = selectors.action_subject(request.access, cadre=data.get("cadre", ""), unit=data.get("unit", ""))
    wanted = _ids(request.GET.getlist("commitments") + request.GET.getlist("commitment"))
    if subject is None:
        search = request.GET.get("q", "")[:100]
        context = {
            "error": error,
            "search": search,
            "results": selectors.subject_search(request.access, search),
            "commitments": ",".join(map(str, wanted)),
        }
        return render(request, "accountability/action_subject.html", context, status=400 if error else 200)
    if request.method == "POST":
        form = ActionForm(request.POST, access=request.access, subject=subject)
        if form.is_valid():
            action = _run(
                form,
                lambda: services.action_open(
                    by=request.user,
                    subject_cadre=subject if isinstance(subject, Cadre) else None,
                    subject_unit=subject if isinstance(subject, Unit) else None,
                    **form.cleaned_data,
                ),
            )
            if action:
                messages.success(request, _("Accountability action recorded as proposed."))
                return redirect("action_detail", pk=action.pk)
        return _action_form(request, form, subject, status=400)
    form = ActionForm(
        access=request.access,
        subject=subject,
        initial={
            "commitments": wanted,
            "form": data.get("form", ""),
            "region": selectors.default_action_region(request.access, wanted),
        },
    )
    offered = {pk for pk, _label in form.fields["commitments"].widget.choices}
    if missing := [pk for pk in wanted if pk not in offered]:
        messages.warning(
            request,
            _("Not an overdue commitment of %(name)s in your scope, left out: %(items)s.")
            % {"name": subject, "items": ", ".join(f"#{pk}" for pk in missing)},
        )
    return _action_form(request, form, subject)


def _action_form(request, form, subject, action=None, status=200):
    return render(
        request,
        "accountability/action_form.html",
        {"form": form, "subject": subject, "is_cadre": isinstance(subject, Cadre), "action": action},
        status=status,
    )


def _action_page(request, action: AccountabilityAction, *, bound: dict | None = None, status: int = 200):
    bound = bound or {}
    access = request.access
    context = selectors.action_page(action)
    pending = next((r for r in context["requests"] if r.decision == ExemptionRequest.Decision.PENDING), None)
    if pending:
        pending.action = action
    can_act = selectors.can_act_on(access, action)
    context |= {
        "action": action,
        "can_edit": selectors.can_edit_action(access, action),
        "can_act": can_act,
        "pending": pending,
        "transition_form": bound.get("transition")
        or (TransitionForm(action=action) if can_act and AccountabilityAction.TRANSITIONS[action.status] else None),
        "exemption_form": bound.get("exemption")
        or (ExemptionForm() if not pending and selectors.can_request_exemption(access, action) else None),
        "decision_form": (bound.get("decision") or ExemptionDecisionForm())
        if pending and selectors.can_decide_exemption(access, pending)
        else None,
    }
    # A refusal about a request no longer waiting (decided meanwhile) has no form left to sit on.
    if "decision" in bound and context["decision_form"] is None:
        context["error"] = " ".join(bound["decision"].non_field_errors())
    return render(request, "accountability/action_detail.html", context, status=status)


@login_required
@require_GET
def action_detail(request, pk):
    return _action_page(request, selectors.action_for_page(request.access, pk))


@login_required
@GET_POST
def action_edit(request, pk):
    action = selectors.action_for_page(request.access, pk)
    _acting_inspector(request.access, action)
    if action.status != AccountabilityAction.Status.PROPOSED:
        messages.warning(
            request,
            _("This action is %(status)s: its grounds can no longer be changed.")
            % {"status": action.get_status_display()},
        )
        return redirect("action_detail", pk=action.pk)
    subject = action.subject_cadre or action.subject_unit
    form = ActionForm(request.POST or None, access=request.access, subject=subject, action=action)
    if request.method == "POST" and form.is_valid():
        if _run(form, lambda: services.action_update(action=action, **form.cleaned_data)):
            messages.success(request, _("Action saved."))
            return redirect("action_detail", pk=action.pk)
    return _action_form(request, form, subject, action, status=400 if form.is_bound else 200)


@login_required
@require_POST
def action_transition(request, pk):
    action = selectors.action_for_page(request.access, pk)
    _acting_inspector(request.access, action)
    form = TransitionForm(request.POST, action=action)
    if form.is_valid() and _run(
        form, lambda: services.action_move(action=action, by=request.user, **form.cleaned_data)
    ):
        messages.success(request, _("The action is now %(status)s.") % {"status": action.get_status_display()})
        return redirect("action_detail", pk=action.pk)
    action.refresh_from_db()
    return _action_page(request, action, bound={"transition": form}, status=400)


@login_required
@require_POST
def exemption_create(request, pk):
    action = selectors.action_for_page(request.access, pk)
    if not selectors.can_request_exemption(request.access, action):
        raise PermissionDenied(
            _("An exemption is asked for by the cadre the action names, or by a supervisor over them.")
        )
    form = ExemptionForm(request.POST)
    if form.is_valid() and _run(
        form, lambda: services.exemption_request(action=action, by=request.user, grounds=form.cleaned_data["grounds"])
    ):
        messages.success(request, _("Exemption requested. A discipline inspector will decide."))
        return redirect("action_detail", pk=action.pk)
    return _action_page(request, action, bound={"exemption": form}, status=400)


@login_required
@require_POST
def exemption_decide(request, pk):
    item = selectors.exemption_for_page(request.access, pk)
    action = selectors.action_for_page(request.access, item.action_id)
    _acting_inspector(request.access, action)
    if item.requested_by_id == request.user.pk:
        raise PermissionDenied(_("You asked for this exemption: someone else decides it."))
    form = ExemptionDecisionForm(request.POST)
    if form.is_valid() and _run(
        form, lambda: services.exemption_decide(request=item, by=request.user, **form.cleaned_data)
    ):
        messages.success(request, _("Exemption %(decision)s.") % {"decision": item.get_decision_display()})
        return redirect("action_detail", pk=action.pk)
    return _action_page(request, action, bound={"decision": form}, status=400)


# --- circulated notices -----------------------------------------------------------------------


@login_required
@require_GET
def notice_list(request):
    page = selectors.notice_list(request.access, page=request.GET.get("page", 1))
    return render(
        request,
        "accountability/notice_list.html",
        {"page": page, "can_issue": selectors.can_open_actions(request.access)},
    )


@login_required
@GET_POST
def notice_create(request):
    _inspectors_only(request.access)
    if request.method == "POST":
        form = NoticeForm(request.POST, access=request.access)
        if form.is_valid():
            notice = _run(form, lambda: services.notice_issue(by=request.user, **form.cleaned_data))
            if notice:
                messages.success(request, _("Notice issued."))
                return redirect("notice_detail", pk=notice.pk)
        return render(request, "accountability/notice_form.html", {"form": form}, status=400)
    wanted = _ids(request.GET.getlist("actions"))
    form = NoticeForm(access=request.access, initial=selectors.notice_initial(request.access, wanted))
    return render(request, "accountability/notice_form.html", {"form": form})


@login_required
@require_GET
def notice_detail(request, pk):
    return render(
        request, "accountability/notice_detail.html", {"notice": selectors.notice_for_page(request.access, pk)}
    )
