import django_tables2 as tables
from django.db.models import F
from django.template.loader import get_template
from django.utils.translation import gettext_lazy as _

from customers.models import Customer


class FragmentColumn(tables.Column):
    """A cell rendered from a small template fragment, compiled once per table."""

    def __init__(self, template_name, **kwargs):
        kwargs.setdefault("empty_values", ())
        super().__init__(**kwargs)
        self.template = get_template(template_name)

    def render(self, record, table, **kwargs):
        return self.template.render({"customer": record, "request": table.request})


class CustomerTable(tables.Table):
    selected = tables.CheckBoxColumn(
        accessor="pk",
        attrs={
            "th__input": {"class": "form-check-input", "data-select-all": "", "aria-label": _("Select all")},
            "td__input": {"class": "form-check-input", "form": "bulk-form", "aria-label": _("Select")},
        },
        orderable=False,
    )
    is_favourite = FragmentColumn("customers/cells/favourite.html", verbose_name="", orderable=False)
    full_name = tables.Column(verbose_name=_("Full name"), linkify=True, order_by=("full_name", "pk"))
    phone = FragmentColumn("customers/cells/phone.html", verbose_name=_("Phone"), orderable=False)
    email = FragmentColumn("customers/cells/email.html", verbose_name=_("Email"), orderable=False)
    reviews_count = tables.Column(verbose_name=_("Reviews"), orderable=False, attrs={"td": {"class": "text-end"}})
    orders_count = tables.Column(
        verbose_name=_("Orders"), order_by=("orders_count", "pk"), attrs={"td": {"class": "text-end"}}
    )
    orders_sum = FragmentColumn(
        "customers/cells/orders_sum.html", verbose_name=_("Orders sum"), attrs={"td": {"class": "text-end text-nowrap"}}
    )
    last_order_at = tables.DateColumn(verbose_name=_("Last order"), short=True)
    created_at = tables.DateColumn(verbose_name=_("Added"), short=True, order_by=("created_at", "pk"))
    labels = FragmentColumn("customers/cells/labels.html", verbose_name=_("Labels"), orderable=False)

    class Meta:
        model = Customer
        fields = ()
        sequence = (
            "selected",
            "is_favourite",
            "full_name",
            "phone",
            "email",
            "reviews_count",
            "orders_count",
            "orders_sum",
            "last_order_at",
            "created_at",
            "labels",
        )
        order_by = ("-created_at",)
        attrs = {"class": "table table-hover align-middle mb-0 customer-table"}
        empty_text = _("No customers match.")

    def order_orders_sum(self, queryset, is_descending):
        order = ("-orders_sum", "-pk") if is_descending else ("orders_sum", "pk")
        return queryset.order_by(*order), True

    def order_last_order_at(self, queryset, is_descending):
        # Customers who never ordered go last in both directions; the two indexes match these.
        if is_descending:
            return queryset.order_by(F("last_order_at").desc(nulls_last=True), "-pk"), True
        return queryset.order_by(F("last_order_at").asc(nulls_last=True), "pk"), True
