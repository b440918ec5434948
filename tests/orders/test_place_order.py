from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from companies.models import ExchangeRate
from customers.models import Customer
from orders.models import Order, Product
from orders.services import Line, change_order_status, place_order

pytestmark = pytest.mark.usefixtures("in_company_a")


@pytest.fixture
def catalog(world):
    company = world.company_a
    company.base_currency = "RUB"
    company.save()
    ExchangeRate.objects.create(company=company, currency="USD", rate=Decimal("90"))
    return {
        "rose": Product.objects.create(company=company, name="Rose", price=Decimal("100"), currency="RUB"),
        "vase": Product.objects.create(company=company, name="Vase", price=Decimal("10"), currency="USD"),
    }


def test_a_new_phone_places_an_order_for_a_new_current_customer(world, catalog):
    order = place_order(
        world.company_a,
        lines=[Line(quantity=3, product_id=catalog["rose"].pk), Line(quantity=1, product_id=catalog["vase"].pk)],
        source=Order.Source.STAFF,
        name="Olga",
        phones=["8 916 555 00 11"],
    )
    assert (order.number, order.total, order.total_base, order.items_count) == (
        1,
        Decimal("1200.00"),
        Decimal("1200.00"),
        4,
    )
    customer = Customer.objects.get(pk=order.customer_id)
    assert (customer.orders_count, customer.orders_sum, customer.status) == (1, Decimal("1200.00"), "current")


def test_cancelling_takes_the_order_out_of_the_figures(world, catalog):
    order = place_order(
        world.company_a, lines=[Line(quantity=1, product_id=catalog["rose"].pk)], source="staff", emails=["a@b.example"]
    )
    change_order_status(world.company_a, order=order, status=Order.Status.CANCELLED, actor=world.owner_a)
    customer = Customer.objects.get(pk=order.customer_id)
    assert (customer.orders_count, customer.orders_sum, customer.last_order_at) == (0, Decimal("0"), None)
    with pytest.raises(ValidationError):
        change_order_status(world.company_a, order=order, status=Order.Status.CONFIRMED, actor=world.owner_a)
