"""The inspectors' overdue-case report, its exports, the export audit log and snapshots.

The report is for supervisors, discipline inspectors and administrators; anyone else gets 403
with the reason. Filters outside the viewer's scope are refused with a message next to the field
(400), never answered with another scope's rows.
"""

import tempfile

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import FileResponse, Http404, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from accountability import selectors as accountability_selectors
from accountability import services as accountability_services
from households.access import id_from

from . import exports, permissions, selectors, services
from .models import ExportAudit, ExportFormat, ExportJob, OverdueSnapshot

LOG_PAGE_SIZE = 50
SNAPSHOTS_PAGE_SIZE = 30
CONTENT_TYPES = {
    ExportFormat.CSV: "text/csv; charset=utf-8",
    ExportFormat.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ExportFormat.PDF: "application/pdf",
}


# The report's pages answer 403, saying why, to anyone without a scope to read.
readers_only = permissions.readers_only(
    gettext_lazy("The overdue report is for supervisors, discipline inspectors and administrators.")
)


@login_required
@require_GET
@readers_only
def overdue_report(request):
    report = selectors.overdue_report(request.access, request.GET)
    format = request.GET.get("format", "")
    if format and format not in ExportFormat.values:
        report.form.add_error(None, _("Unknown export format."))
    if report.rows is None or not report.form.is_valid():
        return _page(request, report, status=400)
    if format:
        return _export(request, report, format)
    cursor = None
    if after := request.GET.get("after"):
        cursor = selectors.parse_cursor(after)
        if cursor is None:
            messages.warning(request, _("That page link is not valid any more: here is the first page."))
    page = selectors.overdue_page(
        report.rows, now=report.now, rungs=report.rungs, categories=report.form.categories, cursor=cursor
    )
    total = selectors.count_upto(report.rows, selectors.COUNT_SHOWN + 1)
    return _page(request, report, page=page, total=total, cursor=cursor)


def _page(request, report, *, page=None, total=None, cursor=None, status=200):
    filters = report.form.filter_values() if report.form.is_bound and report.rows is not None else {}
    return render(
        request,
        "reports/overdue.html",
        {
            "report": report,
            "form": report.form,
            "page": page,
            "total": total,
            "first_page": cursor is not None,
            "filters": filters,
            "formats": ExportFormat.choices,
            "count_shown": selectors.COUNT_SHOWN,
        },
        status=status,
    )


def _export(request, report, format: str):
    # Counted only as far as it takes to decide: a larger export is counted by its job.
    limit = exports.PDF_MAX_ROWS if format == ExportFormat.PDF else settings.EXPORT_ASYNC_ROWS
    row_count = selectors.count_upto(report.rows, limit + 1)
    if format == ExportFormat.PDF and row_count > exports.PDF_MAX_ROWS:
        report.form.add_error(
            None,
            _("A PDF holds at most %(max)s rows and these filters match %(count)s: narrow them, or export XLSX or CSV.")
            % {"max": exports.PDF_MAX_ROWS, "count": row_count},
        )
        return _page(request, report, status=400)
    if services.export_is_background(format=format, row_count=row_count):
        job = services.export_job_start(user=request.user, report=report, format=format, row_count=row_count)
        return redirect("export_job", pk=job.pk)
    services.export_audit_record(user=request.user, report=report, format=format, row_count=row_count)
    header = services.export_header(report)
    filename = services.export_filename(format, report.now)
    if format == ExportFormat.CSV:
        values = exports.export_values(report.rows, now=report.now, rungs=report.rungs)
        response = StreamingHttpResponse(exports.csv_chunks(values, header), content_type=CONTENT_TYPES[format])
    elif format == ExportFormat.XLSX:
        out = tempfile.TemporaryFile()
        exports.xlsx_write(out, exports.export_values(report.rows, now=report.now, rungs=report.rungs), header)
        out.seek(0)
        response = FileResponse(out, content_type=CONTENT_TYPES[format])
    else:
        rows = selectors.with_related(report.rows, report.rungs)
        response = HttpResponse(
            exports.pdf_bytes(rows, header, now=report.now, rungs=report.rungs), content_type=CONTENT_TYPES[format]
        )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# --- background exports -------------------------------------------------------------------------


def _own_job(request, pk) -> ExportJob:
    return ExportJob.objects.get_visible_or_404(request.access, pk=pk)


@login_required
@require_GET
def export_job(request, pk):
    """The progress of a background export, and its download link once done."""
    return render(request, "reports/export_job.html", {"job": _own_job(request, pk)})


@login_required
@require_GET
def export_job_status(request, pk):
    job = _own_job(request, pk)
    return JsonResponse(
        {
            "status": job.status,
            "status_label": job.get_status_display(),
            "rows_done": job.rows_done,
            "rows_total": job.rows_total,
            "percent": job.percent,
            "download": reverse("export_job_download", args=[job.pk]) if job.status == ExportJob.Status.DONE else None,
        }
    )


@login_required
@require_GET
def export_job_download(request, pk):
    job = _own_job(request, pk)
    if job.status != ExportJob.Status.DONE or not job.file:
        raise Http404
    return FileResponse(
        job.file.open("rb"),
        as_attachment=True,
        filename=services.export_filename(job.format, job.as_of),
        content_type=CONTENT_TYPES[job.format],
    )


@login_required
@require_GET
def export_log(request):
    """The export audit log: discipline inspectors read the exports of their scope."""
    if not (request.access.is_inspector or request.access.is_admin):
        return permissions.forbidden(request, _("The export log is for discipline inspectors and administrators."))
    audits = ExportAudit.objects.visible_to(request.access).select_related("user__cadre")
    page = Paginator(audits, LOG_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "reports/export_log.html", {"page": page})


# --- snapshots ----------------------------------------------------------------------------------


@login_required
@require_POST
@readers_only
def snapshot_create(request):
    report = selectors.overdue_report(request.access, request.POST)
    if report.rows is None:
        return _page(request, report, status=400)
    try:
        snapshot = services.snapshot_save(user=request.user, report=report, title=request.POST.get("title", "")[:200])
    except ValidationError as refusal:
        report.form.add_error(None, refusal)
        return _page(request, report, status=400)
    messages.success(request, _("Snapshot saved: %(count)s rows, as they are now.") % {"count": snapshot.row_count})
    return redirect("snapshot_detail", pk=snapshot.pk)


@login_required
@require_GET
@readers_only
def snapshot_list(request):
    snapshots = OverdueSnapshot.objects.visible_to(request.access).select_related("created_by__cadre")
    page = Paginator(snapshots, SNAPSHOTS_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "reports/snapshot_list.html", {"page": page})


@login_required
@require_GET
@readers_only
def snapshot_detail(request, pk):
    snapshot = OverdueSnapshot.objects.select_related("created_by__cadre").get_visible_or_404(request.access, pk=pk)
    return _snapshot_page(request, snapshot)


def _snapshot_page(request, snapshot, *, error: str = "", status: int = 200):
    """The snapshot, the accountability actions it is attached to, and (for an inspector) those
    it may be attached to."""
    access = request.access
    context = {
        "snapshot": snapshot,
        "rows": selectors.table_rows(snapshot.rows.all()),
        "attached": accountability_selectors.snapshot_actions(access, snapshot.pk),
        "attachable": list(accountability_selectors.attachable_actions(access)[:100]) if access.is_inspector else [],
        "attach_error": error,
    }
    return render(request, "reports/snapshot_detail.html", context, status=status)


@login_required
@require_POST
@readers_only
def snapshot_attach(request, pk):
    """Attach a snapshot to an accountability action as its grounds. Accountability keeps the
    link by the snapshot's id (it may not know this app), so the scope of both is checked here."""
    snapshot = OverdueSnapshot.objects.select_related("created_by__cadre").get_visible_or_404(request.access, pk=pk)
    if not request.access.is_inspector:
        return permissions.forbidden(request, _("Snapshots are attached to accountability actions by discipline inspectors."))
    chosen = id_from(request.POST.get("action", ""))
    action = chosen is not None and accountability_selectors.attachable_actions(request.access).filter(pk=chosen).first()
    if not action:
        return _snapshot_page(request, snapshot, error=_("Choose an accountability action of your inspection scope."), status=400)
    try:
        with transaction.atomic():
            attached = accountability_services.action_snapshot_attach(action=action, snapshot_id=snapshot.pk, by=request.user)
    except ValidationError as refusal:
        return _snapshot_page(request, snapshot, error=" ".join(refusal.messages), status=400)
    if attached:
        messages.success(request, _("Snapshot attached to the accountability action."))
    else:
        messages.info(request, _("This snapshot was already attached to that action."))
    return redirect("action_detail", pk=action.pk)
