"""Orders on the customer's timeline: each order placed, and each later change of its status."""

from customers.timeline import Entry, register, register_folder
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
        Entry(
            change.created_at,
            "order_status",
            change.actor,
            change,
            {"statuses": [_label(change.from_status), _label(change.to_status)]},
            fold=("order_status", change.order_id),
        )
        for change in changes.select_related("actor", "order").order_by("-created_at", "-id")[:limit]
    ]


@register_folder("order_status")
def fold_status_changes(run: list[Entry]) -> Entry:
    """One order's changes in a row: "#886: New → Confirmed → In production → Shipped"."""
    oldest_first = run[::-1]
    statuses = [oldest_first[0].data["statuses"][0], *(entry.data["statuses"][-1] for entry in oldest_first)]
    actors = {entry.actor for entry in run}
    return Entry(
        run[0].when,
        "order_status",
        run[0].actor if len(actors) == 1 else None,
        run[0].obj,
        {"statuses": statuses},
        fold=run[0].fold,
        since=run[-1].when,
    )


def _label(status: str):
    return Order.Status(status).label if status in Order.Status.values else status
