"""The performance archive (实绩档案) of one cadre over one period: derived, never typed in.

It puts side by side the cadre's figures (``figures.cadre_figures``, the one definition the
dashboard uses too), the petition cases they own, the findings of issued supervision reports
that name them, and their accountability history with its exemption decisions. It lives here,
above accountability, because it reads every app.

Who reads it: the cadre themself, and supervisors and inspectors whose scope covers the cadre
(administrators too, as everywhere); for anyone else the cadre does not exist (404). Every number
and row counts only what the viewer may see.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch, Q
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from accountability.models import AccountabilityAction, ExemptionRequest, Finding, SupervisionReport
from cadres.models import Cadre
from casework.models import PetitionCase
from households.access import Access

from . import figures
from .dashboard_forms import PeriodForm

# Petition cases listed (the page says how many there are in all).
CASES_SHOWN = 50


def archive_context(access: Access, cadre: Cadre, period: figures.Period, *, now) -> dict:
    """What the archive shows of ``cadre`` over ``period``, as ``access`` may see it."""
    rows = figures.cadre_figures(access, period, now=now, cadres=[cadre])
    start, stop = period.bounds()
    cases = (
        PetitionCase.objects.visible_to(access)
        .filter(owning_leader=cadre)
        # Registered in the period, or still open from before it.
        .filter(
            Q(registered_at__gte=start, registered_at__lt=stop)
            | Q(status__in=PetitionCase.OPEN_STATES, registered_at__lt=stop)
        )
        .select_related("village", "category")
        .order_by("-registered_at", "-pk")
    )
    reports = SupervisionReport.objects.visible_to(access).filter(status=SupervisionReport.Status.ISSUED)
    findings = (
        Finding.objects.filter(cadre=cadre, report__in=reports.values("pk"))
        # Reports about the period (their own period overlaps it), whenever issued.
        .filter(report__period_start__lte=period.end, report__period_end__gte=period.start)
        .select_related("report__region", "commitment", "visit__household", "visit__village", "petition_case")
        .order_by("report__period_end", "report__pk", "pk")
    )
    actions = (
        AccountabilityAction.objects.visible_to(access)
        .filter(subject_cadre=cadre)
        .filter(
            Q(created_at__gte=start, created_at__lt=stop) | Q(decided_on__gte=period.start, decided_on__lte=period.end)
        )
        .prefetch_related(
            Prefetch(
                "exemption_requests",
                queryset=ExemptionRequest.objects.select_related("reviewer__cadre").order_by("requested_at", "pk"),
            )
        )
        .order_by("created_at", "pk")
    )
    listed_cases = list(cases[: CASES_SHOWN + 1])
    return {
        "cadre": cadre,
        "period": period,
        "figures": rows[0][1] if rows else None,
        "cases": listed_cases[:CASES_SHOWN],
        "more_cases": len(listed_cases) > CASES_SHOWN,
        "findings": list(findings),
        "actions": list(actions),
        "now": now,
    }


@login_required
@require_GET
def cadre_archive(request, cadre_pk):
    access = request.access
    cadre = Cadre.objects.select_related("unit__region").get_visible_or_404(access, pk=cadre_pk)
    form = PeriodForm(request.GET)
    if not form.is_valid():
        messages.error(request, _("Choose a valid period."))
        return render(request, "reports/archive.html", {"cadre": cadre, "form": form}, status=400)
    context = archive_context(access, cadre, form.to_period(), now=timezone.now())
    context |= {
        "form": form,
        "is_self": access.cadre_id == cadre.pk,
        "can_open_action": access.is_inspector and access.cadre_id != cadre.pk,
    }
    return render(request, "reports/archive.html", context)
