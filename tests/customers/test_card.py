from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.utils import timezone

from orders.models import Order, Product
from orders.queries import customer_summary
from orders.services import Line, change_order_status, place_order
from tests.factories import make_customer

MOSCOW = ZoneInfo("Europe/Moscow")
WORKFLOW = ("confirmed", "in_production", "shipped", "completed")


def test_the_card_summary_counts_months_in_the_company_time_zone(world, owner_client):
    company = world.company_a
    rose = Product.objects.create(company=company, name="Rose", price=Decimal("100"), currency="RUB")
    anna = make_customer(company, name="Anna", phones=["+79160000001"])

    def order(quantity, when, status=None):
        placed = place_order(
            company, customer=anna, lines=[Line(quantity=quantity, product_id=rose.pk)], source="staff"
        )
        Order.objects.filter(pk=placed.pk).update(created_at=when)
        if status:
            steps = ("cancelled",) if status == "cancelled" else WORKFLOW[: WORKFLOW.index(status) + 1]
            for step in steps:
                change_order_status(company, order=placed, status=step, actor=world.owner_a)
        return placed

    order(1, datetime(2026, 11, 5, 12, tzinfo=MOSCOW), "completed")
    order(2, datetime(2026, 10, 31, 22, 30, tzinfo=ZoneInfo("UTC")))  # 1 November in Moscow
    order(3, datetime(2026, 3, 10, tzinfo=MOSCOW), "cancelled")
    order(4, datetime(2025, 10, 10, tzinfo=MOSCOW))  # older than 12 months: not on the chart
    anna.refresh_from_db()

    with timezone.override(MOSCOW):
        summary = customer_summary(company, anna, today=date(2026, 11, 22))
    assert (summary.completed, summary.cancelled, summary.cancelled_sum) == (1, 1, Decimal("300.00"))
    assert summary.average == Decimal("700.00") / 3  # 100 + 200 + 400 over three live orders
    assert [m.month for m in summary.months][:2] == [date(2025, 12, 1), date(2026, 1, 1)]
    by_month = {m.month: (m.total, m.height) for m in summary.months}
    assert by_month[date(2026, 11, 1)] == (Decimal("300.00"), 100)
    assert by_month[date(2026, 3, 1)] == (Decimal("0"), 0)  # cancelled orders do not count

    page = owner_client.get(anna.get_absolute_url()).content.decode()
    assert "Lifetime value" in page and "1 completed · 1 cancelled" in page
    assert 'data-testid="month-sums"' in page
