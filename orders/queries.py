from django.db.models import Prefetch, QuerySet
from django.shortcuts import get_object_or_404

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
