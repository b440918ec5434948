from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal

from django.db.models import Count, Prefetch, Q, QuerySet, Sum
from django.db.models.functions import Coalesce, TruncMonth
from django.shortcuts import get_object_or_404
from django.utils import timezone

from companies.models import Company
from customers.models import Label
from orders.models import Category, Order, OrderItem, OrderStatusChange, Product

UNCATEGORISED = "none"  # the category filter's value for products without a category


def orders_for_list(company: Company) -> QuerySet[Order]:
    """Orders with what a row shows, in a fixed number of queries whatever the page size."""
    return Order.objects.filter(company=company).prefetch_related(
        Prefetch("items", queryset=OrderItem.objects.only("id", "order_id", "name").order_by("id")),
        Prefetch("labels", queryset=Label.objects.order_by("name")),
    )


def order_for_page(company: Company, pk: int) -> Order:
    return get_object_or_404(
        Order.objects.filter(company=company)
        .select_related("customer", "created_by")
        .prefetch_related(
            "items",
            Prefetch("labels", queryset=Label.objects.order_by("name")),
            Prefetch("status_changes", queryset=OrderStatusChange.objects.select_related("actor")),
        ),
        pk=pk,
    )


def products_for_list(company: Company, term: str = "", category: Category | str | None = None) -> QuerySet[Product]:
    """The staff catalog: active products first, then by name; filtered by a search and a category
    (a Category, UNCATEGORISED, or None for all)."""
    products = Product.objects.filter(company=company).select_related("category").order_by("-is_active", "name", "id")
    if category == UNCATEGORISED:
        products = products.filter(category=None)
    elif isinstance(category, Category):
        products = products.filter(category=category)
    return search_products(products, term)


def products_for_catalog(company: Company, term: str = "", category: Category | None = None) -> QuerySet[Product]:
    """What a customer can order, by name, with the company each price is computed from."""
    products = Product.objects.filter(company=company, is_active=True).select_related("company").order_by("name", "id")
    if category is not None:
        products = products.filter(category=category)
    return search_products(products, term)


def search_products(products: QuerySet[Product], term: str) -> QuerySet[Product]:
    """The products whose name or SKU contains the term, ignoring case in any alphabet.

    SQLite folds the case of ASCII letters only, so a database LIKE would not find "Розы" for
    "розы" under `make run`. A catalog is hundreds of products, not millions: one query reads
    their names and SKUs, and the matching is done here with str.casefold().
    """
    needle = term.strip().casefold()
    if not needle:
        return products
    found = [
        pk
        for pk, name, sku in products.order_by().values_list("pk", "name", "sku").iterator(chunk_size=2000)
        if needle in name.casefold() or needle in sku.casefold()
    ]
    return products.filter(pk__in=found)


def category_for_filter(company: Company, value: str) -> Category | str | None:
    """The category a `?category=` value names in the current company: a Category,
    UNCATEGORISED, or None (all products) for an empty, unknown or foreign value."""
    if value == UNCATEGORISED:
        return UNCATEGORISED
    if not value.isdigit():
        return None
    return Category.objects.filter(company=company, pk=int(value)).first()


def categories_for_catalog(company: Company) -> QuerySet[Category]:
    """The categories a customer sees as tabs: those with at least one active product."""
    return (
        Category.objects.filter(company=company)
        .annotate(active_products=Count("products", filter=Q(products__is_active=True)))
        .filter(active_products__gt=0)
        .order_by("position", "name", "id")
    )


def categories_for_staff(company: Company) -> QuerySet[Category]:
    return (
        Category.objects.filter(company=company)
        .annotate(products_count=Count("products"))
        .order_by("position", "name", "id")
    )


@dataclass(frozen=True)
class MonthSum:
    month: date
    total: Decimal
    height: int  # percent of the busiest month, for the bar


@dataclass(frozen=True)
class CustomerSummary:
    """The card's figures that the stored ones do not cover, from this customer's orders."""

    completed: int
    cancelled: int
    cancelled_sum: Decimal
    average: Decimal | None  # of the orders that count (not cancelled)
    months: list[MonthSum]

    @property
    def has_orders(self) -> bool:
        return any(month.total for month in self.months) or bool(self.completed or self.cancelled)


def customer_summary(company: Company, customer, *, today: date | None = None) -> CustomerSummary:
    """Completed and cancelled counts, the cancelled sum, and the live order sums of each of the
    last 12 months (company currency, the company's time zone): two queries on the customer's
    own index whatever the number of orders."""
    orders = Order.objects.filter(company=company, customer=customer).order_by()
    figures = orders.aggregate(
        completed=Count("pk", filter=Q(status=Order.Status.COMPLETED)),
        cancelled=Count("pk", filter=Q(status=Order.Status.CANCELLED)),
        cancelled_sum=Coalesce(Sum("total_base", filter=Q(status=Order.Status.CANCELLED)), Decimal("0")),
    )
    today = today or timezone.localdate()
    first_month = _add_months(today.replace(day=1), -11)
    start = timezone.make_aware(datetime.combine(first_month, time.min))
    by_month = dict(
        orders.filter(created_at__gte=start)
        .exclude(status=Order.Status.CANCELLED)
        .annotate(month=TruncMonth("created_at"))
        .values("month")
        .annotate(total=Sum("total_base"))
        .values_list("month", "total")
    )
    totals = {_as_date(month): total for month, total in by_month.items()}
    months = [_add_months(first_month, n) for n in range(12)]
    peak = max(totals.values(), default=Decimal("0"))
    return CustomerSummary(
        completed=figures["completed"],
        cancelled=figures["cancelled"],
        cancelled_sum=figures["cancelled_sum"],
        average=customer.orders_sum / customer.orders_count if customer.orders_count else None,
        months=[
            MonthSum(month, totals.get(month, Decimal("0")), int(totals.get(month, 0) * 100 / peak) if peak else 0)
            for month in months
        ],
    )


def _as_date(value) -> date:
    return value.date() if isinstance(value, datetime) else value


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return day.replace(year=index // 12, month=index % 12 + 1)
