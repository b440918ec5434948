from django.contrib import admin

from orders.models import Order, OrderItem, Product


class ReadOnlyAdmin(admin.ModelAdmin):
    """Portal admins look across companies; orders and products change in the app, through its
    services (totals, numbers and rates are computed there)."""

    show_full_result_count = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ItemInline(admin.TabularInline):
    model = OrderItem
    fields = ["name", "sku", "quantity", "unit_price", "line_total"]
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Order)
class OrderAdmin(ReadOnlyAdmin):
    list_display = ["number", "company", "customer", "status", "source", "total", "currency", "created_at"]
    list_filter = ["company", "status", "source", "created_at"]
    search_fields = ["=number", "customer__full_name", "customer_name", "customer_phone", "customer_email"]
    list_select_related = ["company", "customer"]
    date_hierarchy = "created_at"
    inlines = [ItemInline]


@admin.register(Product)
class ProductAdmin(ReadOnlyAdmin):
    list_display = ["name", "company", "sku", "price", "currency", "is_active", "created_at"]
    list_filter = ["company", "is_active", "currency", "created_at"]
    search_fields = ["name", "sku", "company__name"]
    list_select_related = ["company"]
