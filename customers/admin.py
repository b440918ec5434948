from django.contrib import admin

from customers.models import Customer, CustomerEmail, CustomerPhone, Label, Note


class ReadOnlyInline(admin.TabularInline):
    """Contacts change only through the customer services, which normalize and de-duplicate them."""

    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class PhoneInline(ReadOnlyInline):
    model = CustomerPhone
    fields = ["number", "position"]


class EmailInline(ReadOnlyInline):
    model = CustomerEmail
    fields = ["email", "position"]


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    """Read-mostly view for portal admins; staff edit customers in the app, through its services."""

    list_display = ["full_name", "company", "status", "orders_count", "orders_sum", "created_at"]
    list_filter = ["status", "company"]
    search_fields = ["full_name", "search_document"]
    list_select_related = ["company"]
    readonly_fields = [f.name for f in Customer._meta.concrete_fields if f.name != "id"]
    inlines = [PhoneInline, EmailInline]
    show_full_result_count = False

    def has_add_permission(self, request):
        return False


@admin.register(Label)
class LabelAdmin(admin.ModelAdmin):
    list_display = ["name", "company", "color"]
    list_filter = ["company"]
    search_fields = ["name"]


@admin.register(Note)
class NoteAdmin(admin.ModelAdmin):
    list_display = ["customer", "company", "priority", "author", "created_at"]
    list_select_related = ["customer", "company", "author"]
    raw_id_fields = ["customer", "author"]
