from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal

from django.db.models import Count, Prefetch, Q, QuerySet, Sum
from django.db.models.functions import Coalesce, TruncMonth
from django.shortcuts import get_object_or_404
from django.utils import timezone

from companies.models import Company
from customers.models import Label
from orders.models import Order, OrderItem, OrderStatusChange, Product


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


def products_for_list(company: Company, term: str = "") -> QuerySet[Product]:
    products = Product.objects.filter(company=company).order_by("-is_active", "name", "id")
    term = term.strip()
    if term:
        products = products.filter(name__icontains=term) | products.filter(sku__icontains=term)
    return products


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
