from django.contrib import admin

from .models import (
    CalendarOverride,
    Category,
    Commitment,
    CommitmentProgress,
    CommitmentRequest,
    CommitmentTransition,
    Concern,
    ConcernHistory,
    DeadlinePolicy,
    PetitionCase,
    PetitionEvent,
    PetitionUnit,
    ResidentCode,
)


class HistoryInline(admin.TabularInline):
    """History rows are written by the transition methods only: shown, never edited here."""

    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "sort_order", "is_active"]
    list_editable = ["sort_order", "is_active"]
    search_fields = ["name", "code"]
    prepopulated_fields = {"code": ["name"]}


@admin.register(DeadlinePolicy)
class DeadlinePolicyAdmin(admin.ModelAdmin):
    list_display = ["category", "urgency", "working_days"]
    list_editable = ["working_days"]
    list_filter = ["urgency", "category"]
    list_select_related = ["category"]


@admin.register(CalendarOverride)
class CalendarOverrideAdmin(admin.ModelAdmin):
    list_display = ["date", "is_workday", "note"]
    list_filter = ["is_workday"]
    date_hierarchy = "date"


class ConcernHistoryInline(HistoryInline):
    model = ConcernHistory
    fields = ["at", "by", "from_outcome", "to_outcome", "note"]
    readonly_fields = fields


@admin.register(Concern)
class ConcernAdmin(admin.ModelAdmin):
    list_display = ["__str__", "household", "village", "category", "urgency", "channel", "outcome", "raised_at"]
    list_filter = ["outcome", "channel", "urgency", "category"]
    search_fields = ["text", "household__head_name", "village__name"]
    autocomplete_fields = ["household", "village", "raised_by", "petition_case"]
    list_select_related = ["household", "village", "category"]
    # The outcome changes through Concern.set_outcome, which writes history.
    readonly_fields = ["outcome", "outcome_note", "outcome_at", "outcome_by"]
    inlines = [ConcernHistoryInline]
    date_hierarchy = "raised_at"
    show_full_result_count = False


class CommitmentTransitionInline(HistoryInline):
    model = CommitmentTransition
    fields = ["at", "by", "from_status", "to_status", "reason"]
    readonly_fields = fields


class CommitmentProgressInline(admin.TabularInline):
    model = CommitmentProgress
    extra = 0
    fields = ["at", "author", "text", "evidence"]
    raw_id_fields = ["author"]


class CommitmentRequestInline(HistoryInline):
    model = CommitmentRequest
    fields = ["kind", "reason", "proposed_due_at", "requested_by", "decision", "decided_by", "decided_at"]
    readonly_fields = fields


@admin.register(Commitment)
class CommitmentAdmin(admin.ModelAdmin):
    list_display = ["__str__", "owner", "household", "category", "status", "due_at", "extension_count"]
    list_filter = ["status", "urgency", "category"]
    search_fields = ["text", "owner__name", "household__head_name"]
    autocomplete_fields = ["concern", "household", "village", "owner", "pledged_by", "petition_case"]
    list_select_related = ["owner", "household", "category"]
    # Status, deadlines and extensions change through Commitment.transition and approved requests.
    readonly_fields = ["status", "status_changed_at", "closed_at", "original_due_at", "extension_count"]
    inlines = [CommitmentTransitionInline, CommitmentRequestInline, CommitmentProgressInline]
    date_hierarchy = "due_at"
    show_full_result_count = False

    def has_add_permission(self, request):
        # A commitment is pledged on a concern, through the pledge service, never typed in here.
        return False


@admin.register(CommitmentRequest)
class CommitmentRequestAdmin(admin.ModelAdmin):
    list_display = ["commitment", "kind", "requested_by", "requested_at", "decision", "decided_by"]
    list_filter = ["kind", "decision"]
    search_fields = ["reason", "commitment__text"]
    raw_id_fields = ["commitment", "requested_by", "decided_by"]
    list_select_related = ["commitment", "requested_by", "decided_by"]


@admin.register(ResidentCode)
class ResidentCodeAdmin(admin.ModelAdmin):
    list_display = ["code", "purpose", "created_at", "expires_at", "used_at", "rating"]
    list_filter = ["purpose", "rating"]
    search_fields = ["code"]
    raw_id_fields = ["commitment"]
    readonly_fields = ["used_at", "rating", "comment"]

    def has_add_permission(self, request):
        return False


class PetitionUnitInline(admin.TabularInline):
    model = PetitionUnit
    extra = 0
    autocomplete_fields = ["unit"]


class PetitionEventInline(HistoryInline):
    model = PetitionEvent
    fields = ["at", "kind", "by", "from_status", "to_status", "note"]
    readonly_fields = fields


@admin.register(PetitionCase)
class PetitionCaseAdmin(admin.ModelAdmin):
    list_display = ["subject", "petitioner_name", "village", "channel", "status", "registered_at", "owning_leader"]
    list_filter = ["status", "channel", "category", "evaluation"]
    search_fields = ["subject", "petitioner_name", "content"]
    autocomplete_fields = ["petitioner_household", "village", "owning_leader", "repeat_of"]
    list_select_related = ["village", "owning_leader"]
    readonly_fields = ["status", "closed_at"]
    inlines = [PetitionUnitInline, PetitionEventInline]
    date_hierarchy = "registered_at"
