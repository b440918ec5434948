import re
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from orders.models import Order, Product
from orders.queries import customer_summary
from orders.services import Line, change_order_status, place_order
from tests.factories import make_customer

pytestmark = pytest.mark.usefixtures("in_company_a")

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


def test_the_notes_tab_shows_twenty_notes_and_loads_the_rest_page_by_page(world, owner_client):
    from django.urls import reverse

    from customers.services import add_note

    anna = make_customer(world.company_a, name="Anna", phones=["+79160000001"])
    for i in range(45):
        add_note(world.company_a, customer=anna, text=f"Note number {i:02d}", priority=0, actor=world.owner_a)

    card = owner_client.get(anna.get_absolute_url()).content.decode()
    assert card.count("Note number") == 20  # the newest: 44 down to 25
    assert "Note number 44" in card and "Note number 25" in card and "Note number 24" not in card
    url = reverse("customers:notes", args=[anna.pk])
    assert f"{url}?page=2" in card and "20 of 45 shown" in card

    second = owner_client.get(url, {"page": 2}).content.decode()
    assert second.count("Note number") == 20 and "Note number 24" in second and f"{url}?page=3" in second
    last = owner_client.get(url, {"page": 3}).content.decode()
    assert last.count("Note number") == 5 and "Note number 00" in last and "?page=" not in last
    for bad in ("x", "999", "-1"):  # a page that is not there shows a real one, not an error
        assert owner_client.get(url, {"page": bad}).status_code == 200


def test_the_orders_tab_shows_status_and_source_without_repeating_the_customer(
    world, owner_client, django_assert_max_num_queries
):
    from django.urls import reverse

    company = world.company_a
    rose = Product.objects.create(company=company, name="Rose", price=Decimal("100"), currency="RUB")
    anna = make_customer(company, name="Anna Smirnova", phones=["+79160000001"], emails=["anna@example.com"])
    orders = [
        place_order(company, customer=anna, lines=[Line(quantity=1, product_id=rose.pk)], source="staff")
        for _ in range(25)
    ]
    change_order_status(company, order=orders[-1], status="confirmed", actor=world.owner_a)
    url = reverse("customers:orders", args=[anna.pk])
    card = owner_client.get(anna.get_absolute_url()).content.decode()
    assert url in card and f"?customer={anna.pk}" in card

    with django_assert_max_num_queries(12):
        tab = owner_client.get(url, headers={"HX-Request": "true"}).content.decode()
    headings = re.findall(r"<th[^>]*>\s*(.*?)\s*</th>", tab)
    assert headings == ["No.", "Placed", "Items", "Sum", "Status", "Source", "Labels"]
    assert "Confirmed" in tab and "Staff" in tab and "Rose" in tab
    assert "anna@example.com" not in tab and "Anna Smirnova" not in tab
    assert tab.count("<tr") == 21  # the heading and the newest 20
    assert f">{orders[-1].number}</a>" in tab and f">{orders[4].number}</a>" not in tab
    assert f"{url}?page=2" in tab and "25 orders" in tab

    second = owner_client.get(url, {"page": 2}, headers={"HX-Request": "true"}).content.decode()
    assert f">{orders[4].number}</a>" in second and second.count("<tr") == 6
    assert owner_client.get(url, {"page": "x"}).status_code == 200
