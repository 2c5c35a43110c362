from django.contrib import admin

from .models import Cadre, ContactPoint, Notification, Pairing, Posting, Scope, Unit


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "region"]
    list_filter = ["region__level"]
    search_fields = ["name", "code"]
    autocomplete_fields = ["region"]
    list_select_related = ["region"]


class AssignmentAdmin(admin.ModelAdmin):
    """Assignments are ended, not deleted, so their history stays."""

    list_filter = ["start", "end"]
    date_hierarchy = "start"

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Cadre)
class CadreAdmin(admin.ModelAdmin):
    list_display = ["name", "unit", "position", "level", "is_leading", "is_active"]
    list_filter = ["is_leading", "is_active", "level", "unit"]
    search_fields = ["name", "user__username", "position"]
    autocomplete_fields = ["user", "unit"]
    list_select_related = ["unit"]


@admin.register(Pairing)
class PairingAdmin(AssignmentAdmin):
    list_display = ["cadre", "household", "start", "end"]
    search_fields = ["cadre__name", "household__head_name"]
    autocomplete_fields = ["cadre", "household"]
    list_select_related = ["cadre", "household"]


@admin.register(ContactPoint)
class ContactPointAdmin(AssignmentAdmin):
    list_display = ["cadre", "village", "start", "end"]
    search_fields = ["cadre__name", "village__name"]
    autocomplete_fields = ["cadre", "village"]
    list_select_related = ["cadre", "village"]


@admin.register(Posting)
class PostingAdmin(AssignmentAdmin):
    list_display = ["cadre", "village", "title", "start", "end"]
    search_fields = ["cadre__name", "village__name"]
    autocomplete_fields = ["cadre", "village"]
    list_select_related = ["cadre", "village"]


@admin.register(Scope)
class ScopeAdmin(AssignmentAdmin):
    list_display = ["user", "kind", "region", "unit", "start", "end"]
    list_filter = ["kind", "start", "end"]
    search_fields = ["user__username", "region__name"]
    autocomplete_fields = ["user", "region", "unit"]
    list_select_related = ["user", "region", "unit"]


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["title", "recipient", "created_at", "read_at"]
    list_filter = ["read_at"]
    search_fields = ["title", "recipient__username"]
    raw_id_fields = ["recipient"]
    list_select_related = ["recipient"]
    date_hierarchy = "created_at"
