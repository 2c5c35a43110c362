"""Writes of the reports: the export audit log, background exports, frozen snapshots."""

import logging
import tempfile
from datetime import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from cadres.access import access_for
from config.celery_app import enqueue_on_commit
from households.history import change_status

from . import exports, selectors
from .models import ExportAudit, ExportFormat, ExportJob, OverdueSnapshot, OverdueSnapshotRow

logger = logging.getLogger(__name__)

SNAPSHOT_BATCH = 2_000
# What a snapshot row copies from a displayed row (see exports.annotate_row).
SNAPSHOT_COLUMNS = (
    "village_name",
    "household_name",
    "text",
    "category_name",
    "owner_name",
    "unit_name",
    "pledged_at",
    "original_due_at",
    "due_at",
    "extension_count",
    "days_overdue",
    "level_name",
)
# A snapshot is attached to a case and printed: beyond this many rows, narrow the filters.
SNAPSHOT_MAX_ROWS = 5_000


def export_header(report: selectors.Report) -> exports.Header:
    return exports.Header(scope=report.scope.text, filters=report.form.describe(), generated_at=report.now)


def _record_fields(report: selectors.Report) -> dict:
    return {
        "filters": report.form.filter_values(),
        "filters_text": report.form.describe(),
        "scope_text": report.scope.text,
        "scope_path": report.scope.path,
    }


def export_audit_record(*, user, report: selectors.Report, format: str, row_count: int, job=None) -> ExportAudit:
    """One line of the export audit log: who exported which rows, when."""
    return ExportAudit.objects.create(
        user=user, format=format, row_count=row_count, job=job, at=timezone.now(), **_record_fields(report)
    )


def export_is_background(*, format: str, row_count: int) -> bool:
    limit = settings.EXPORT_ASYNC_ROWS
    if format == ExportFormat.PDF:
        limit = min(limit, exports.PDF_SYNC_ROWS)
    return row_count > limit


def export_job_start(*, user, report: selectors.Report, format: str, row_count: int) -> ExportJob:
    """Queue an export to be built by a worker; it starts once this transaction has committed."""
    job = ExportJob.objects.create(
        user=user,
        format=format,
        language=translation.get_language() or settings.LANGUAGE_CODE,
        as_of=report.now,
        rows_total=row_count,
        **_record_fields(report),
    )
    enqueue_on_commit("reports.tasks.export_run", job.pk)
    return job


def _job_update(job: ExportJob, **values) -> None:
    ExportJob.objects.filter(pk=job.pk).update(**values)


def export_job_run(*, job_id: int) -> ExportJob:
    """Build a queued export's file in default storage, reporting progress as it goes.

    The filters are checked again against the user's scope as it is now, and the rows are those
    overdue at the moment the user asked. A job already started or finished is left alone, so a
    task delivered twice builds the file once.
    """
    job = ExportJob.objects.select_related("user").get(pk=job_id)
    try:
        change_status(job, field="status", to=ExportJob.Status.RUNNING, transitions=ExportJob.TRANSITIONS)
    except Exception:  # noqa: BLE001 - TransitionError: another delivery of the task has it
        logger.info("export job %s is already %s", job.pk, job.status)
        return job
    try:
        with translation.override(job.language):
            report = selectors.overdue_report(access_for(job.user), job.filters, now=job.as_of)
            if report.rows is None:
                raise ValueError(f"filters no longer valid: {report.form.errors.as_text()}")
            _job_update(job, rows_total=report.rows.count())
            done = _write_export_file(job, report)
        with transaction.atomic():
            change_status(
                job,
                field="status",
                to=ExportJob.Status.DONE,
                transitions=ExportJob.TRANSITIONS,
                updates={"file": job.file.name, "rows_done": done, "rows_total": done, "finished_at": timezone.now()},
            )
            export_audit_record(user=job.user, report=report, format=job.format, row_count=done, job=job)
    except Exception as error:
        logger.exception("export job %s failed", job.pk)
        job.refresh_from_db()
        if job.status == ExportJob.Status.RUNNING:
            change_status(
                job,
                field="status",
                to=ExportJob.Status.FAILED,
                transitions=ExportJob.TRANSITIONS,
                updates={"error": str(error)[:2000], "finished_at": timezone.now()},
            )
    return job


def _write_export_file(job: ExportJob, report: selectors.Report) -> int:
    def progress(done: int) -> None:
        _job_update(job, rows_done=done)

    with tempfile.TemporaryFile() as out:
        if job.format == ExportFormat.CSV:
            done = 0

            def counted(rows: int) -> None:
                nonlocal done
                done = rows
                progress(rows)

            values = exports.export_values(report.rows, now=report.now, rungs=report.rungs)
            for chunk in exports.csv_chunks(values, export_header(report), counted):
                out.write(chunk)
        elif job.format == ExportFormat.XLSX:
            values = exports.export_values(report.rows, now=report.now, rungs=report.rungs)
            done = exports.xlsx_write(out, values, export_header(report), progress)
        else:
            rows = list(selectors.with_related(report.rows, report.rungs)[: exports.PDF_MAX_ROWS])
            done = len(rows)
            pdf = exports.pdf_bytes(rows, export_header(report), now=report.now, rungs=report.rungs, progress=progress)
            out.write(pdf)
        out.seek(0)
        stamp = timezone.localtime(job.as_of)
        job.file.save(f"overdue-{stamp:%Y%m%d-%H%M%S}-{job.pk}.{job.format}", File(out), save=False)
    return done


def export_filename(format: str, at: datetime) -> str:
    return f"overdue-{timezone.localtime(at):%Y%m%d-%H%M%S}.{format}"


@transaction.atomic
def snapshot_save(*, user, report: selectors.Report, title: str = "") -> OverdueSnapshot:
    """Freeze the report's rows as they are now: values copied, never updated afterwards.

    Refuses (ValidationError, nothing saved) a list longer than SNAPSHOT_MAX_ROWS.
    """
    if report.rows.count() > SNAPSHOT_MAX_ROWS:
        raise ValidationError(_("A snapshot holds at most %(max)s rows: narrow the filters.") % {"max": SNAPSHOT_MAX_ROWS})
    levels = report.levels
    snapshot = OverdueSnapshot.objects.create(
        created_by=user, created_at=report.now, title=title.strip(), row_count=0, **_record_fields(report)
    )
    batch, position = [], 0
    for commitment in selectors.with_related(report.rows, report.rungs).iterator(chunk_size=SNAPSHOT_BATCH):
        row = exports.annotate_row(commitment, now=report.now, levels=levels)
        position += 1
        batch.append(
            OverdueSnapshotRow(
                snapshot=snapshot,
                position=position,
                commitment=commitment,
                **{name: getattr(row, name) for name in SNAPSHOT_COLUMNS},
                bucket=row.bucket.code,
                status=commitment.status,
            )
        )
        if len(batch) == SNAPSHOT_BATCH:
            OverdueSnapshotRow.objects.bulk_create(batch)
            batch = []
    OverdueSnapshotRow.objects.bulk_create(batch)
    OverdueSnapshot.objects.filter(pk=snapshot.pk).update(row_count=position)
    snapshot.row_count = position
    return snapshot

