"""The orders per day and status (OrderDay) that the start page reads: kept in step by placing
orders and moving them through statuses, and equal to what rebuild_order_days computes."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django_scopes import scope

from companies.services import set_exchange_rate
from orders.models import Order, OrderDay
from orders.services import Line, change_order_status, place_order, rebuild_order_days
from tests.factories import make_customer

pytestmark = pytest.mark.usefixtures("in_company_a")


def days_of(company):
    return sorted(
        (row.day, row.status, row.orders, row.total_base)
        for row in OrderDay.objects.filter(company=company).exclude(orders=0)
    )


def test_placing_and_moving_orders_keeps_the_days_as_a_rebuild_would(world):
    a = world.company_a
    set_exchange_rate(a, currency="USD", rate=Decimal("90"), actor=world.owner_a)
    anna = make_customer(a, name="Anna")
    line = [Line(quantity=2, name="Bouquet", unit_price=Decimal("150.50"))]
    first = place_order(a, customer=anna, lines=line, source=Order.Source.STAFF)
    second = place_order(a, customer=anna, lines=line, source=Order.Source.STAFF, currency="USD")
    third = place_order(a, customer=anna, lines=line, source=Order.Source.STAFF)
    for status in ("confirmed", "in_production", "shipped", "completed"):
        change_order_status(a, order=first, status=status, actor=None)
    change_order_status(a, order=second, status="confirmed", actor=None)
    change_order_status(a, order=third, status="cancelled", actor=None)
    with scope(company=world.company_b):
        place_order(world.company_b, customer=make_customer(world.company_b, name="Bee"), lines=line, source="staff")

    incremental = days_of(a)
    today = first.created_at.astimezone(UTC).date()  # Moscow is UTC+3; tests run away from midnight
    statuses = {status: (n, total) for _day, status, n, total in incremental}
    assert statuses == {
        "completed": (1, Decimal("301.00")),
        "confirmed": (1, Decimal("27090.00")),
        "cancelled": (1, Decimal("301.00")),
    }
    assert rebuild_order_days(a) == len(OrderDay.objects.filter(company=a))
    assert days_of(a) == incremental
    assert {day for day, *_rest in incremental} <= {today, date.fromordinal(today.toordinal() + 1)}


def test_days_are_cut_in_the_company_time_zone(world):
    a = world.company_a
    anna = make_customer(a, name="Anna")
    order = place_order(
        a, customer=anna, lines=[Line(quantity=1, name="Vase", unit_price=Decimal("10"))], source="staff"
    )
    # 22:30 UTC on 1 May is 01:30 on 2 May in Moscow, the company's time zone.
    Order.objects.filter(pk=order.pk).update(created_at=datetime(2026, 5, 1, 22, 30, tzinfo=UTC))
    rebuild_order_days(a)
    assert days_of(a) == [(date(2026, 5, 2), "new", 1, Decimal("10.00"))]
