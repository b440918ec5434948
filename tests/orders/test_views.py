from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from companies.models import ExchangeRate
from customers.tables import CappedCountPaginator
from orders.models import Order, OrderLabel, Product
from orders.services import Line, place_order
from tests.factories import LabelFactory, make_customer

pytestmark = pytest.mark.usefixtures("in_company_a")

LIST = reverse("orders:list")


@pytest.fixture
def shop(world):
    company = world.company_a
    rose = Product.objects.create(company=company, name="Rose", sku="R-1", price=Decimal("100"), currency="RUB")
    customer = make_customer(company, name="Anna Smirnova", phones=["+79161234567"], emails=["anna@example.com"])
    return {"company": company, "rose": rose, "customer": customer}


def order_for(shop, quantity=1, **kwargs):
    return place_order(
        shop["company"],
        customer=shop["customer"],
        lines=[Line(quantity=quantity, product_id=shop["rose"].pk)],
        source=Order.Source.STAFF,
        **kwargs,
    )


def lines_data(*rows):
    data = {"lines-TOTAL_FORMS": str(len(rows)), "lines-INITIAL_FORMS": "0"}
    for i, row in enumerate(rows):
        for key, value in row.items():
            data[f"lines-{i}-{key}"] = value
    return data


def test_staff_place_an_order_with_catalog_and_free_lines(world, owner_client, shop):
    shop["customer"].discount_percent = Decimal("10")
    shop["customer"].save()
    url = reverse("orders:create") + f"?customer={shop['customer'].pk}"
    data = lines_data(
        {"product": shop["rose"].pk, "quantity": "3", "unit_price": "1"},  # a tampered price is ignored
        {"name": "Gift wrap", "unit_price": "50", "quantity": "1"},
        {},
    )
    response = owner_client.post(url, {**data, "payment_method": "card", "delivery_method": "courier"})
    order = Order.objects.get(company=world.company_a)
    assert response.status_code == 302 and response.url == order.get_absolute_url()
    assert order.total == Decimal("320.00")  # 3 × 90 + 50
    page = owner_client.get(order.get_absolute_url()).content.decode()
    assert ("Gift wrap" in page and "320,00" in page) or "320.00" in page


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([{}], "An order needs at least one item"),
        ([{"product": "PRODUCT", "quantity": "0"}], "greater than or equal to 1"),
        ([{"product": "PRODUCT", "quantity": "100000"}], "less than or equal to 10000"),
        ([{"product": "PRODUCT", "quantity": "-2"}], "greater than or equal to 1"),
        ([{"product": "PRODUCT"}], "Enter a quantity"),
        ([{"name": "Free", "quantity": "1"}], "A free line needs a price"),
        ([{"product": "FOREIGN", "quantity": "1"}], "Select a valid choice"),
    ],
)
def test_bad_order_input_is_refused_and_nothing_is_written(world, owner_client, shop, rows, message):
    foreign = Product.objects.create(company=world.company_b, name="B", price=1, currency="RUB")
    swap = {"PRODUCT": str(shop["rose"].pk), "FOREIGN": str(foreign.pk)}
    rows = [{k: swap.get(v, v) for k, v in row.items()} for row in rows]
    response = owner_client.post(reverse("orders:create") + f"?customer={shop['customer'].pk}", lines_data(*rows))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Order.objects.exists()


def test_the_order_fields_and_the_lines_report_their_mistakes_together(world, owner_client, shop):
    data = {**lines_data({"product": str(shop["rose"].pk)}), "payment_method": "bitcoin"}
    response = owner_client.post(reverse("orders:create") + f"?customer={shop['customer'].pk}", data)
    page = response.content.decode()
    assert "Enter a quantity" in page
    assert "Select a valid choice" in page
    assert not Order.objects.exists()


def test_a_currency_without_a_rate_is_explained(world, owner_client, shop):
    data = {**lines_data({"product": shop["rose"].pk, "quantity": "1"}), "currency": "EUR"}
    response = owner_client.post(reverse("orders:create") + f"?customer={shop['customer'].pk}", data)
    assert "no exchange rate for EUR" in response.content.decode()
    assert not Order.objects.exists()


def test_the_orders_page_lists_filters_and_searches(world, owner_client, shop):
    first = order_for(shop, quantity=2)
    second = order_for(shop)
    other = make_customer(world.company_a, name="Boris Orlov", phones=["+79031112233"])
    place_order(world.company_a, customer=other, lines=[Line(quantity=1, product_id=shop["rose"].pk)], source="staff")
    from orders.services import change_order_status

    change_order_status(world.company_a, order=first, status="cancelled", actor=world.owner_a)
    page = owner_client.get(LIST).content.decode()
    assert page.index(">3</a>") < page.index(f">{second.number}</a>") < page.index(f">{first.number}</a>")
    assert "Rose" in page and "3 orders" in page
    assert "1 order" in owner_client.get(LIST, {"status": "cancelled"}).content.decode()
    assert "1 order" in owner_client.get(LIST, {"q": "boris"}).content.decode()
    assert "1 order" in owner_client.get(LIST, {"q": "8 903 111"}).content.decode()
    assert "1 order" in owner_client.get(LIST, {"q": f"#{second.number}"}).content.decode()
    assert "2 orders" in owner_client.get(LIST, {"customer": shop["customer"].pk}).content.decode()


def test_an_inverted_date_range_says_so(world, owner_client, shop):
    order_for(shop)
    page = owner_client.get(LIST, {"placed_from": "2026-05-02", "placed_to": "2026-05-01"}).content.decode()
    assert "The end date is before the start date" in page
    assert "1 order" in page


def test_date_range_cuts_days_in_the_company_time_zone(world, owner_client, shop):
    # 22:30 UTC on 1 May is already 2 May in Moscow (UTC+3), the company's time zone.
    late = order_for(shop)
    Order.objects.filter(pk=late.pk).update(created_at=datetime(2026, 5, 1, 22, 30, tzinfo=UTC))
    early = order_for(shop)
    Order.objects.filter(pk=early.pk).update(created_at=datetime(2026, 5, 1, 20, 30, tzinfo=UTC))
    may_2 = owner_client.get(LIST, {"placed_from": "2026-05-02", "placed_to": "2026-05-02"}).content.decode()
    may_1 = owner_client.get(LIST, {"placed_to": "2026-05-01"}).content.decode()
    assert "1 order" in may_2 and f">{late.number}</a>" in may_2
    assert "1 order" in may_1 and f">{early.number}</a>" in may_1
    assert "02.05.2026 01:30" in may_2 or "05/02/2026 1:30" in may_2 or "01:30" in may_2


def test_status_changes_follow_the_workflow(world, manager_client, shop):
    order = order_for(shop)
    url = reverse("orders:status", args=[order.pk])
    manager_client.post(url, {"status": "shipped"})
    order.refresh_from_db()
    assert order.status == "new"
    response = manager_client.post(url, {"status": "confirmed"}, follow=True)
    assert "is now confirmed" in response.content.decode()
    assert "New → " in response.content.decode() or "→" in response.content.decode()
    order.refresh_from_db()
    assert order.status == "confirmed"


def test_order_labels(world, owner_client, shop):
    order = order_for(shop)
    label = LabelFactory(company=world.company_a, name="Urgent")
    owner_client.post(reverse("orders:label_add", args=[order.pk]), {"label": label.pk})
    assert "Urgent" in owner_client.get(LIST).content.decode()
    owner_client.post(reverse("orders:label_remove", args=[order.pk, label.pk]))
    assert not OrderLabel.objects.exists()


def test_the_orders_list_filtered_to_a_customer_is_a_fragment_for_htmx(world, owner_client, shop):
    order_for(shop)
    tab = owner_client.get(LIST, {"customer": shop["customer"].pk}, headers={"HX-Request": "true"}).content.decode()
    assert "Rose" in tab and "<nav" not in tab


def test_catalog_create_edit_deactivate(world, owner_client):
    response = owner_client.post(
        reverse("orders:product_create"),
        {"name": "Tulip", "sku": "T-1", "price": "80", "currency": "RUB", "is_active": "on"},
    )
    assert response.status_code == 302
    product = Product.objects.get(company=world.company_a, sku="T-1")
    duplicate = owner_client.post(
        reverse("orders:product_create"), {"name": "Other", "sku": "T-1", "price": "1", "currency": "RUB"}
    )
    assert "already has the SKU" in duplicate.content.decode()
    bad = owner_client.post(reverse("orders:product_create"), {"name": "Neg", "price": "-1", "currency": "RUB"})
    assert "greater than or equal to 0" in bad.content.decode()
    owner_client.post(reverse("orders:product_toggle", args=[product.pk]))
    product.refresh_from_db()
    assert not product.is_active
    assert "Tulip" in owner_client.get(reverse("orders:products"), {"q": "tul"}).content.decode()


def test_exchange_rates_are_set_by_admins(world, owner_client, manager_client):
    url = reverse("companies:rates")
    assert manager_client.post(url, {"currency": "USD", "rate": "90"}).status_code == 403
    owner_client.post(url, {"currency": "USD", "rate": "90"})
    owner_client.post(url, {"currency": "USD", "rate": "91.5"})
    assert ExchangeRate.objects.get(company=world.company_a, currency="USD").rate == Decimal("91.5")
    assert "greater than or equal to" in owner_client.post(url, {"currency": "EUR", "rate": "0"}).content.decode()
    assert (
        "needs no rate"
        in owner_client.post(url, {"currency": world.company_a.base_currency, "rate": "1"}).content.decode()
    )


def test_the_orders_page_query_count_does_not_grow(world, owner_client, shop):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts = []
    for _ in range(2):
        for _ in range(10):
            order_for(shop)
        with CaptureQueriesContext(connection) as queries:
            owner_client.get(LIST)
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_a_label_is_added_from_the_order_row_and_the_list_comes_back(world, owner_client, shop):
    order = order_for(shop)
    label = LabelFactory(company=world.company_a, name="Paid")
    page = owner_client.get(LIST, {"status": "new"}).content.decode()
    assert reverse("orders:label_add", args=[order.pk]) in page
    response = owner_client.post(
        reverse("orders:label_add", args=[order.pk]), {"label": label.pk, "next": "/orders/?status=new"}
    )
    assert response.url == "/orders/?status=new"
    assert OrderLabel.objects.filter(order=order, label=label).exists()
    response = owner_client.post(
        reverse("orders:label_add", args=[order.pk]), {"label": label.pk, "next": "https://evil.example/"}
    )
    assert response.url == order.get_absolute_url()


def test_a_long_list_counts_up_to_the_cap_and_says_more(world, owner_client, shop, monkeypatch):
    monkeypatch.setattr(CappedCountPaginator, "cap", 2)
    for _ in range(3):
        order_for(shop)
    page = owner_client.get(LIST).content.decode()
    assert "More than 2 orders" in page
    assert "1 order" in owner_client.get(LIST, {"q": "#1"}).content.decode()


def test_search_by_hash_number_finds_only_that_order(world, owner_client, shop):
    first, second = order_for(shop), order_for(shop)
    page = owner_client.get(LIST, {"q": f"#{second.number}"}).content.decode()
    assert "1 order" in page and f">{second.number}</a>" in page
    assert "No orders here" in owner_client.get(LIST, {"q": "#abc"}).content.decode()
    assert "2 orders" in owner_client.get(LIST, {"q": "anna"}).content.decode()
    assert first.number == second.number - 1
