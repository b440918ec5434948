import django_tables2 as tables
from django.utils.translation import gettext_lazy as _

from customers.tables import FragmentColumn, StackedTable
from orders.models import Order


class OrderTable(StackedTable):
    # On a phone each row is a compact block (app.css, .table-stack): payment, delivery and source
    # wait for a wider screen, and data-label names the figures the hidden heading row named.
    number = tables.Column(verbose_name=_("No."), linkify=True, order_by=("number",))
    created_at = tables.DateTimeColumn(
        verbose_name=_("Placed"), short=True, order_by=("created_at", "pk"), attrs={"td": {"data-label": _("Placed")}}
    )
    customer_name = FragmentColumn(
        record_name="order", template_name="orders/cells/customer.html", verbose_name=_("Customer"), orderable=False
    )
    items = FragmentColumn(
        record_name="order", template_name="orders/cells/items.html", verbose_name=_("Items"), orderable=False
    )
    total = FragmentColumn(
        record_name="order",
        template_name="orders/cells/total.html",
        verbose_name=_("Total"),
        attrs={"td": {"class": "text-end text-nowrap", "data-label": _("Total")}},
        order_by=("total_base", "pk"),
    )
    payment_method = tables.Column(
        verbose_name=_("Payment"), orderable=False, attrs={"cell": {"class": "d-none d-md-table-cell"}}
    )
    delivery_method = tables.Column(
        verbose_name=_("Delivery"), orderable=False, attrs={"cell": {"class": "d-none d-md-table-cell"}}
    )
    source = tables.Column(
        verbose_name=_("Source"), orderable=False, attrs={"cell": {"class": "d-none d-md-table-cell"}}
    )
    status = FragmentColumn(
        record_name="order", template_name="orders/cells/status.html", verbose_name=_("Status"), orderable=False
    )
    labels = FragmentColumn(
        record_name="order", template_name="orders/cells/labels.html", verbose_name=_("Labels"), orderable=False
    )

    class Meta:
        model = Order
        fields = ()
        sequence = (
            "number",
            "created_at",
            "customer_name",
            "items",
            "total",
            "payment_method",
            "delivery_method",
            "source",
            "status",
            "labels",
        )
        order_by = ("-created_at",)
        template_name = "partials/table.html"
        attrs = {
            "class": "table table-hover align-middle mb-0 order-table table-stack",
            "thead": {"data-label": _("Sort by")},  # on a phone the heading row is its sort links
        }
        empty_text = _("No orders match.")


class CustomerOrderTable(StackedTable):
    """A customer's own orders on their card: no customer column, as the card is theirs. Its
    rows come already paged and ordered (newest first), so the headings do not sort."""

    number = tables.Column(verbose_name=_("No."), linkify=True)
    created_at = tables.DateTimeColumn(
        verbose_name=_("Placed"), short=True, attrs={"td": {"class": "text-nowrap", "data-label": _("Placed")}}
    )
    items = FragmentColumn(
        record_name="order",
        template_name="orders/cells/items.html",
        verbose_name=_("Items"),
        attrs={"cell": {"class": "d-none d-sm-table-cell"}},
    )
    total = FragmentColumn(
        record_name="order",
        template_name="orders/cells/total.html",
        verbose_name=_("Sum"),
        attrs={"th": {"class": "text-end"}, "td": {"class": "text-end text-nowrap", "data-label": _("Sum")}},
    )
    status = FragmentColumn(record_name="order", template_name="orders/cells/status.html", verbose_name=_("Status"))
    source = tables.Column(verbose_name=_("Source"), attrs={"cell": {"class": "d-none d-md-table-cell"}})
    labels = FragmentColumn(
        record_name="order",
        template_name="orders/cells/labels.html",
        verbose_name=_("Labels"),
        attrs={"cell": {"class": "d-none d-md-table-cell"}},
    )

    class Meta:
        model = Order
        fields = ()
        sequence = ("number", "created_at", "items", "total", "status", "source", "labels")
        orderable = False
        template_name = "partials/table.html"
        attrs = {
            "class": "table table-hover align-middle mb-0 order-table table-stack",
            "data-testid": "customer-orders-table",
        }
        empty_text = _("No orders yet.")
