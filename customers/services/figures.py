"""The figures a customer carries from their orders (count, sum in the company's currency, first
and last order, last activity), kept in step by the services that change orders and rebuilt by
`rebuild_customer_stats`.

They are read through the customers' reverse relation to orders, so that customers never import
the orders app that builds on it: orders calls these, and so does a merge of two customers.
"""

from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Count, Max, Min, Q, Sum
from django.db.models.functions import Coalesce

from companies.models import Company
from customers.models import Customer, CustomerEvent
from customers.services.history import record_event

CANCELLED = "cancelled"  # orders.Order.Status.CANCELLED: a cancelled order counts as activity only


def orders_model():
    """orders.Order, as the model whose rows point at customers (no import of the orders app)."""
    return Customer._meta.get_field("orders").related_model


def refresh_customer_stats(customer: Customer) -> None:
    """Recomputes the customer's order figures from their orders; cancelled ones do not count.

    Called inside the transaction that changed an order, with the customer row locked, so the
    stored figures always equal what `rebuild_customer_stats` would compute.
    """
    live = ~Q(status=CANCELLED)
    figures = customer.orders.filter(company_id=customer.company_id).aggregate(
        count=Count("pk", filter=live),
        total=Coalesce(Sum("total_base", filter=live), Decimal("0")),
        first=Min("created_at", filter=live),
        last=Max("created_at", filter=live),
        last_any=Max("created_at"),
    )
    customer.orders_count = figures["count"]
    customer.orders_sum = figures["total"]
    customer.first_order_at = figures["first"]
    customer.last_order_at = figures["last"]
    # Placing an order is activity even if it is cancelled later; messages join this later.
    customer.last_activity_at = figures["last_any"]
    fields = ["orders_count", "orders_sum", "first_order_at", "last_order_at", "last_activity_at"]
    if customer.orders_count and customer.status == Customer.Status.POTENTIAL:
        # A first order makes a lead a current customer; the timeline says so.
        customer.status = Customer.Status.CURRENT
        fields.append("status")
        record_event(
            customer,
            CustomerEvent.Kind.STATUS_CHANGED,
            changes=[{"field": "status", "old": Customer.Status.POTENTIAL, "new": Customer.Status.CURRENT}],
            automatic=True,
        )
    Customer.objects.filter(pk=customer.pk).update(**{name: getattr(customer, name) for name in fields})


def rebuild_all_customer_stats(company: Company) -> int:
    """Recomputes every customer's order figures from their orders; returns how many were wrong.

    One statement: the company's orders are grouped by customer in a single pass and joined to
    its customers (customers without orders get zeros). Correlated subqueries per customer took
    minutes at a million customers (docs/performance.md).
    """
    customers, orders = Customer._meta.db_table, orders_model()._meta.db_table
    # Only rows whose figures are wrong are written: rewriting a million right ones costs minutes.
    differs = "IS DISTINCT FROM" if connection.vendor == "postgresql" else "IS NOT"  # NULL-safe "<>"
    # SQLite sums decimals as floats (25676.600000000002); rounding to the column's places keeps the
    # comparison exact there and changes nothing on PostgreSQL, whose numeric sum is exact.
    places = Customer._meta.get_field("orders_sum").decimal_places
    sql = f"""
        UPDATE {customers} SET
            orders_count = COALESCE(figures.live_count, 0),
            orders_sum = COALESCE(figures.live_sum, 0),
            first_order_at = figures.first_at,
            last_order_at = figures.last_at,
            last_activity_at = figures.any_at
        FROM (
            SELECT c.id, f.live_count, f.live_sum, f.first_at, f.last_at, f.any_at
            FROM {customers} c LEFT JOIN (
                SELECT customer_id,
                    COUNT(*) FILTER (WHERE status <> %(cancelled)s) AS live_count,
                    ROUND(SUM(total_base) FILTER (WHERE status <> %(cancelled)s), {places}) AS live_sum,
                    MIN(created_at) FILTER (WHERE status <> %(cancelled)s) AS first_at,
                    MAX(created_at) FILTER (WHERE status <> %(cancelled)s) AS last_at,
                    MAX(created_at) AS any_at
                FROM {orders} WHERE company_id = %(company)s GROUP BY customer_id
            ) f ON f.customer_id = c.id
            WHERE c.company_id = %(company)s
        ) AS figures
        WHERE {customers}.id = figures.id AND (
            {customers}.orders_count <> COALESCE(figures.live_count, 0)
            OR {customers}.orders_sum <> COALESCE(figures.live_sum, 0)
            OR {customers}.first_order_at {differs} figures.first_at
            OR {customers}.last_order_at {differs} figures.last_at
            OR {customers}.last_activity_at {differs} figures.any_at
        )
    """
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, {"cancelled": CANCELLED, "company": company.pk})
        return cursor.rowcount
