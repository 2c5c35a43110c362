"""Commitment pages: my commitments, one commitment with its timeline and actions, the
supervisor's queue.

Each action is a POST that redirects on success. On bad input it shows the page it came from
again (the commitment, or the queue when the form says ``from=queue``) with the message next to
the field, what was typed kept and nothing changed; an action the viewer may not take answers 403
with the reason. Out of scope is 404, as everywhere.
"""

from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import lifecycle, selectors
from .forms import CancellationForm, DecisionForm, ExtensionForm, ProgressForm, ReportDoneForm, StartForm, VerifyForm
from .models import Commitment, CommitmentRequest

# The value of the ``from`` field of the queue's forms: their answer goes back to the queue.
FROM_QUEUE = "queue"


@login_required
def commitment_list(request):
    state = request.GET.get("state", "open")
    if state not in selectors.STATE_FILTERS:
        state = "open"
    now = timezone.now()
    page = selectors.my_commitments(request.access, state=state, page=request.GET.get("page", 1), now=now)
    for commitment in page:
        commitment.days_overdue = commitment.overdue_days(now)
    states = [("open", _("open")), ("overdue", _("overdue")), *Commitment.Status.choices, ("all", _("all"))]
    return render(request, "casework/commitment_list.html", {"page": page, "state": state, "states": states})


@login_required
def commitment_detail(request, pk):
    return _detail(request, selectors.commitment_for_page(request.access, pk))


@login_required
def commitment_queue(request):
    return _queue(request)


# Forms are keyed by action, and by (action, item pk) where a page holds one per item; the same
# HTML ids on the commitment page and in the queue.


def _verify_form(commitment: Commitment, data=None) -> VerifyForm:
    return VerifyForm(data, auto_id=f"verify-{commitment.pk}-%s")


def _decision_form(item: CommitmentRequest, data=None) -> DecisionForm:
    return DecisionForm(data, auto_id=f"decide-{item.pk}-%s")


def _detail(request, commitment: Commitment, *, bound: dict | None = None, error: str = "", status: int = 200):
    bound = bound or {}
    context = selectors.commitment_page(request.access, commitment)
    for item in context["decidable"]:
        item.form = bound.get(("decide", item.pk)) or _decision_form(item)
    context |= {
        "start_form": bound.get("start") or StartForm(),
        "progress_form": bound.get("progress") or ProgressForm(auto_id="progress-%s"),
        "done_form": bound.get("done") or ReportDoneForm(auto_id="done-%s"),
        "verify_form": bound.get(("verify", commitment.pk)) or _verify_form(commitment),
        # Built only when offered: it reads the deadline policies and the calendar.
        "extension_form": bound.get("extension")
        or (ExtensionForm(commitment=commitment, auto_id="extension-%s") if context["can_extend"] else None),
        "cancellation_form": bound.get("cancellation") or CancellationForm(auto_id="cancellation-%s"),
        "error": error,
    }
    return render(request, "casework/commitment_detail.html", context, status=status)


def _queue(request, *, bound: dict | None = None, error: str = "", status: int = 200):
    bound = bound or {}
    context = selectors.supervision_queue(request.access, user_id=request.user.pk)
    now = context["now"]
    for item in context["extensions"] + context["cancellations"]:
        item.form = bound.get(("decide", item.pk)) or _decision_form(item)
        item.commitment.days_overdue = item.commitment.overdue_days(now)
    for commitment in context["to_verify"]:
        commitment.form = bound.get(("verify", commitment.pk)) or _verify_form(commitment)
        commitment.days_overdue = commitment.overdue_days(now)
    return render(request, "casework/queue.html", context | {"error": error}, status=status)


def place_errors(form, error: ValidationError) -> None:
    """The service's message next to its field, or above the form when it names none."""
    if hasattr(error, "error_dict"):
        for field, field_messages in error.message_dict.items():
            form.add_error(field if field in form.fields else None, field_messages)
    else:
        form.add_error(None, error.messages)


def _act(request, commitment: Commitment, *, key, check: Callable, form, run: Callable, success: Callable | str):
    """Check who may act, read the form, run the service in a savepoint, then answer.

    ``check(access)`` raises PermissionDenied; ``run(form)`` calls the service; ``success`` is
    the message, or makes it from what ``run`` returned.
    """
    from_queue = request.POST.get("from") == FROM_QUEUE

    def again(**kwargs):
        # What a refused service may have changed in memory was rolled back in the database.
        commitment.refresh_from_db()
        return _queue(request, **kwargs) if from_queue else _detail(request, commitment, **kwargs)

    try:
        check(request.access)
    except PermissionDenied as denied:
        return again(error=str(denied), status=403)
    if form.is_valid():
        try:
            # A savepoint: a refused action leaves nothing behind and the page can still render.
            with transaction.atomic():
                result = run(form)
        except ValidationError as error:
            place_errors(form, error)
        else:
            messages.success(request, success(result) if callable(success) else success)
            return redirect("commitment_queue") if from_queue else redirect("commitment_detail", pk=commitment.pk)
    # A message about the state (not a field) goes at the top: the form it came from may no
    # longer be shown, e.g. for a request decided meanwhile.
    return again(bound={key: form}, error=" ".join(form.non_field_errors()))


def _commitment(request, pk) -> Commitment:
    return selectors.commitment_for_page(request.access, pk)


@login_required
@require_POST
def commitment_start(request, pk):
    commitment = _commitment(request, pk)
    return _act(
        request,
        commitment,
        key="start",
        check=lambda access: lifecycle.check_work(access, commitment),
        form=StartForm(request.POST),
        run=lambda form: lifecycle.commitment_start(commitment=commitment, by=request.user),
        success=_("Work has started."),
    )


@login_required
@require_POST
def commitment_progress(request, pk):
    commitment = _commitment(request, pk)
    return _act(
        request,
        commitment,
        key="progress",
        check=lambda access: lifecycle.check_work(access, commitment),
        form=ProgressForm(request.POST, request.FILES, auto_id="progress-%s"),
        run=lambda form: lifecycle.commitment_progress_add(
            commitment=commitment, by=request.user, text=form.cleaned_data["text"], evidence=form.cleaned_data["evidence"]
        ),
        success=_("Progress added."),
    )


@login_required
@require_POST
def commitment_report_done(request, pk):
    commitment = _commitment(request, pk)
    return _act(
        request,
        commitment,
        key="done",
        check=lambda access: lifecycle.check_work(access, commitment),
        form=ReportDoneForm(request.POST, auto_id="done-%s"),
        run=lambda form: lifecycle.commitment_report_done(
            commitment=commitment, by=request.user, note=form.cleaned_data["note"]
        ),
        success=lambda code: _("Reported done. Give the resident the code %(code)s to confirm it.") % {"code": code.code},
    )


@login_required
@require_POST
def commitment_verify(request, pk):
    commitment = _commitment(request, pk)
    return _act(
        request,
        commitment,
        key=("verify", commitment.pk),
        check=lambda access: lifecycle.check_verify(access, commitment),
        form=_verify_form(commitment, request.POST),
        run=lambda form: lifecycle.commitment_verify(commitment=commitment, by=request.user, note=form.cleaned_data["note"]),
        success=_("Verified: the commitment is confirmed."),
    )


@login_required
@require_POST
def commitment_extension(request, pk):
    commitment = _commitment(request, pk)
    return _act(
        request,
        commitment,
        key="extension",
        check=lambda access: lifecycle.check_request(access, commitment),
        form=ExtensionForm(request.POST, commitment=commitment, auto_id="extension-%s"),
        run=lambda form: lifecycle.commitment_request_extension(
            commitment=commitment, by=request.user, reason=form.cleaned_data["reason"], proposed_due_at=form.due_moment()
        ),
        success=_("Extension requested. A supervisor will decide."),
    )


@login_required
@require_POST
def commitment_cancellation(request, pk):
    commitment = _commitment(request, pk)
    return _act(
        request,
        commitment,
        key="cancellation",
        check=lambda access: lifecycle.check_request(access, commitment),
        form=CancellationForm(request.POST, auto_id="cancellation-%s"),
        run=lambda form: lifecycle.commitment_request_cancellation(
            commitment=commitment, by=request.user, reason=form.cleaned_data["reason"]
        ),
        success=_("Cancellation requested. A supervisor will decide."),
    )


def _decided_message(item: CommitmentRequest) -> str:
    if item.decision == CommitmentRequest.Decision.REFUSED:
        return _("Request refused.")
    if item.kind == CommitmentRequest.Kind.EXTENSION:
        return _("Extension approved.")
    return _("Cancellation approved.")


@login_required
@require_POST
def commitment_decide(request, pk):
    item = CommitmentRequest.objects.get_visible_or_404(request.access, pk=pk)
    commitment = item.commitment = _commitment(request, item.commitment_id)
    return _act(
        request,
        commitment,
        key=("decide", item.pk),
        check=lambda access: lifecycle.check_decide(access, item),
        form=_decision_form(item, request.POST),
        run=lambda form: lifecycle.commitment_request_decide(
            request=item, by=request.user, decision=form.cleaned_data["decision"], note=form.cleaned_data["note"]
        ),
        success=_decided_message,
    )
