from math import ceil

import django_tables2 as tables
from django.core.paginator import Paginator
from django.db.models import F, QuerySet
from django.template.loader import get_template
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from django_tables2.rows import BoundRows

from customers.models import Customer


class FragmentColumn(tables.Column):
    """A cell rendered from a small template fragment.

    It keeps the template's name, not the compiled template: django-tables2 deep-copies every
    column for each table, and a compiled template would drag its engine's cache into the copy
    (21 ms per table at measurement, see docs/performance.md).
    """

    def __init__(self, template_name, *, record_name="customer", **kwargs):
        kwargs.setdefault("empty_values", ())
        super().__init__(**kwargs)
        self.template_name = template_name
        self.record_name = record_name

    def render(self, record, table, **kwargs):
        context = {self.record_name: record, "request": table.request, "table": table}
        return get_template(self.template_name).render(context)


class StackedTable(tables.Table):
    """A table whose rows become compact blocks on a phone (static/css/app.css, .table-stack):
    every cell carries its column's name as a class (td.full_name) for those rules to place it."""

    def get_column_class_names(self, classes_set, bound_column):
        classes_set = super().get_column_class_names(classes_set, bound_column)
        classes_set.add(bound_column.name)
        return classes_set


class DeferredJoinPaginator(Paginator):
    """Page numbers as usual, but every page takes its ids from the sort index first.

    The page's ids come from the index of the current order, then just those rows are loaded:
    deep pages (OFFSET walks the index, not the rows) and filtered pages whose matches are rare
    among the newest customers (the default order's index carries the figures segments filter
    on, so the walk never touches the table) both stay fast. Pages in the second half are read
    from the other end of the index, so the last page costs what the first does. Every order the
    table offers has an index ending in id.
    """

    # Reading from the far end needs the exact number of rows.
    count_is_exact = True

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        rows = self.object_list  # django-tables2 BoundRows over the ordered queryset
        queryset = getattr(rows.data, "data", None)
        if not isinstance(queryset, QuerySet):
            return super().page(number)
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        ids = queryset.prefetch_related(None).values("pk")
        if self.count_is_exact and bottom > self.count // 2:
            ids = ids.reverse()[self.count - top : self.count - bottom]
        else:
            ids = ids[bottom:top]
        page_rows = BoundRows(queryset.filter(pk__in=ids), rows.table, rows.pinned_data)
        return self._get_page(page_rows, number, self)


class CappedCountPaginator(DeferredJoinPaginator):
    """Counts up to `cap` rows, then says "more than": exact counts of millions of rows cost
    hundreds of milliseconds and tell a reader nothing; pages stop at the cap (sort the other way
    or narrow the filter to reach the rest)."""

    cap = 10_000
    count_is_exact = False

    @cached_property
    def count(self) -> int:
        queryset = getattr(self.object_list.data, "data", None)
        if not isinstance(queryset, QuerySet):
            return super().count
        return queryset.order_by().values("pk")[: self.cap + 1].count()

    @property
    def capped(self) -> bool:
        return self.count > self.cap

    @cached_property
    def num_pages(self) -> int:
        return ceil(min(self.count, self.cap) / self.per_page) or 1


# Columns every list shows first, and the ones each user picks and orders (ListSettings).
FIXED_COLUMNS = ("selected", "is_favourite", "full_name")
DEFAULT_COLUMNS = (
    "phone",
    "email",
    "reviews_count",
    "orders_count",
    "orders_sum",
    "last_order_at",
    "created_at",
    "labels",
)
OPTIONAL_COLUMNS = (*DEFAULT_COLUMNS, "city", "status", "last_activity_at")


def customer_table(queryset, columns, **kwargs) -> "CustomerTable":
    """A customer table showing `columns` (of OPTIONAL_COLUMNS) in that order after the fixed ones."""
    hidden = [name for name in OPTIONAL_COLUMNS if name not in columns]
    return CustomerTable(queryset, sequence=(*FIXED_COLUMNS, *columns, "..."), exclude=hidden, **kwargs)


class CustomerTable(StackedTable):
    selected = tables.CheckBoxColumn(
        accessor="pk",
        attrs={
            "th__input": {"class": "form-check-input", "data-select-all": "", "aria-label": _("Select all")},
            "td__input": {"class": "form-check-input", "form": "bulk-form", "aria-label": _("Select")},
        },
        orderable=False,
    )
    is_favourite = FragmentColumn("customers/cells/favourite.html", verbose_name="", orderable=False)
    full_name = FragmentColumn("customers/cells/name.html", verbose_name=_("Full name"), order_by=("full_name", "pk"))
    phone = FragmentColumn("customers/cells/phone.html", verbose_name=_("Phone"), orderable=False)
    email = FragmentColumn("customers/cells/email.html", verbose_name=_("Email"), orderable=False)
    # data-label: on a phone each row is a compact block without the heading row (app.css,
    # .table-stack), so the figures say what they are.
    reviews_count = tables.Column(
        verbose_name=_("Reviews"), orderable=False, attrs={"td": {"class": "text-end", "data-label": _("Reviews")}}
    )
    orders_count = tables.Column(
        verbose_name=_("Orders"),
        order_by=("orders_count", "pk"),
        attrs={"td": {"class": "text-end", "data-label": _("Orders")}},
    )
    orders_sum = FragmentColumn(
        "customers/cells/orders_sum.html",
        verbose_name=_("Orders sum"),
        attrs={"td": {"class": "text-end text-nowrap", "data-label": _("Orders sum")}},
    )
    last_order_at = tables.DateColumn(
        verbose_name=_("Last order"), short=True, attrs={"td": {"data-label": _("Last order")}}
    )
    created_at = tables.DateColumn(
        verbose_name=_("Added"), short=True, order_by=("created_at", "pk"), attrs={"td": {"data-label": _("Added")}}
    )
    labels = FragmentColumn("customers/cells/labels.html", verbose_name=_("Labels"), orderable=False)
    city = tables.Column(verbose_name=_("City"), orderable=False, attrs={"td": {"data-label": _("City")}})
    status = tables.Column(verbose_name=_("Status"), orderable=False, attrs={"td": {"data-label": _("Status")}})
    last_activity_at = tables.DateColumn(
        verbose_name=_("Last activity"),
        short=True,
        orderable=False,
        attrs={"td": {"data-label": _("Last activity")}},
    )

    # The list's filter and sort, set by the list view: a card opened from it can walk it.
    back_query: str | None = None

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
            "city",
            "status",
            "last_activity_at",
        )
        order_by = ("-created_at",)
        template_name = "partials/table.html"
        attrs = {
            "class": "table table-hover align-middle mb-0 customer-table table-stack",
            "thead": {"data-label": _("Sort by")},  # on a phone the heading row is its sort links
        }
        empty_text = _("No customers match.")

    def order_orders_sum(self, queryset, is_descending):
        order = ("-orders_sum", "-pk") if is_descending else ("orders_sum", "pk")
        return queryset.order_by(*order), True

    def order_last_order_at(self, queryset, is_descending):
        # Customers who never ordered go last in both directions; the two indexes match these.
        if is_descending:
            return queryset.order_by(F("last_order_at").desc(nulls_last=True), "-pk"), True
        return queryset.order_by(F("last_order_at").asc(nulls_last=True), "pk"), True
