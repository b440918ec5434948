from django.contrib import admin

from exports.models import Export, Import


@admin.register(Export)
class ExportAdmin(admin.ModelAdmin):
    list_display = ["created_at", "company", "requested_by", "description", "status", "rows_written", "size"]
    list_filter = ["company", "status", "audience", "created_at"]
    list_select_related = ["company", "requested_by"]
    readonly_fields = [field.name for field in Export._meta.fields]
    search_fields = ["company__name", "email", "description"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False


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
