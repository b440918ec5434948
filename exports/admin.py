from django.contrib import admin

from exports.models import Export


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
