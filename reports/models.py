"""What the reports keep: export jobs run in the background, the export audit log, and frozen
snapshots of the overdue report."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from casework.models import Commitment
from households.access import Access, ScopedQuerySet, path_q

from . import figures


class ExportFormat(models.TextChoices):
    CSV = "csv", "CSV"
    XLSX = "xlsx", _("Excel (XLSX)")
    PDF = "pdf", "PDF"


class ReportRecord(models.Model):
    """What every export and snapshot records about the list it was made from."""

    # The filters as the user gave them (query parameters), to run again and to show.
    filters = models.JSONField(_("filters"), default=dict, blank=True)
    filters_text = models.TextField(_("filters"), blank=True)
    scope_text = models.CharField(_("scope"), max_length=300)
    # The region path covering every row ("" for the whole system): who may read the record.
    scope_path = models.CharField(_("scope path"), max_length=255, blank=True)

    class Meta:
        abstract = True


class ExportJobQuerySet(ScopedQuerySet, models.QuerySet):
    def visible_to(self, access: Access):
        # A job's file is for the one who asked for it, administrators included.
        return self.filter(user_id=access.user_id) if access.user_id else self.none()


class ExportJob(ReportRecord):
    """An export too large to build during the request, built by a Celery task."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("waiting")
        RUNNING = "running", _("running")
        DONE = "done", _("done")
        FAILED = "failed", _("failed")

    TRANSITIONS = {
        Status.QUEUED: {Status.RUNNING, Status.FAILED},
        Status.RUNNING: {Status.DONE, Status.FAILED},
        Status.DONE: set(),
        Status.FAILED: set(),
    }

    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("requested by"), on_delete=models.PROTECT, related_name="+")
    format = models.CharField(_("format"), max_length=4, choices=ExportFormat.choices)
    language = models.CharField(_("language"), max_length=10)
    # Overdue as of this moment: the rows are those of the list the user was looking at.
    as_of = models.DateTimeField(_("as of"))
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.QUEUED)
    rows_total = models.PositiveIntegerField(_("rows"), default=0)
    rows_done = models.PositiveIntegerField(_("rows written"), default=0)
    file = models.FileField(_("file"), upload_to="exports/%Y/%m/", blank=True)
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    objects = ExportJobQuerySet.as_manager()

    class Meta:
        verbose_name = _("export job")
        verbose_name_plural = _("export jobs")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                name="export_job_status_valid", condition=Q(status__in=["queued", "running", "done", "failed"])
            ),
            models.CheckConstraint(name="export_job_format_valid", condition=Q(format__in=["csv", "xlsx", "pdf"])),
        ]

    def __str__(self):
        return f"{self.get_format_display()} · {self.user} · {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        return min(99, self.rows_done * 100 // self.rows_total) if self.rows_total else 0


class ExportAuditQuerySet(ScopedQuerySet, models.QuerySet):
    def visible_to(self, access: Access):
        if access.is_admin:
            return self.all()
        # Discipline inspectors read the exports of rows inside their inspection scope.
        return self.filter(path_q("scope_path", [path for path, _unit in access.inspection]))


class ExportAudit(ReportRecord):
    """One row per export, written whether it was built at once or in the background."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("exported by"), on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(_("at"), default=timezone.now)
    report = models.CharField(_("report"), max_length=30, default="overdue")
    format = models.CharField(_("format"), max_length=4, choices=ExportFormat.choices)
    row_count = models.PositiveIntegerField(_("rows"))
    job = models.ForeignKey(
        ExportJob, verbose_name=_("background job"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = ExportAuditQuerySet.as_manager()

    class Meta:
        verbose_name = _("export audit record")
        verbose_name_plural = _("export audit log")
        ordering = ["-at", "-pk"]
        indexes = [
            # The export log page and the admin list, newest first.
            models.Index(fields=["-at"], name="export_audit_at_idx"),
        ]

    def __str__(self):
        return f"{self.user} · {self.get_format_display()} · {self.row_count}"


class OverdueSnapshotQuerySet(ScopedQuerySet, models.QuerySet):
    def visible_to(self, access: Access):
        if access.is_admin:
            return self.all()
        own = Q(created_by_id=access.user_id) if access.user_id else Q(pk__in=[])
        return self.filter(own | path_q("scope_path", access.scope_paths))


class OverdueSnapshot(ReportRecord):
    """The overdue report frozen at a moment, to attach to a case. Never changed afterwards:
    its rows hold copies of the values, not only references."""

    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("saved by"), on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("saved at"), default=timezone.now)
    title = models.CharField(_("title"), max_length=200, blank=True)
    row_count = models.PositiveIntegerField(_("rows"))

    objects = OverdueSnapshotQuerySet.as_manager()

    class Meta:
        verbose_name = _("overdue snapshot")
        verbose_name_plural = _("overdue snapshots")
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return self.title or f"{self.scope_text} · {timezone.localtime(self.created_at):%Y-%m-%d %H:%M}"


class OverdueSnapshotRow(models.Model):
    """One overdue commitment as the report showed it when the snapshot was saved."""

    snapshot = models.ForeignKey(OverdueSnapshot, verbose_name=_("snapshot"), on_delete=models.PROTECT, related_name="rows")
    position = models.PositiveIntegerField(_("position"))
    # Kept to open the commitment as it is now; the columns below are what it was then.
    commitment = models.ForeignKey(
        Commitment, verbose_name=_("commitment"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    village_name = models.CharField(_("village"), max_length=100)
    household_name = models.CharField(_("household"), max_length=100, blank=True)
    text = models.TextField(_("what was pledged"))
    category_name = models.CharField(_("category"), max_length=50)
    owner_name = models.CharField(_("owner"), max_length=50)
    unit_name = models.CharField(_("unit"), max_length=100)
    pledged_at = models.DateTimeField(_("pledged at"))
    original_due_at = models.DateTimeField(_("original due date"))
    due_at = models.DateTimeField(_("due date"))
    extension_count = models.PositiveSmallIntegerField(_("extensions"))
    days_overdue = models.PositiveIntegerField(_("days overdue"))
    bucket = models.CharField(_("aging bucket"), max_length=8)
    level_name = models.CharField(_("escalation level"), max_length=100, blank=True)
    status = models.CharField(_("status"), max_length=14, choices=Commitment.Status.choices)

    class Meta:
        verbose_name = _("snapshot row")
        verbose_name_plural = _("snapshot rows")
        ordering = ["snapshot", "position"]
        constraints = [
            models.UniqueConstraint(fields=["snapshot", "position"], name="snapshot_row_position_unique"),
        ]

    def __str__(self):
        return self.text[:40]

    @property
    def bucket_label(self) -> str:
        return figures.BUCKETS_BY_CODE[self.bucket].label


# The dashboard's rollups, in a module of their own (derived data, written by reports.rollups).
from .rollup_models import (  # noqa: E402, F401
    CadreRegion,
    CadreVillagePeriod,
    CategoryRegionPeriod,
    RegionPeriod,
    RollupPeriod,
    UnitRegionPeriod,
    VillagePeriod,
)
