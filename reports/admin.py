from django.contrib import admin

from casework.admin import HistoryInline

from .models import ExportAudit, ExportJob, OverdueSnapshot, OverdueSnapshotRow


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records written by the reports themselves: read, never added, changed or deleted here."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ExportAudit)
class ExportAuditAdmin(ReadOnlyAdmin):
    list_display = ["at", "user", "format", "row_count", "scope_text", "filters_text", "job"]
    list_filter = ["format", "report"]
    search_fields = ["user__username", "scope_text", "filters_text"]
    list_select_related = ["user", "job"]
    date_hierarchy = "at"


@admin.register(ExportJob)
class ExportJobAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "user", "format", "status", "rows_done", "rows_total", "finished_at"]
    list_filter = ["status", "format"]
    list_select_related = ["user"]


class SnapshotRowInline(HistoryInline):
    model = OverdueSnapshotRow
    fields = ["position", "village_name", "household_name", "text", "owner_name", "due_at", "days_overdue", "status"]
    readonly_fields = fields


@admin.register(OverdueSnapshot)
class OverdueSnapshotAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "title", "created_by", "scope_text", "row_count"]
    list_select_related = ["created_by"]
    search_fields = ["title", "scope_text"]
    inlines = [SnapshotRowInline]
