from django.contrib import admin

from segments.models import Segment


@admin.register(Segment)
class SegmentAdmin(admin.ModelAdmin):
    """Read-only for portal admins: staff save and rename segments in the app."""

    list_display = ["name", "company", "default", "owner", "position", "updated_at"]
    list_filter = ["company", "default", "created_at"]
    search_fields = ["name", "company__name"]
    list_select_related = ["company", "owner"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
