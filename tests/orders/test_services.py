"""orders.services: totals with discounts and rates, bad lines, numbering, the status workflow,
and the customer's figures staying equal to a rebuild after a random mix of changes."""

import contextlib
import random
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.utils import timezone
from django_scopes import scope

from companies.middleware import no_tenant_scope
from companies.models import Company, ExchangeRate
from customers.models import Customer
from customers.services import merge_customers, rebuild_all_customer_stats, refresh_customer_stats
from orders.models import MAX_QUANTITY, Order, OrderItem, OrderStatusChange, Product
from orders.services import (
    TRANSITIONS,
    Line,
    add_order_label,
    change_order_status,
    place_order,
    remove_order_label,
)
from tests.factories import LabelFactory, make_customer

pytestmark = pytest.mark.usefixtures("in_company_a")

FIGURES = ["pk", "orders_count", "orders_sum", "first_order_at", "last_order_at", "last_activity_at"]


@pytest.fixture
def shop(world):
    company = world.company_a
    company.base_currency = "RUB"
    company.save()
    ExchangeRate.objects.create(company=company, currency="USD", rate=Decimal("90"))
    ExchangeRate.objects.create(company=company, currency="EUR", rate=Decimal("100"))
    return {
        "company": company,
        "rose": Product.objects.create(company=company, name="Rose", price=Decimal("100"), currency="RUB"),
        "vase": Product.objects.create(company=company, name="Vase", price=Decimal("9.99"), currency="EUR"),
        "old": Product.objects.create(company=company, name="Old", price=Decimal("5"), currency="RUB", is_active=False),
        "foreign": Product.objects.create(company=world.company_b, name="Saw", price=Decimal("1"), currency="RUB"),
    }


def nothing_written(company: Company) -> bool:
    company.refresh_from_db()
    return (
        not Order.objects.filter(company=company).exists()
        and not OrderItem.objects.filter(company=company).exists()
        and company.last_order_number == 0
    )


def test_totals_use_the_discount_the_rate_and_cents(shop):
    company = shop["company"]
    anna = make_customer(company, name="Anna", phones=["+79160000001"], discount_percent=Decimal("12.5"))
    order = place_order(
        company,
        customer=anna,
        currency="USD",
        lines=[Line(quantity=3, product_id=shop["vase"].pk), Line(quantity=2, product_id=shop["rose"].pk)],
        source=Order.Source.STAFF,
    )
    # Vase: 9.99 EUR = 999 RUB = 11.1 USD, less 12.5 % = 9.7125 -> 9.71; rose: 100 RUB = 1.111 USD -> 0.97.
    prices = dict(order.items.values_list("name", "unit_price"))
    assert prices == {"Vase": Decimal("9.71"), "Rose": Decimal("0.97")}
    assert order.total == Decimal("31.07")  # 3 × 9.71 + 2 × 0.97
    assert (order.rate, order.total_base, order.discount_percent) == (
        Decimal("90"),
        Decimal("2796.30"),
        Decimal("12.5"),
    )
    ExchangeRate.objects.filter(company=company, currency="USD").update(rate=Decimal("100"))
    order.refresh_from_db()
    assert order.total_base == Decimal("2796.30")  # a later rate does not touch a placed order


def test_free_lines_are_for_staff_only(shop):
    company = shop["company"]
    free = Line(quantity=2, name="Gift wrap", unit_price=Decimal("50"))
    order = place_order(company, lines=[free], source=Order.Source.STAFF, phones=["+79160000002"])
    assert order.total == Decimal("100.00")
    with pytest.raises(ValidationError) as error:
        place_order(company, lines=[free], source=Order.Source.QUICK_LINK, phones=["+79160000002"])
    assert error.value.code == "free_line"


def test_a_missing_rate_names_the_currency_and_writes_nothing(shop):
    company = shop["company"]
    with pytest.raises(ValidationError) as error:
        place_order(
            company,
            currency="GBP",
            lines=[Line(quantity=1, product_id=shop["rose"].pk)],
            source=Order.Source.STAFF,
            name="Nobody",
            phones=["+79160000003"],
        )
    assert error.value.code == "missing_rate" and "GBP" in error.value.messages[0]
    assert nothing_written(company)
    assert not Customer.objects.filter(company=company).exists()  # identification rolled back too
    assert not OrderStatusChange.objects.filter(company=company).exists()


@pytest.mark.parametrize(
    ("make_lines", "code"),
    [
        (lambda s: [], "empty"),
        (lambda s: [Line(quantity=0, product_id=s["rose"].pk)], "quantity"),
        (lambda s: [Line(quantity=-1, product_id=s["rose"].pk)], "quantity"),
        (lambda s: [Line(quantity=MAX_QUANTITY + 1, product_id=s["rose"].pk)], "quantity"),
        (lambda s: [Line(quantity=1.5, product_id=s["rose"].pk)], "quantity"),
        (lambda s: [Line(quantity=1, product_id=s["foreign"].pk)], "product"),
        (lambda s: [Line(quantity=1, product_id=s["old"].pk)], "product"),
        (
            lambda s: [Line(quantity=1, product_id=s["rose"].pk), Line(quantity=1, name="", unit_price=Decimal("1"))],
            "free_line",
        ),
        (lambda s: [Line(quantity=1, name="Wrap", unit_price=Decimal("-1"))], "free_line"),
        (lambda s: [Line(quantity=1, name="Wrap")], "free_line"),
    ],
)
def test_bad_lines_are_refused_and_nothing_is_written(shop, make_lines, code):
    company = shop["company"]
    anna = make_customer(company, name="Anna", phones=["+79160000004"])
    with pytest.raises(ValidationError) as error:
        place_order(company, customer=anna, lines=make_lines(shop), source=Order.Source.STAFF)
    assert error.value.code == code
    assert nothing_written(company)
    anna.refresh_from_db()
    assert (anna.orders_count, anna.orders_sum) == (0, Decimal("0"))


def test_numbers_run_per_company(shop, world):
    company, other = shop["company"], world.company_b
    saw = shop["foreign"]
    numbers = [
        place_order(
            company, lines=[Line(quantity=1, product_id=shop["rose"].pk)], source="staff", phones=["+79160000005"]
        ).number
        for _ in range(3)
    ]
    with scope(company=other):
        other_order = place_order(
            other, lines=[Line(quantity=1, product_id=saw.pk)], source="staff", phones=["+79160000005"]
        )
    assert numbers == [1, 2, 3] and other_order.number == 1
    assert other_order.customer.company_id == other.pk  # the same phone is another customer there


def test_identification_creates_or_attaches(shop):
    company = shop["company"]
    known = make_customer(company, name="Known", emails=["known@example.com"])
    line = [Line(quantity=1, product_id=shop["rose"].pk)]
    attached = place_order(company, lines=line, source=Order.Source.IMPORT, emails=["KNOWN@example.com"])
    created = place_order(company, lines=line, source=Order.Source.QUICK_LINK, name="New", phones=["+79160000006"])
    assert attached.customer_id == known.pk
    new = Customer.objects.get(pk=created.customer_id)
    assert (new.full_name, new.acquisition_channel) == ("New", Customer.Channel.QUICK_LINK)


ALL_STATUSES = list(Order.Status.values)


@pytest.mark.parametrize("start", ALL_STATUSES)
@pytest.mark.parametrize("target", ALL_STATUSES)
def test_the_status_workflow(shop, world, start, target):
    company = shop["company"]
    order = place_order(
        company, lines=[Line(quantity=1, product_id=shop["rose"].pk)], source="staff", phones=["+79160000007"]
    )
    Order.objects.filter(pk=order.pk).update(status=start)
    order.refresh_from_db()
    if target in TRANSITIONS[start]:
        change_order_status(company, order=order, status=target, actor=world.manager_a)
        change = OrderStatusChange.objects.filter(order=order).latest("id")
        assert (change.from_status, change.to_status, change.actor) == (start, target, world.manager_a)
        order.refresh_from_db()
        assert order.status == target
    else:
        with pytest.raises(ValidationError) as error:
            change_order_status(company, order=order, status=target, actor=world.manager_a)
        assert error.value.code == "transition"
        order.refresh_from_db()
        assert order.status == start
        assert OrderStatusChange.objects.filter(order=order).count() == 1


def test_cancelling_before_shipping_only(shop, world):
    assert Order.Status.CANCELLED in TRANSITIONS[Order.Status.IN_PRODUCTION]
    assert Order.Status.CANCELLED not in TRANSITIONS[Order.Status.SHIPPED]
    assert TRANSITIONS[Order.Status.CANCELLED] == () and TRANSITIONS[Order.Status.COMPLETED] == ()


def test_order_labels(shop, world):
    company = shop["company"]
    order = place_order(
        company, lines=[Line(quantity=1, product_id=shop["rose"].pk)], source="staff", phones=["+79160000008"]
    )
    urgent = LabelFactory(company=company, name="Urgent")
    add_order_label(company, order=order, label=urgent)
    add_order_label(company, order=order, label=urgent)
    assert list(order.labels.all()) == [urgent]
    with pytest.raises(ValueError):
        add_order_label(company, order=order, label=LabelFactory(company=world.company_b))
    remove_order_label(company, order=order, label=urgent)
    assert not order.labels.exists()


def snapshot(company):
    return list(Customer.objects.filter(company=company).order_by("pk").values_list(*FIGURES))


def assert_figures_equal_a_rebuild(company):
    stored = snapshot(company)
    assert rebuild_all_customer_stats(company) == 0, "the rebuild had to correct stored figures"
    assert snapshot(company) == stored


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_figures_stay_equal_to_a_rebuild_through_a_random_mix(shop, world, seed):
    company, rng = shop["company"], random.Random(seed)
    products = [shop["rose"].pk, shop["vase"].pk]
    phones = [f"+7916100{n:04d}" for n in range(6)]
    clock = timezone.now() - timedelta(days=100)
    for step in range(60):
        orders = list(Order.objects.filter(company=company))
        action = rng.choice(["order", "order", "order", "cancel", "advance", "merge"])
        if action == "order" or not orders:
            order = place_order(
                company,
                lines=[Line(quantity=rng.randint(1, 5), product_id=rng.choice(products))],
                source=rng.choice(["staff", "quick_link", "import"]),
                currency=rng.choice(["", "USD", "EUR"]),
                phones=[rng.choice(phones)],
            )
            clock += timedelta(hours=rng.randint(1, 48))
            Order.objects.filter(pk=order.pk).update(created_at=clock)  # spread the dates out
            refresh_customer_stats(order.customer)
        elif action in ("cancel", "advance"):
            order = rng.choice(orders)
            allowed = TRANSITIONS[order.status]
            wanted = Order.Status.CANCELLED if action == "cancel" else next(iter(allowed), None)
            if wanted in allowed:
                change_order_status(company, order=order, status=wanted, actor=world.owner_a)
        else:
            customers = list(Customer.objects.filter(company=company).order_by("pk"))
            if len(customers) >= 2:
                target, duplicate = rng.sample(customers, 2)
                with contextlib.suppress(ValidationError):  # over five phones together: refused
                    merge_customers(company, target=target, duplicate=duplicate, actor=world.owner_a)
        if step % 10 == 9:
            assert_figures_equal_a_rebuild(company)
    assert_figures_equal_a_rebuild(company)


def test_the_rebuild_command_corrects_wrong_figures(shop, capsys):
    company = shop["company"]
    order = place_order(
        company, lines=[Line(quantity=2, product_id=shop["rose"].pk)], source="staff", phones=["+79160000009"]
    )
    right = snapshot(company)
    Customer.objects.filter(pk=order.customer_id).update(orders_count=7, orders_sum=Decimal("1"), last_order_at=None)
    with no_tenant_scope():  # as run from a shell: the command opens each company's scope itself
        call_command("rebuild_customer_stats", company=[company.pk])
    assert snapshot(company) == right
    assert "1 customers corrected" in capsys.readouterr().out


def test_merge_moves_everything_and_adds_up_the_figures(shop, world):
    company = shop["company"]
    vip = LabelFactory(company=company, name="VIP")
    keep = make_customer(company, name="Anna", phones=["+79160000010"], emails=["anna@example.com"])
    dup = make_customer(company, name="Anna S.", phones=["+79160000011"], labels=[vip], city="Tver")
    line = [Line(quantity=1, product_id=shop["rose"].pk)]
    place_order(company, customer=keep, lines=line, source="staff")
    place_order(company, customer=dup, lines=line * 2, source="staff")
    merged = merge_customers(company, target=keep, duplicate=dup, actor=world.owner_a)
    assert not Customer.objects.filter(pk=dup.pk).exists()
    assert set(merged.phones.values_list("number", flat=True)) == {"+79160000010", "+79160000011"}
    assert list(merged.labels.all()) == [vip] and merged.city == "Tver"
    assert (merged.orders_count, merged.orders_sum) == (2, Decimal("300.00"))
    assert_figures_equal_a_rebuild(company)


def test_merge_refuses_self_and_too_many_phones(shop, world):
    company = shop["company"]
    many = make_customer(company, name="Many", phones=[f"+7916200000{n}" for n in range(4)])
    more = make_customer(company, name="More", phones=["+79162000010", "+79162000011"])
    with pytest.raises(ValidationError):
        merge_customers(company, target=many, duplicate=many, actor=world.owner_a)
    with pytest.raises(ValidationError):
        merge_customers(company, target=many, duplicate=more, actor=world.owner_a)
    assert Customer.objects.filter(pk=more.pk).exists() and many.phones.count() == 4
