from django.contrib import admin

from imports.models import Import


@admin.register(Import)
class ImportAdmin(admin.ModelAdmin):
    list_display = [
        "created_at",
        "company",
        "requested_by",
        "original_name",
        "status",
        "created",
        "updated",
        "rejected",
    ]
    list_filter = ["company", "status", "created_at"]
    list_select_related = ["company", "requested_by"]
    readonly_fields = [field.name for field in Import._meta.fields]
    search_fields = ["company__name", "original_name", "requested_by__email"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False
