from django.contrib import admin

from exports.models import Export


@admin.register(Export)
class ExportAdmin(admin.ModelAdmin):
    list_display = ["created_at", "company", "requested_by", "description", "status", "rows_written", "size"]
    list_filter = ["status", "audience"]
    list_select_related = ["company", "requested_by"]
    readonly_fields = [field.name for field in Export._meta.fields]
    search_fields = ["company__name", "email", "description"]

    def has_add_permission(self, request):
        return False
