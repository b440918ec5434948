"""Orders on the customer's timeline: each order placed, and each later change of its status."""

from customers.timeline import Entry, register
from orders.models import Order, OrderStatusChange


@register
def orders_placed(company, customer, before, limit):
    orders = Order.objects.filter(company=company, customer=customer)
    if before:
        orders = orders.filter(created_at__lt=before)
    return [
        Entry(order.created_at, "order", order.created_by, order)
        for order in orders.select_related("created_by").order_by("-created_at", "-id")[:limit]
    ]


@register
def order_status_changes(company, customer, before, limit):
    # The first entry of each order ("placed as new") is the order itself above.
    changes = OrderStatusChange.objects.filter(company=company, order__customer=customer).exclude(from_status="")
    if before:
        changes = changes.filter(created_at__lt=before)
    return [
        Entry(change.created_at, "order_status", change.actor, change)
        for change in changes.select_related("actor", "order").order_by("-created_at", "-id")[:limit]
    ]
