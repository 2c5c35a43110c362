from django.contrib import admin

from .models import Visit, VisitAmendment, VisitPhoto


class VisitPhotoInline(admin.TabularInline):
    model = VisitPhoto
    extra = 0


class VisitAmendmentInline(admin.TabularInline):
    model = VisitAmendment
    extra = 0
    can_delete = False
    fields = ["at", "by", "reason", "changes"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Visit)
class VisitAdmin(admin.ModelAdmin):
    list_display = [
        "visited_at",
        "kind",
        "cadre",
        "recorded_by",
        "household",
        "village",
        "companions",
        "flag_proxy",
        "flag_backdated",
        "flag_far",
        "flag_burst",
        "flag_copied",
    ]
    list_filter = ["kind", "flag_proxy", "flag_backdated", "flag_far", "flag_burst", "flag_copied"]
    search_fields = ["cadre__name", "household__head_name", "village__name", "thoughts", "wants"]
    autocomplete_fields = ["cadre", "household", "village"]
    raw_id_fields = ["recorded_by", "concerns", "followed_commitments", "followed_petitions", "resident_code"]
    list_select_related = ["cadre", "recorded_by", "household", "village"]
    readonly_fields = ["id", "received_at", "flag_proxy", "flag_backdated", "flag_far", "flag_burst", "flag_copied"]
    inlines = [VisitPhotoInline, VisitAmendmentInline]
    date_hierarchy = "visited_at"
    show_full_result_count = False

    def has_delete_permission(self, request, obj=None):
        # Visits are never deleted; mistakes are corrected by amendments.
        return False
