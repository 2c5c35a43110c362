"""Reads for the supervision and accountability pages: what a viewer may list and open, and who
may do what.

Writing is by scope: supervision reports are written by supervisors whose *supervision* scope
covers the report's region, accountability actions are opened and moved on by inspectors whose
*inspection* scope covers the action's region. Objects linked to a report or an action are
looked up through their model's scoped ``get_visible_or_404`` with an access narrowed to that
region (``region_access``), so that nothing from another region can be linked.
"""

from datetime import datetime

from django.core.paginator import Page, Paginator
from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from cadres.models import Cadre, Unit
from casework.models import Commitment, PetitionCase
from households.access import Access, id_from, path_q
from households.models import Region
from visits.models import Visit

from .models import (
    AccountabilityAction,
    ActionSnapshot,
    ExemptionRequest,
    Finding,
    Notice,
    SupervisionReport,
)

PAGE_SIZE = 30
# Candidates offered on a form (a cadre's overdue pledges, issued findings, search results).
CANDIDATES_SHOWN = 100
SEARCH_SHOWN = 10
A = AccountabilityAction.Status
# Actions a circulated notice may name: decided, whether or not carried out yet.
NOTICEABLE = (A.DECIDED, A.EXECUTED)

Scope = tuple[tuple[str, int | None], ...]


# --- scope ----------------------------------------------------------------------------------


def covers(scope: Scope, region: Region) -> bool:
    """Whether one of the scope's region subtrees holds ``region``."""
    return any(region.path.startswith(path) for path, _unit in scope)


def region_access(scope: Scope, region: Region, *, kind: str) -> Access:
    """An access that reads only ``region`` (within ``scope``'s units), and nothing as its own:
    what a report or an action in ``region`` may link to."""
    narrowed = tuple((region.path, unit) for path, unit in scope if region.path.startswith(path))
    return Access(user_id=None, **{kind: narrowed})


def scope_regions(scope: Scope, *, admin: bool = False) -> QuerySet:
    """Regions of the scope down to townships, and the villages of a township scope: a short list
    to write a report or an action for, whatever the scope's size."""
    paths = [path for path, _unit in scope]
    in_scope = Region.objects.all() if admin else Region.objects.filter(path_q("path", paths))
    return in_scope.filter(Q(level__lte=Region.Level.TOWNSHIP) | Q(parent__path__in=paths)).order_by("path")


def region_choices(regions) -> list[tuple[int, str]]:
    """Regions indented by their depth under the highest one listed."""
    regions = list(regions)
    top = min((region.level for region in regions), default=Region.Level.CITY)
    return [(region.pk, "\u3000" * (region.level - top) + region.name) for region in regions]


def can_write_reports(access: Access) -> bool:
    return access.is_supervisor


def can_edit_report(access: Access, report: SupervisionReport) -> bool:
    """A draft, by a supervisor whose supervision scope covers its region."""
    return report.status == SupervisionReport.Status.DRAFT and covers(access.supervision, report.region)


def can_open_actions(access: Access) -> bool:
    return access.is_inspector


def can_act_on(access: Access, action: AccountabilityAction) -> bool:
    """An inspector whose inspection scope covers the action's region moves it on."""
    return covers(access.inspection, action.region)


def can_edit_action(access: Access, action: AccountabilityAction) -> bool:
    return action.status == A.PROPOSED and can_act_on(access, action)


def can_request_exemption(access: Access, action: AccountabilityAction) -> bool:
    """The subject cadre, or a supervisor over them (over the region for a unit), asks."""
    if action.status == A.REVOKED:
        return False
    if action.subject_cadre_id:
        if access.cadre_id == action.subject_cadre_id:
            return True
        if not access.supervision:
            return False
        return Cadre.objects.filter(pk=action.subject_cadre_id).visible_to(_supervision_only(access)).exists()
    return covers(access.supervision, action.region)


def can_decide_exemption(access: Access, request: ExemptionRequest) -> bool:
    """An inspector over the action's region, never the one who asked."""
    return (
        request.decision == ExemptionRequest.Decision.PENDING
        and request.requested_by_id != access.user_id
        and can_act_on(access, request.action)
    )


def _supervision_only(access: Access) -> Access:
    return Access(user_id=None, supervision=access.supervision)


# --- supervision reports --------------------------------------------------------------------


def report_list(access: Access, *, status: str = "", page=1) -> Page:
    # The scoped queryset joins findings (for the cadres they name): count them in a query of
    # their own rather than over that join.
    visible = SupervisionReport.objects.visible_to(access).values("pk")
    reports = (
        SupervisionReport.objects.filter(pk__in=visible)
        .select_related("region", "author__cadre")
        .annotate(finding_count=Count("findings"))
        # Explicit: a model's default ordering is not applied to a grouped query.
        .order_by("-period_end", "-pk")
    )
    if status:
        reports = reports.filter(status=status)
    return Paginator(reports, PAGE_SIZE).get_page(page)


def report_for_page(access: Access, pk: int) -> SupervisionReport:
    return SupervisionReport.objects.select_related("region", "author__cadre", "issued_by__cadre").get_visible_or_404(
        access, pk=pk
    )


def report_findings(report: SupervisionReport) -> list[Finding]:
    return list(
        report.findings.select_related(
            "cadre__unit", "visit__household", "visit__village", "commitment__village", "petition_case__village"
        )
    )


def finding_for_page(access: Access, pk: int) -> Finding:
    finding = Finding.objects.select_related("report__region").filter(pk=pk).first()
    # Found through its report, so that it is visible exactly when its report is.
    report = report_for_page(access, finding.report_id if finding else 0)
    finding.report = report
    return finding


def finding_candidates(report: SupervisionReport, text: str) -> dict:
    """Cadres, commitments, petition cases and visits of the report's region matching ``text``
    (a name, words of the text, or an id)."""
    text = text.strip()
    if not text:
        return {}
    where = region_access(((report.region.path, report.unit_id),), report.region, kind="supervision")
    number = id_from(text.lstrip("#"))
    by_id = Q(pk=number) if number is not None else Q(pk__in=[])
    return {
        "cadres": list(
            Cadre.objects.visible_to(where)
            .filter(by_id | Q(name__icontains=text) | Q(user__username=text))
            .select_related("unit")[:SEARCH_SHOWN]
        ),
        "commitments": list(
            Commitment.objects.visible_to(where)
            .filter(by_id | Q(text__icontains=text) | Q(owner__name__icontains=text))
            .select_related("owner", "village")
            .order_by("-pledged_at")[:SEARCH_SHOWN]
        ),
        "petition_cases": list(
            PetitionCase.objects.visible_to(where)
            .filter(by_id | Q(subject__icontains=text) | Q(owning_leader__name__icontains=text))
            .select_related("owning_leader", "village")
            .order_by("-registered_at")[:SEARCH_SHOWN]
        ),
        "visits": list(
            Visit.objects.visible_to(where)
            .filter(Q(cadre__name__icontains=text) | Q(household__head_name__icontains=text))
            .select_related("cadre", "household", "village")
            .order_by("-visited_at")[:SEARCH_SHOWN]
        ),
    }


# --- accountability actions -----------------------------------------------------------------


def action_list(access: Access, *, status: str = "", form: str = "", cadre: int | None = None, page=1) -> Page:
    actions = AccountabilityAction.objects.visible_to(access).select_related(
        "subject_cadre__unit", "subject_unit", "region"
    )
    if status:
        actions = actions.filter(status=status)
    if form:
        actions = actions.filter(form=form)
    if cadre:
        actions = actions.filter(subject_cadre_id=cadre)
    actions = actions.annotate(
        pending_exemptions=Count(
            "exemption_requests", filter=Q(exemption_requests__decision=ExemptionRequest.Decision.PENDING)
        )
    ).order_by("-created_at", "-pk")
    return Paginator(actions, PAGE_SIZE).get_page(page)


def action_for_page(access: Access, pk: int) -> AccountabilityAction:
    return AccountabilityAction.objects.select_related(
        "subject_cadre__unit", "subject_unit", "region", "created_by__cadre"
    ).get_visible_or_404(access, pk=pk)


def action_page(action: AccountabilityAction) -> dict:
    """What the action's page shows beside the action: its grounds, history and requests."""
    return {
        "commitments": list(action.commitments.select_related("village", "owner").order_by("due_at", "pk")),
        "findings": list(action.findings.select_related("report", "cadre").order_by("report", "pk")),
        "snapshots": list(action.snapshot_links.select_related("attached_by__cadre")),
        "history": list(action.history.select_related("by__cadre")),
        "requests": list(action.exemption_requests.select_related("requested_by__cadre", "reviewer__cadre")),
        "notices": list(action.notices.order_by("-issued_on")),
    }


def overdue_candidates(
    where: Access, *, cadre: Cadre | None = None, unit: Unit | None = None, now: datetime | None = None
) -> QuerySet:
    """The subject's overdue commitments in ``where``: the grounds an action may cite."""
    owned = Q(owner=cadre) if cadre else Q(owner__unit=unit)
    return (
        Commitment.objects.visible_to(where)
        .overdue(now or timezone.now())
        .filter(owned)
        .select_related("village", "owner")
        .order_by("due_at", "pk")
    )


def finding_choices(where: Access, *, cadre: Cadre | None = None) -> QuerySet:
    """Findings of issued reports in ``where`` that name the cadre."""
    if cadre is None:
        return Finding.objects.none()
    reports = SupervisionReport.objects.visible_to(where).filter(status=SupervisionReport.Status.ISSUED)
    return (
        Finding.objects.filter(report__in=reports, cadre=cadre)
        .select_related("report")
        .order_by("-report__issued_at", "pk")
    )


def action_subject(access: Access, *, cadre: str = "", unit: str = ""):
    """(the cadre or unit named, None) when an inspector may open an action on it; (None, why)
    when it is not in their inspection scope; (None, None) when none is named."""
    where = Access(user_id=None, inspection=access.inspection)
    if cadre:
        number = id_from(cadre)
        if number is not None and number != access.cadre_id:
            try:
                return Cadre.objects.select_related("unit").get_visible_or_404(where, pk=number), None
            except Http404:
                pass
        return None, _("No cadre with number %(value)s in your inspection scope.") % {"value": cadre[:20]}
    if unit:
        paths = [path for path, _unit in access.inspection]
        number = id_from(unit)
        found = (
            number is not None
            and Unit.objects.filter(path_q("region__path", paths), pk=number).select_related("region").first()
        )
        if found:
            return found, None
        return None, _("No unit with number %(value)s in your inspection scope.") % {"value": unit[:20]}
    return None, None


def default_action_region(access: Access, commitment_ids) -> int | None:
    """The township of the first named commitment when the inspector covers it, else the first
    region of their inspection scope."""
    paths = [path for path, _unit in access.inspection]
    first = (
        Commitment.objects.filter(pk__in=commitment_ids[:1])
        .values_list("village__parent_id", "village__parent__path")
        .first()
    )
    if first and any(first[1].startswith(path) for path in paths):
        return first[0]
    return Region.objects.filter(path__in=paths).order_by("path").values_list("pk", flat=True).first()


def subject_search(access: Access, text: str) -> dict:
    """Cadres and units in the inspector's scope matching ``text``, to open an action on."""
    text = text.strip()
    if not text:
        return {}
    where = Access(user_id=None, inspection=access.inspection)
    paths = [path for path, _unit in access.inspection]
    return {
        "cadres": list(
            Cadre.objects.visible_to(where)
            .exclude(pk=access.cadre_id)
            .filter(Q(name__icontains=text) | Q(user__username=text))
            .select_related("unit")[:SEARCH_SHOWN]
        ),
        "units": list(Unit.objects.filter(path_q("region__path", paths), name__icontains=text)[:SEARCH_SHOWN]),
    }


def attachable_actions(access: Access) -> QuerySet:
    """Actions an inspector may attach grounds to: in their inspection scope, not revoked."""
    where = Access(user_id=None, inspection=access.inspection)
    return (
        AccountabilityAction.objects.visible_to(where)
        .exclude(status=A.REVOKED)
        .select_related("subject_cadre", "subject_unit")
    )


def snapshot_actions(access: Access, snapshot_id: int) -> list[ActionSnapshot]:
    """The links of a snapshot to the actions the viewer may see."""
    visible = AccountabilityAction.objects.visible_to(access).values("pk")
    return list(
        ActionSnapshot.objects.filter(snapshot_id=snapshot_id, action__in=visible).select_related(
            "action__subject_cadre", "action__subject_unit"
        )
    )


def exemption_for_page(access: Access, pk: int) -> ExemptionRequest:
    return ExemptionRequest.objects.select_related("action__region").get_visible_or_404(access, pk=pk)


# --- notices --------------------------------------------------------------------------------


def notice_list(access: Access, *, page=1) -> Page:
    visible = Notice.objects.visible_to(access).values("pk")
    notices = (
        Notice.objects.filter(pk__in=visible)
        .select_related("region")
        .annotate(action_count=Count("actions"))
        .order_by("-issued_on", "-pk")
    )
    return Paginator(notices, PAGE_SIZE).get_page(page)


def notice_for_page(access: Access, pk: int) -> Notice:
    notice = Notice.objects.select_related("region").get_visible_or_404(access, pk=pk)
    notice.listed_actions = list(notice.actions.select_related("subject_cadre__unit", "subject_unit").order_by("pk"))
    return notice


def notice_initial(access: Access, action_ids) -> dict:
    """The actions named, else the circulated criticism in scope not yet in a notice."""
    where = Access(user_id=None, inspection=access.inspection)
    actions = noticeable_actions(where)
    if action_ids:
        actions = actions.filter(pk__in=action_ids)
    else:
        actions = actions.filter(form=AccountabilityAction.Form.CIRCULATED, notices__isnull=True)
    paths = [path for path, _unit in access.inspection]
    region = Region.objects.filter(path__in=paths).order_by("path").values_list("pk", flat=True).first()
    return {
        "actions": list(actions.values_list("pk", flat=True)[:CANDIDATES_SHOWN]),
        "region": region,
        "issued_on": timezone.localdate(),
    }


def noticeable_actions(where: Access) -> QuerySet:
    """Decided actions in ``where`` a notice may name, circulated criticism first."""
    return (
        AccountabilityAction.objects.visible_to(where)
        .filter(status__in=NOTICEABLE)
        .select_related("subject_cadre__unit", "subject_unit")
        .prefetch_related(Prefetch("notices", queryset=Notice.objects.only("pk", "number")))
        .order_by("-decided_on", "-pk")
    )
