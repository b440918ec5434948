"""Each criterion of the customer filter on its own and combined, against hand-built customers."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from customers.models import Customer
from segments.queries import filter_of
from tests.factories import LabelFactory, make_customer

pytestmark = pytest.mark.usefixtures("in_company_a")

NOW = timezone.now()


def names(company, query: str) -> set[str]:
    return set(filter_of(company, query).qs.values_list("full_name", flat=True))


def errors(company, query: str) -> dict:
    filterset = filter_of(company, query)
    filterset.is_valid()
    return filterset.form.errors


def figures(customer, **values):
    Customer.objects.filter(pk=customer.pk).update(**values)


@pytest.fixture
def shop(world):
    company = world.company_a
    vip, wholesale = LabelFactory(company=company, name="VIP"), LabelFactory(company=company, name="Wholesale")
    ann = make_customer(
        company,
        name="Ann",
        phones=["+79160000001"],
        emails=["ann@example.com"],
        labels=[vip],
        gender="female",
        region="Moscow",
        city="Moscow",
        status="current",
        temperature="hot",
        birthday=date(1990, 3, 10),
    )
    bob = make_customer(
        company,
        name="Bob",
        phones=["+79160000002"],
        labels=[vip, wholesale],
        gender="male",
        region="Tver",
        status="current",
        temperature="cold",
        birthday=date(1960, 12, 30),
        sms_consent=False,
    )
    cat = make_customer(company, name="Cat", emails=["cat@example.com"], acquisition_channel="quick_link")
    make_customer(company, name="Dan", phones=["+79160000004"], is_favourite=True, is_blocked=True)
    figures(
        ann,
        orders_count=1,
        orders_sum=Decimal("500"),
        last_activity_at=NOW - timedelta(days=10),
        first_order_at=NOW - timedelta(days=10),
        last_order_at=NOW - timedelta(days=10),
    )
    figures(
        bob,
        orders_count=5,
        orders_sum=Decimal("25000"),
        messages_count=2,
        company_reviews_count=1,
        last_activity_at=NOW - timedelta(days=200),
        first_order_at=NOW - timedelta(days=700),
        last_order_at=NOW - timedelta(days=200),
    )
    figures(cat, messages_count=1, last_activity_at=NOW - timedelta(days=40))
    return {"company": company, "vip": vip, "wholesale": wholesale, "other": LabelFactory(company=world.company_b)}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", {"Ann", "Bob", "Cat", "Dan"}),
        ("activity=lt&activity_n=30&activity_unit=days", {"Ann"}),
        ("activity=lt&activity_n=2&activity_unit=months", {"Ann", "Cat"}),
        ("activity=gt&activity_n=3&activity_unit=months", {"Bob"}),
        ("activity=range&activity_n=1&activity_n2=3&activity_unit=months", {"Cat"}),
        ("activity=lt&activity_n=6&activity_unit=weeks", {"Ann", "Cat"}),
        ("activity=never", {"Dan"}),
        ("actions_min=1&actions_max=1", {"Ann", "Cat"}),
        ("actions_min=2", {"Bob"}),
        ("actions_max=0", {"Dan"}),
        ("orders_min=1&orders_max=4", {"Ann"}),
        ("sum_min=1000", {"Bob"}),
        ("sum_max=1000&orders_min=1", {"Ann"}),
        ("gender=female", {"Ann"}),
        ("gender=unknown", {"Cat", "Dan"}),
        ("region=moscow", {"Ann"}),
        ("city=Moscow", {"Ann"}),
        ("status=current", {"Ann", "Bob"}),
        ("status=potential", {"Cat", "Dan"}),
        ("temperature=cold", {"Bob"}),
        ("reviewed=yes", {"Bob"}),
        ("reviewed=no", {"Ann", "Cat", "Dan"}),
        ("messaged=yes", {"Bob", "Cat"}),
        ("channel=quick_link", {"Cat"}),
        ("favourite=true", {"Dan"}),
        ("blocked=yes", {"Dan"}),
        ("blocked=no", {"Ann", "Bob", "Cat"}),
        ("sms_consent=no", {"Bob"}),
        ("has_email=yes", {"Ann", "Cat"}),
        ("has_phone=no", {"Cat"}),
        ("birthday_month=12", {"Bob"}),
        ("age_min=60", {"Bob"}),
        ("age_max=40", {"Ann"}),
        ("age_min=30&age_max=40", {"Ann"}),
    ],
)
def test_each_criterion(shop, query, expected):
    assert names(shop["company"], query) == expected


def test_labels_any_all_none(shop):
    company, vip, wholesale = shop["company"], shop["vip"].pk, shop["wholesale"].pk
    assert names(company, f"labels_mode=any&labels={vip}&labels={wholesale}") == {"Ann", "Bob"}
    assert names(company, f"labels_mode=all&labels={vip}&labels={wholesale}") == {"Bob"}
    assert names(company, f"labels_mode=none&labels={wholesale}") == {"Ann", "Cat", "Dan"}


def test_dates_are_whole_days(shop):
    company = shop["company"]
    today = timezone.localdate()
    assert names(company, f"last_order_from={today - timedelta(days=10)}") == {"Ann"}
    assert names(company, f"last_order_to={today - timedelta(days=11)}") == {"Bob"}
    assert names(company, f"first_order_from={today - timedelta(days=701)}&first_order_to={today}") == {"Ann", "Bob"}
    assert names(company, f"added_from={today}") == {"Ann", "Bob", "Cat", "Dan"}
    assert names(company, f"added_to={today - timedelta(days=1)}") == set()


def test_birthday_within_the_next_days_crosses_the_new_year(shop):
    company = shop["company"]
    today = timezone.localdate()
    soon = today + timedelta(days=3)
    Customer.objects.filter(full_name="Cat").update(birthday=soon.replace(year=1985))
    assert "Cat" in names(company, "birthday_days=5")
    assert "Cat" not in names(company, "birthday_days=2")
    from customers.filters import _birthday_within

    new_years_eve = date(2026, 12, 30)
    condition = _birthday_within(5, new_years_eve)
    Customer.objects.filter(full_name="Dan").update(birthday=date(1999, 1, 3))
    matched = set(Customer.objects.filter(company=company).filter(condition).values_list("full_name", flat=True))
    assert matched == {"Bob", "Dan"}  # 30 December and 3 January


def test_criteria_combine_with_and(shop):
    company, vip = shop["company"], shop["vip"].pk
    query = f"labels_mode=any&labels={vip}&activity=gt&activity_n=3&activity_unit=months&sum_min=1000"
    assert names(company, query) == {"Bob"}
    assert names(company, f"labels_mode=any&labels={vip}&activity=lt&activity_n=3&activity_unit=months") == {"Ann"}


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("orders_min=abc", "orders_min"),
        ("sum_min=ten", "sum_min"),
        ("orders_min=5&orders_max=2", "orders_max"),
        ("added_from=2026-13-40", "added_from"),
        ("activity=lt&activity_n=x&activity_unit=months", "activity_n"),
        ("activity=lt&activity_unit=months", "activity_n"),
        ("activity=sometime", "activity"),
        ("gender=robot", "gender"),
        ("labels_mode=any&labels=999999", "labels"),
        ("age_min=-3", "age_min"),
        ("birthday_days=1000", "birthday_days"),
    ],
)
def test_a_malformed_criterion_is_an_error_and_is_left_out(shop, query, field):
    company = shop["company"]
    assert field in errors(company, query)
    assert names(company, query) == {"Ann", "Bob", "Cat", "Dan"}


def test_another_companys_label_is_refused(shop):
    company = shop["company"]
    query = f"labels_mode=any&labels={shop['other'].pk}"
    assert "labels" in errors(company, query)
    assert names(company, query) == {"Ann", "Bob", "Cat", "Dan"}


def test_a_bad_criterion_leaves_the_good_ones_working(shop):
    assert names(shop["company"], "gender=female&orders_min=abc") == {"Ann"}


def test_an_inverted_date_range_says_only_that(shop):
    found = errors(shop["company"], "activity=dates&activity_from=2026-12-01&activity_to=2026-01-01")
    assert list(found) == ["activity_to"]
    assert found["activity_to"] == ["This is less than the lower bound."]
