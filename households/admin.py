from django.contrib import admin

from .models import Household, HouseholdTag, Member, Region, Tag


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "level", "parent", "latitude", "longitude"]
    list_filter = ["level"]
    search_fields = ["name", "code"]
    autocomplete_fields = ["parent"]
    readonly_fields = ["path"]
    list_select_related = ["parent"]
    ordering = ["path"]

    def get_readonly_fields(self, request, obj=None):
        # The path of every descendant depends on these: they are fixed once the region exists.
        if obj is not None:
            return ["path", "code", "parent", "level"]
        return self.readonly_fields

    def save_model(self, request, obj, form, change):
        if not change:
            obj.set_path()
        super().save_model(request, obj, form, change)


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "detail_label", "sort_order", "is_active"]
    list_editable = ["sort_order", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["name", "code"]
    prepopulated_fields = {"code": ["name"]}


class MemberInline(admin.TabularInline):
    model = Member
    extra = 0
    fields = ["name", "relation", "sex", "birth_year", "id_number_masked", "phone_masked"]
    readonly_fields = ["id_number_masked"]


class HouseholdTagInline(admin.TabularInline):
    model = HouseholdTag
    extra = 0
    autocomplete_fields = ["tag"]


@admin.register(Household)
class HouseholdAdmin(admin.ModelAdmin):
    list_display = ["head_name", "village", "address", "status", "updated_at"]
    list_filter = ["status", "tags", "village__parent__parent", "village__parent"]
    search_fields = ["head_name", "address", "members__name", "village__name"]
    autocomplete_fields = ["village"]
    list_select_related = ["village"]
    inlines = [MemberInline, HouseholdTagInline]
    show_full_result_count = False
    date_hierarchy = "created_at"


@admin.register(Member)
class MemberAdmin(admin.ModelAdmin):
    list_display = ["name", "household", "relation", "sex", "birth_year", "id_number_masked"]
    list_filter = ["relation", "sex"]
    search_fields = ["name", "household__head_name"]
    autocomplete_fields = ["household"]
    readonly_fields = ["id_number_masked"]
    list_select_related = ["household"]
    show_full_result_count = False
