from django.contrib import admin

from . import services
from .models import (
    AccountabilityAction,
    ActionSnapshot,
    ActionStatusChange,
    Escalation,
    EscalationRule,
    ExemptionRequest,
    Finding,
    Notice,
    RobotWebhook,
    SupervisionReport,
    SweepWatermark,
)


@admin.register(EscalationRule)
class EscalationRuleAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "subject", "offset_days", "working_days", "audience", "is_active"]
    list_filter = ["subject", "audience", "is_active"]
    list_editable = ["is_active"]
    search_fields = ["name", "code"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change and {"subject", "offset_days"} & set(form.changed_data):
            # The ladder's ranks may have moved: the commitments' kept levels follow them.
            services.escalation_levels_repair()


@admin.register(Escalation)
class EscalationAdmin(admin.ModelAdmin):
    list_display = ["rule", "item", "village", "due_at", "delivery", "attempts", "sent_at"]
    list_filter = ["rule", "delivery"]
    raw_id_fields = ["commitment", "concern", "petition_case", "village"]
    list_select_related = ["rule", "village", "commitment", "concern", "petition_case"]
    readonly_fields = ["created_at", "claimed_at", "sent_at", "attempts", "retry_at", "channels_done", "last_error"]
    date_hierarchy = "due_at"
    show_full_result_count = False

    def has_add_permission(self, request):
        # Escalations are written by the overdue sweep alone.
        return False

    def get_readonly_fields(self, request, obj=None):
        # Which item reached which rung is what the sweep found: only the delivery may be corrected.
        return ["rule", "commitment", "concern", "petition_case", *self.readonly_fields]

    def delete_model(self, request, obj):
        services.escalations_delete(escalations=Escalation.objects.filter(pk=obj.pk))

    def delete_queryset(self, request, queryset):
        services.escalations_delete(escalations=queryset)


@admin.register(SweepWatermark)
class SweepWatermarkAdmin(admin.ModelAdmin):
    """Read-only: how far the sweep has got for each rung."""

    list_display = ["rule", "reached_until", "last_item_id", "swept_at"]
    list_select_related = ["rule"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(RobotWebhook)
class RobotWebhookAdmin(admin.ModelAdmin):
    list_display = ["name", "region", "kind", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["name", "region__name"]
    autocomplete_fields = ["region"]
    list_select_related = ["region"]


class FindingInline(admin.StackedInline):
    model = Finding
    extra = 0
    raw_id_fields = ["cadre", "visit", "commitment", "petition_case"]


@admin.register(SupervisionReport)
class SupervisionReportAdmin(admin.ModelAdmin):
    list_display = ["title", "region", "unit", "period_start", "period_end", "status", "author"]
    list_filter = ["status"]
    search_fields = ["title", "summary"]
    autocomplete_fields = ["region", "unit"]
    raw_id_fields = ["author"]
    list_select_related = ["region", "unit", "author"]
    readonly_fields = ["status", "issued_at", "issued_by"]
    inlines = [FindingInline]


class ActionStatusChangeInline(admin.TabularInline):
    model = ActionStatusChange
    extra = 0
    can_delete = False
    fields = ["at", "by", "from_status", "to_status", "note"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


class ActionSnapshotInline(admin.TabularInline):
    model = ActionSnapshot
    extra = 0
    raw_id_fields = ["attached_by"]


@admin.register(AccountabilityAction)
class AccountabilityActionAdmin(admin.ModelAdmin):
    list_display = ["__str__", "form", "subject_cadre", "subject_unit", "region", "status", "decided_on"]
    list_filter = ["form", "status"]
    search_fields = ["grounds", "subject_cadre__name", "subject_unit__name", "deciding_body"]
    autocomplete_fields = ["subject_cadre", "subject_unit", "region"]
    raw_id_fields = ["commitments", "findings", "created_by"]
    list_select_related = ["subject_cadre", "subject_unit", "region"]
    readonly_fields = ["status"]
    inlines = [ActionStatusChangeInline, ActionSnapshotInline]


@admin.register(ExemptionRequest)
class ExemptionRequestAdmin(admin.ModelAdmin):
    list_display = ["action", "requested_by", "requested_at", "decision", "reviewer", "decided_at"]
    list_filter = ["decision"]
    search_fields = ["grounds"]
    raw_id_fields = ["action", "requested_by", "reviewer"]
    list_select_related = ["action", "requested_by", "reviewer"]
    readonly_fields = ["decision", "reviewer", "decided_at", "decision_note"]


@admin.register(Notice)
class NoticeAdmin(admin.ModelAdmin):
    list_display = ["number", "title", "region", "issuer", "issued_on"]
    search_fields = ["number", "title", "body"]
    autocomplete_fields = ["region"]
    raw_id_fields = ["actions", "created_by"]
    list_select_related = ["region"]
