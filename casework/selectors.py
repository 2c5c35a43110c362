"""Reads for the commitment pages: my commitments, one commitment's timeline, the supervisor's queue."""

from dataclasses import dataclass
from datetime import datetime

from django.core.paginator import Page, Paginator
from django.db.models import BooleanField, Case, Q, When
from django.utils import timezone

from households.access import Access

from .lifecycle import REQUESTABLE_STATES, can_decide, can_request, can_verify, can_work_on, supervision_q
from .models import Commitment, CommitmentRequest

S = Commitment.Status
# The state filter of "My commitments": the open ones by default, also the overdue ones, any
# single state, or all.
STATE_FILTERS = ("open", "overdue", *S.values, "all")
COMMITMENTS_PER_PAGE = 50
# Each list of the supervisor's queue shows the oldest this many; the page says how many wait.
QUEUE_SHOWN = 50


def my_commitments(access: Access, *, state: str = "open", page: int | str = 1, now: datetime | None = None) -> Page:
    """The cadre's own commitments in ``state``: overdue first, then by due date."""
    now = now or timezone.now()
    if not access.cadre_id:
        commitments = Commitment.objects.none()
    else:
        commitments = Commitment.objects.filter(owner_id=access.cadre_id)
    if state == "open":
        commitments = commitments.open()
    elif state == "overdue":
        commitments = commitments.overdue(now)
    elif state in S.values:
        commitments = commitments.filter(status=state)
    commitments = (
        commitments.select_related("household", "village", "category")
        .annotate(
            overdue=Case(
                When(status__in=Commitment.OPEN_STATES, due_at__lt=now, then=True),
                default=False,
                output_field=BooleanField(),
            )
        )
        .order_by("-overdue", "due_at", "pk")
    )
    return Paginator(commitments, COMMITMENTS_PER_PAGE).get_page(page)


def commitment_for_page(access: Access, pk: int) -> Commitment:
    """A commitment the user may see, with what its pages and permission checks read."""
    return Commitment.objects.select_related(
        "household", "village__parent", "owner__unit", "category", "pledged_by__cadre", "concern"
    ).get_visible_or_404(access, pk=pk)


@dataclass
class Event:
    """One line of a commitment's timeline."""

    at: datetime
    kind: str  # pledged, transition, progress, request, decision, resident
    item: object


def commitment_page(access: Access, commitment: Commitment, *, now: datetime | None = None) -> dict:
    """The detail page: the commitment, its merged timeline and what the viewer may do."""
    now = now or timezone.now()
    transitions = list(commitment.transitions.select_related("by__cadre"))
    progress = list(commitment.progress_updates.select_related("author__cadre"))
    requests = list(commitment.requests.select_related("requested_by__cadre", "decided_by__cadre").order_by("requested_at", "pk"))
    codes = list(commitment.resident_codes.order_by("created_at", "pk"))
    for request in requests:
        request.commitment = commitment
    events = [Event(commitment.pledged_at, "pledged", commitment)]
    events += [Event(t.at, "transition", t) for t in transitions]
    events += [Event(p.at, "progress", p) for p in progress]
    events += [Event(r.requested_at, "request", r) for r in requests]
    events += [Event(r.decided_at, "decision", r) for r in requests if r.decided_at]
    events += [Event(c.used_at, "resident", c) for c in codes if c.used_at]
    events.sort(key=lambda e: e.at)

    pending = {r.kind: r for r in requests if r.decision == CommitmentRequest.Decision.PENDING}
    may_work = can_work_on(access, commitment) and commitment.is_open
    may_request = can_request(access, commitment) and commitment.status in REQUESTABLE_STATES
    usable = [c for c in codes if c.is_usable(now)]
    commitment.days_overdue = commitment.overdue_days(now)
    return {
        "commitment": commitment,
        "events": events,
        "pending": list(pending.values()),
        "decidable": [r for r in pending.values() if can_decide(access, r)],
        # The newest code the resident can still use, for those who give it to them.
        "resident_code": usable[-1] if usable and (may_work or can_verify(access, commitment)) else None,
        "can_start": may_work and commitment.status in (S.PLEDGED, S.REOPENED),
        "can_progress": may_work,
        "can_report_done": may_work and commitment.status != S.REPORTED_DONE,
        "can_verify": commitment.status == S.REPORTED_DONE and can_verify(access, commitment),
        "can_extend": may_request and CommitmentRequest.Kind.EXTENSION not in pending,
        "can_cancel": may_request and CommitmentRequest.Kind.CANCELLATION not in pending,
    }


def supervision_queue(access: Access, *, user_id: int | None, now: datetime | None = None) -> dict:
    """What waits for this supervisor: pending extension and cancellation requests (not their
    own) and completions to verify (not of their own pledges), inside their supervision scope,
    oldest first."""
    if access.is_admin:
        scope = Q()
    elif access.is_supervisor:
        scope = supervision_q(access)
    else:
        scope = Q(pk__in=[])
    open_commitments = Commitment.objects.open().filter(scope)
    requests = (
        CommitmentRequest.objects.filter(decision=CommitmentRequest.Decision.PENDING, commitment__in=open_commitments)
        .exclude(requested_by_id=user_id)
        .select_related("commitment__household", "commitment__village", "commitment__owner", "requested_by__cadre")
        .order_by("requested_at", "pk")
    )
    to_verify = (
        open_commitments.filter(status=S.REPORTED_DONE)
        .exclude(owner_id=access.cadre_id)
        .select_related("household", "village", "owner")
        .order_by("status_changed_at", "pk")
    )
    extensions = list(requests.filter(kind=CommitmentRequest.Kind.EXTENSION)[:QUEUE_SHOWN])
    cancellations = list(requests.filter(kind=CommitmentRequest.Kind.CANCELLATION)[:QUEUE_SHOWN])
    verify = list(to_verify[:QUEUE_SHOWN])
    return {
        "extensions": extensions,
        "cancellations": cancellations,
        "to_verify": verify,
        "shown": QUEUE_SHOWN,
        "now": now or timezone.now(),
    }

