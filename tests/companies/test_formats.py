"""Money, rates, percentages and counts as the user's language writes them, from one helper."""

from decimal import Decimal

import pytest
from django.template import Context, Template
from django.urls import reverse
from django.utils import translation

from companies.formats import format_money, format_number, format_percent, format_rate
from companies.models import ExchangeRate
from orders.models import Order, Product
from orders.services import Line, place_order
from tests.factories import make_customer

pytestmark = pytest.mark.usefixtures("in_company_a")

NBSP = "\u00a0"


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("ru", {"rub": f"2{NBSP}490,00{NBSP}₽", "usd": f"-1{NBSP}000,50{NBSP}$", "count": f"200{NBSP}000"}),
        ("en", {"rub": f"RUB{NBSP}2,490.00", "usd": "-$1,000.50", "count": "200,000"}),
    ],
)
def test_money_and_counts_follow_the_language(language, expected):
    with translation.override(language):
        assert format_money(Decimal("2490"), "RUB") == expected["rub"]
        assert format_money(Decimal("-1000.5"), "USD") == expected["usd"]
        assert format_number(200000) == expected["count"]
        assert format_money(None, "RUB") == ""


@pytest.mark.parametrize(
    ("value", "ru", "en"),
    [(Decimal("3.00"), "3", "3"), (Decimal("2.50"), "2,5", "2.5"), (Decimal("12.25"), "12,25", "12.25")],
)
def test_a_percentage_drops_trailing_zeros(value, ru, en):
    with translation.override("ru"):
        assert format_percent(value) == ru
    with translation.override("en"):
        assert format_percent(value) == en


@pytest.mark.parametrize(
    ("value", "en"),
    [("92.500000", "92.50"), ("0.012345", "0.012345"), ("1", "1.00"), ("1234.5678", "1,234.5678")],
)
def test_a_rate_keeps_two_to_six_decimals(value, en):
    with translation.override("en"):
        assert format_rate(Decimal(value)) == en
    with translation.override("ru"):
        assert format_rate(Decimal(value)) == en.replace(",", NBSP).replace(".", ",")


def test_the_template_filters_use_the_same_helper():
    template = Template(
        "{% load money %}{{ total|money:'RUB' }}|{{ total|money_whole:'EUR' }}|{{ count|number }}|{{ d|percent }}"
    )
    context = Context({"total": Decimal("2490.4"), "count": 200000, "d": Decimal("3.00")})
    with translation.override("ru"):
        assert template.render(context) == f"2{NBSP}490,40{NBSP}₽|2{NBSP}490{NBSP}€|200{NBSP}000|3"
    with translation.override("en"):
        assert template.render(context) == f"RUB{NBSP}2,490.40|€2,490|200,000|3"


def test_an_order_page_shows_money_in_the_users_language(world, owner_client):
    company = world.company_a
    product = Product.objects.create(company=company, name="Rose", price=Decimal("2490"), currency="RUB")
    customer = make_customer(company, name="Anna", phones=["+79161234567"])
    order = place_order(company, customer=customer, lines=[Line(quantity=1, product_id=product.pk)], source="staff")
    assert f"RUB{NBSP}2,490.00" in owner_client.get(order.get_absolute_url()).content.decode()
    world.owner_a.language = "ru"
    world.owner_a.save()
    page = owner_client.get(order.get_absolute_url()).content.decode()
    assert f"2{NBSP}490,00{NBSP}₽" in page
    assert "2490.00" not in page and "RUB" not in page.split("<main", 1)[1]
    assert Order.objects.count() == 1


def test_the_import_page_shows_the_row_limit_grouped_in_russian(world, owner_client):
    world.owner_a.language = "ru"
    world.owner_a.save()
    page = owner_client.get(reverse("imports:upload")).content.decode()
    assert f"200{NBSP}000 строк" in page


def test_selects_say_what_to_choose(world, owner_client):
    page = owner_client.get(reverse("customers:create")).content.decode()
    for placeholder in ("Choose a gender", "Choose a temperature", "Choose a currency", "Choose a language"):
        assert placeholder in page
    assert "---------" not in page
    customer = make_customer(world.company_a, name="Anna", phones=["+79161234567"])
    page = owner_client.get(reverse("orders:create") + f"?customer={customer.pk}").content.decode()
    for placeholder in ("Choose a product", "Choose a payment method", "Choose a delivery method"):
        assert placeholder in page
    assert "---------" not in page and ">—<" not in page
    page = owner_client.get(reverse("companies:rates")).content.decode()
    assert "Choose a currency" in page and "---------" not in page


def _selected_currency(page: str) -> str:
    select = page.split('name="currency"', 1)[1].split("</select>", 1)[0]
    return select.split(" selected", 1)[0].rsplit('value="', 1)[1].split('"', 1)[0]


def test_the_rate_form_starts_on_a_currency_that_still_needs_a_rate(world, owner_client):
    company = world.company_a  # base currency RUB
    url = reverse("companies:rates")
    assert _selected_currency(owner_client.get(url).content.decode()) == "USD"
    ExchangeRate.objects.create(company=company, currency="USD", rate=Decimal("90"))
    assert _selected_currency(owner_client.get(url).content.decode()) == "EUR"
    Product.objects.create(company=company, name="Tea", price=Decimal("5"), currency="CNY")
    assert _selected_currency(owner_client.get(url).content.decode()) == "CNY"
    page = owner_client.get(reverse("orders:product_create")).content.decode()
    assert "Choose a currency" in page and "---------" not in page
