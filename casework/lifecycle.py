"""The life of a commitment after its pledge: work on it, report it done, verify it, and ask a
supervisor to extend or cancel it.

Who may act is decided here, once, for the pages and any later caller:
- the owner, or a supervisor over the commitment's village, works on it and reports it done;
- the owner asks for an extension or a cancellation;
- a supervisor over the village (or an administrator) verifies a completion and decides a
  request, never their own request and never a completion of their own pledge.
Out of scope is the caller's business (views look objects up with ``get_visible_or_404``); an
action the user may not take raises PermissionDenied, one the state or the input does not allow
raises ValidationError (TransitionError for a status change), and nothing is changed.
"""

from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from cadres.access import access_for
from households.access import Access

from .models import Commitment, CommitmentProgress, CommitmentRequest, ResidentCode
from .services import COMMITMENT_CODE_GRACE, deadline_latest, resident_code_issue

S = Commitment.Status
# Extensions and cancellations are asked for while the work is still to be done.
REQUESTABLE_STATES = (S.PLEDGED, S.IN_PROGRESS, S.REOPENED)


# --- who may do what ------------------------------------------------------------------


def supervision_q(access: Access, prefix: str = "") -> Q:
    """Commitments (at ``prefix``) a supervisor answers for: the village lies in one of their
    supervision regions and, for a scope limited to a unit, the owner belongs to that unit."""
    q = Q(pk__in=[])
    for path, unit_id in access.supervision:
        in_region = Q(**{f"{prefix}village__path__startswith": path})
        q |= in_region & Q(**{f"{prefix}owner__unit_id": unit_id}) if unit_id else in_region
    return q


def supervises(access: Access, commitment: Commitment) -> bool:
    """Whether ``access`` holds a supervision scope over ``commitment`` (admins always do)."""
    if access.is_admin:
        return True
    return any(
        commitment.village.path.startswith(path) and (unit_id is None or commitment.owner.unit_id == unit_id)
        for path, unit_id in access.supervision
    )


def can_work_on(access: Access, commitment: Commitment) -> bool:
    """Start, add progress, report done: the owner or a supervisor over the village."""
    own = access.cadre_id is not None and access.cadre_id == commitment.owner_id
    return own or (access.is_supervisor and supervises(access, commitment))


def can_request(access: Access, commitment: Commitment) -> bool:
    return access.cadre_id is not None and access.cadre_id == commitment.owner_id


def can_verify(access: Access, commitment: Commitment) -> bool:
    """A supervisor over the village who is not the owner: nobody verifies their own work."""
    return supervises(access, commitment) and access.cadre_id != commitment.owner_id


def can_decide(access: Access, request: CommitmentRequest) -> bool:
    return supervises(access, request.commitment) and access.user_id != request.requested_by_id


def _require(allowed: bool, message: str) -> None:
    if not allowed:
        raise PermissionDenied(message)


# Each check raises PermissionDenied with the reason; views call them before reading a form.


def check_work(access: Access, commitment: Commitment) -> None:
    _require(
        can_work_on(access, commitment),
        _("Only the commitment's owner or a supervisor over its village may work on it."),
    )


def check_request(access: Access, commitment: Commitment) -> None:
    _require(can_request(access, commitment), _("Only the commitment's owner may ask for this."))


def check_verify(access: Access, commitment: Commitment) -> None:
    _require(
        can_verify(access, commitment),
        _("Only a supervisor over the commitment's village, other than its owner, may verify it."),
    )


def check_decide(access: Access, request: CommitmentRequest) -> None:
    _require(
        supervises(access, request.commitment),
        _("Only a supervisor over the commitment's village may decide this request."),
    )
    _require(access.user_id != request.requested_by_id, _("Nobody may decide their own request."))


# --- working on it --------------------------------------------------------------------


@transaction.atomic
def commitment_start(*, commitment: Commitment, by, at: datetime | None = None) -> Commitment:
    """Pledged or reopened → in progress."""
    check_work(access_for(by), commitment)
    commitment.transition(S.IN_PROGRESS, by=by, at=at)
    return commitment


@transaction.atomic
def commitment_progress_add(
    *, commitment: Commitment, by, text: str, evidence: UploadedFile | None = None, at: datetime | None = None
) -> CommitmentProgress:
    """A progress update on the timeline, with optional evidence. Work on a pledged or reopened
    commitment has started, so it moves to in progress."""
    check_work(access_for(by), commitment)
    at = at or timezone.now()
    text = text.strip()
    if not text:
        raise ValidationError({"text": _("Say what was done.")})
    if not commitment.is_open:
        raise ValidationError(_("This commitment is closed; no more progress can be added."), code="closed")
    if commitment.status in (S.PLEDGED, S.REOPENED):
        commitment.transition(S.IN_PROGRESS, by=by, at=at)
    progress = CommitmentProgress(commitment=commitment, author=by, at=at, text=text)
    if evidence:
        progress.evidence = evidence
    progress.save(force_insert=True)
    # Only ever forward: an update recorded with an earlier time does not turn the clock back.
    Commitment.objects.filter(pk=commitment.pk).filter(Q(last_progress_at__isnull=True) | Q(last_progress_at__lt=at)).update(
        last_progress_at=at
    )
    commitment.last_progress_at = max(filter(None, [commitment.last_progress_at, at]))
    return progress


@transaction.atomic
def commitment_report_done(*, commitment: Commitment, by, note: str = "", at: datetime | None = None) -> ResidentCode:
    """→ reported done, with a fresh code for the resident to confirm (or reject) the work.

    Always a new code: the one from the pledge may be lost, and one spent on an earlier
    "not satisfied" rating cannot be used again.
    """
    check_work(access_for(by), commitment)
    at = at or timezone.now()
    commitment.transition(S.REPORTED_DONE, by=by, reason=note, at=at)
    return resident_code_issue(
        purpose=ResidentCode.Purpose.COMMITMENT,
        commitment=commitment,
        expires_at=max(commitment.due_at, at) + COMMITMENT_CODE_GRACE,
        at=at,
    )


@transaction.atomic
def commitment_verify(*, commitment: Commitment, by, note: str = "", at: datetime | None = None) -> Commitment:
    """A supervisor verified the completion: reported done → confirmed."""
    check_verify(access_for(by), commitment)
    if commitment.status != S.REPORTED_DONE:
        raise ValidationError(_("Only a commitment reported done can be verified."), code="not_reported_done")
    reason = _("Verified by a supervisor")
    commitment.transition(S.CONFIRMED, by=by, reason=f"{reason}: {note.strip()}" if note.strip() else reason, at=at)
    return commitment


# --- requests -------------------------------------------------------------------------


def extension_latest(commitment: Commitment, *, now: datetime | None = None) -> datetime:
    """The latest due date an extension may ask for: one more deadline period of the
    commitment's category and urgency, counted from its due date (or from now, if overdue)."""
    start = max(commitment.due_at, now or timezone.now())
    return deadline_latest(category=commitment.category, urgency=commitment.urgency, pledged_at=start)


def _local_date(moment: datetime) -> str:
    return formats.date_format(timezone.localtime(moment), "DATE_FORMAT")


def _request_create(*, commitment: Commitment, by, kind: str, reason: str, at: datetime | None, **extra):
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": _("Give a reason.")})
    if commitment.status not in REQUESTABLE_STATES:
        raise ValidationError(
            _("This cannot be asked for a commitment that is “%(status)s”.") % {"status": commitment.get_status_display()},
            code="state",
        )
    if commitment.requests.filter(kind=kind, decision=CommitmentRequest.Decision.PENDING).exists():
        raise ValidationError(_("A request of this kind is already waiting for a decision."), code="pending")
    request = CommitmentRequest(
        commitment=commitment, kind=kind, reason=reason, requested_by=by, requested_at=at or timezone.now(), **extra
    )
    try:
        # A savepoint: two requests sent at once meet the one-pending constraint, not a 500.
        with transaction.atomic():
            request.save(force_insert=True)
    except IntegrityError:
        raise ValidationError(_("A request of this kind is already waiting for a decision."), code="pending") from None
    return request


@transaction.atomic
def commitment_request_extension(
    *, commitment: Commitment, by, reason: str, proposed_due_at: datetime, at: datetime | None = None
) -> CommitmentRequest:
    """The owner asks to move the due date to ``proposed_due_at``, a later day within one more
    deadline period."""
    check_request(access_for(by), commitment)
    now = at or timezone.now()
    if timezone.localdate(proposed_due_at) <= timezone.localdate(max(commitment.due_at, now)):
        raise ValidationError(
            {
                "proposed_due_at": _("The new due date must be later than the current one (%(due)s) and than today.")
                % {"due": _local_date(commitment.due_at)}
            }
        )
    latest = extension_latest(commitment, now=now)
    if proposed_due_at > latest:
        raise ValidationError(
            {
                "proposed_due_at": _("The deadline policy allows an extension to %(latest)s at the latest.")
                % {"latest": _local_date(latest)}
            }
        )
    return _request_create(
        commitment=commitment,
        by=by,
        kind=CommitmentRequest.Kind.EXTENSION,
        reason=reason,
        at=at,
        proposed_due_at=proposed_due_at,
    )


@transaction.atomic
def commitment_request_cancellation(
    *, commitment: Commitment, by, reason: str, at: datetime | None = None
) -> CommitmentRequest:
    """The owner asks a supervisor to cancel the commitment, saying why."""
    check_request(access_for(by), commitment)
    return _request_create(
        commitment=commitment, by=by, kind=CommitmentRequest.Kind.CANCELLATION, reason=reason, at=at
    )


@transaction.atomic
def commitment_request_decide(
    *, request: CommitmentRequest, by, decision: str, note: str = "", at: datetime | None = None
) -> CommitmentRequest:
    """A supervisor over the village approves or refuses a pending request, once.

    Approving an extension moves the due date (the original is kept) and counts it; approving a
    cancellation cancels the commitment with the request's reason. Refusing changes nothing but
    the request.
    """
    check_decide(access_for(by), request)
    at = at or timezone.now()
    D = CommitmentRequest.Decision
    if decision not in (D.APPROVED, D.REFUSED):
        raise ValidationError({"decision": _("Approve or refuse.")})
    # The guarded update is the claim: of two decisions at once exactly one changes the row.
    note = note.strip()
    claimed = CommitmentRequest.objects.filter(pk=request.pk, decision=D.PENDING).update(
        decision=decision, decided_by=by, decided_at=at, decision_note=note
    )
    if not claimed:
        raise ValidationError(_("This request has already been decided."), code="decided")
    request.decision, request.decided_by, request.decided_at, request.decision_note = decision, by, at, note
    if decision == D.APPROVED:
        commitment = request.commitment
        if request.kind == CommitmentRequest.Kind.EXTENSION:
            moved = Commitment.objects.filter(
                pk=commitment.pk, status__in=Commitment.OPEN_STATES, due_at__lt=request.proposed_due_at
            ).update(due_at=request.proposed_due_at, extension_count=F("extension_count") + 1)
            if not moved:
                raise ValidationError(
                    _("The commitment is closed, or its due date is already this late; refuse the request instead."),
                    code="stale",
                )
            commitment.refresh_from_db(fields=["due_at", "extension_count"])
        else:
            commitment.transition(S.CANCELLED, by=by, reason=request.reason, at=at)
    return request
