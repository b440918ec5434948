"""The start page: each figure for a small known dataset, isolation, the query budget, and the
links, which lead to filtered lists showing those very customers and orders."""

import html
import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from companies.models import Company
from companies.services import set_exchange_rate
from customers.models import Customer, Note
from customers.services import add_note
from orders.models import Order
from orders.services import Line, change_order_status, place_order, rebuild_order_days
from tests.factories import UserFactory, make_customer

pytestmark = pytest.mark.usefixtures("in_company_a")

HOME = reverse("dashboard:home")
# Wednesday 25 November 2026, 12:00 in Moscow (the company's time zone, UTC+3).
NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


def msk(day: date, hour: int = 12, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=ZoneInfo("Europe/Moscow"))


@pytest.fixture(autouse=True)
def frozen_now(monkeypatch):
    """Every clock read (the view's, auto_now_add, sessions) says NOW, so weeks are known."""
    monkeypatch.setattr(timezone, "now", lambda: NOW)


def added(company, name: str, when: datetime, **fields) -> Customer:
    customer = make_customer(company, name=name, **fields)
    Customer.objects.filter(pk=customer.pk).update(created_at=when)
    return customer


def order(company, customer, amount: str, when: datetime, *, status: str = "new", currency: str = "") -> Order:
    placed = place_order(
        company,
        customer=customer,
        lines=[Line(quantity=1, name="Bouquet", unit_price=Decimal(amount))],
        source=Order.Source.STAFF,
        currency=currency,
    )
    path = ["confirmed", "in_production", "shipped", "completed"]
    for step in [] if status == "new" else ["cancelled"] if status == "cancelled" else path[: path.index(status) + 1]:
        change_order_status(company, order=placed, status=step, actor=None)
    Order.objects.filter(pk=placed.pk).update(created_at=when)
    return placed


@pytest.fixture
def shop(world):
    """Company A's week: customers added this week and last, orders over 13 weeks, birthdays, notes."""
    a = world.company_a
    set_exchange_rate(a, currency="USD", rate=Decimal("90"), actor=world.owner_a)
    this_week = [
        added(a, "Wendy Wednesday", msk(date(2026, 11, 25), 10)),
        added(a, "Monty Monday", msk(date(2026, 11, 23), 0, 30)),
    ]
    last_week = [
        added(a, "Tess Tuesday", msk(date(2026, 11, 17), 10)),  # before this time last week
        added(a, "Sam Saturday", msk(date(2026, 11, 21), 10)),  # after it
    ]
    older = added(a, "Olga Older", msk(date(2026, 11, 10)))
    orders = {
        "this_new": order(a, older, "1000", msk(date(2026, 11, 24))),
        "this_usd": order(a, older, "10", msk(date(2026, 11, 23), 9), status="confirmed", currency="USD"),  # 900
        "this_cancelled": order(a, older, "9999", msk(date(2026, 11, 24)), status="cancelled"),
        "last_shipped": order(a, older, "500", msk(date(2026, 11, 22), 23, 30), status="shipped"),  # Sunday night
        "eleven_weeks_ago": order(a, older, "300", msk(date(2026, 9, 7), 0, 10), status="completed"),
        "twelve_weeks_ago": order(a, older, "7777", msk(date(2026, 9, 6), 23, 50), status="completed"),
    }
    birthdays = {
        "today": added(a, "Bella Today", NOW, birthday=date(1990, 11, 25)),
        "soon": added(a, "Boris Soon", NOW, birthday=date(1996, 12, 1)),
        "last_day": added(a, "Lina Lastday", NOW, birthday=date(2000, 12, 9)),
        "too_late": added(a, "Tim Toolate", NOW, birthday=date(1980, 12, 10)),
        "passed": added(a, "Paul Passed", NOW, birthday=date(1980, 11, 24)),
    }
    for n in range(6):
        note = add_note(a, customer=older, text=f"Urgent {n}", priority=Note.Priority.HIGH, actor=world.manager_a)
        Note.objects.filter(pk=note.pk).update(created_at=NOW - timedelta(hours=6 - n))
    add_note(a, customer=older, text="Just a remark", priority=Note.Priority.NONE, actor=world.manager_a)
    rebuild_order_days(a)  # the orders were moved back in time behind the services' backs
    return {"this_week": this_week, "last_week": last_week, "orders": orders, "birthdays": birthdays}


def links(page: str, testid: str) -> list[str]:
    return [html.unescape(url) for url in re.findall(rf'href="([^"]*)"[^>]*data-testid="{testid}"', page)]


def test_staff_land_on_the_start_page_after_signing_in(world, client):
    response = client.post(reverse("login"), {"username": "owner@a.example", "password": "secret-password"})
    assert response.status_code == 302 and response.url == HOME


def test_new_customers_this_week_against_last(world, owner_client, shop):
    page = owner_client.get(HOME).content.decode()
    assert 'data-testid="new-this-week"' in page
    assert re.search(r'data-testid="new-this-week"[^>]*>2</a>', page)
    assert "since Monday, 23 November" in page
    assert "+1" in page and "against 1 by this time last week" in page
    assert "2 new customers in the whole of last week" in page


def test_the_new_customer_links_open_the_list_filtered_to_them(world, owner_client, shop):
    page = owner_client.get(HOME).content.decode()
    (this_week,) = links(page, "new-this-week")
    assert this_week == f"{reverse('customers:list')}?added_from=2026-11-23&added_to=2026-11-25"
    listed = owner_client.get(this_week).content.decode()
    assert "Wendy Wednesday" in listed and "Monty Monday" in listed
    assert "Tess Tuesday" not in listed and "Olga Older" not in listed
    (last_week,) = links(page, "new-last-week")
    listed = owner_client.get(last_week).content.decode()
    assert "Tess Tuesday" in listed and "Sam Saturday" in listed and "Monty Monday" not in listed


def test_revenue_by_week_counts_placed_orders_in_the_company_currency(world, owner_client, shop):
    response = owner_client.get(HOME)
    weeks = response.context["weeks"]
    assert [week.start for week in weeks] == [date(2026, 9, 7) + timedelta(days=7 * n) for n in range(12)]
    assert weeks[-1].total == Decimal("1900.00") and weeks[-1].orders == 2  # 1,000 RUB + 10 USD at 90
    assert weeks[-2].total == Decimal("500.00")
    assert weeks[0].total == Decimal("300.00")
    assert all(week.total == 0 for week in weeks[1:-2])
    page = response.content.decode()
    assert 'data-testid="revenue-total">RUB\xa02,700.00<' in page
    assert "23 Nov – 29 Nov: RUB\xa01,900.00, 2 orders" in page


def test_each_week_links_to_its_orders(world, owner_client, shop):
    page = owner_client.get(HOME).content.decode()
    week_links = links(page, "revenue-week")
    assert len(week_links) == 12
    assert week_links[-1] == f"{reverse('orders:list')}?placed_from=2026-11-23&placed_to=2026-11-29"
    listed = owner_client.get(week_links[-1]).content.decode()
    numbers = {o.number for key, o in shop["orders"].items() if key.startswith("this")}
    assert all(f">{number}</a>" in listed for number in numbers)
    assert f">{shop['orders']['last_shipped'].number}</a>" not in listed


def test_orders_waiting_by_status_link_to_the_list_in_that_status(world, owner_client, shop):
    page = owner_client.get(HOME).content.decode()
    counts = {row.status: row.count for row in owner_client.get(HOME).context["waiting"]}
    assert counts == {"new": 1, "confirmed": 1, "in_production": 0, "shipped": 1}
    (shipped,) = links(page, "waiting-shipped")
    assert shipped == f"{reverse('orders:list')}?status=shipped"
    listed = owner_client.get(shipped).content.decode()
    assert "1 order" in listed and f">{shop['orders']['last_shipped'].number}</a>" in listed


def test_birthdays_in_the_next_14_days_soonest_first_with_age(world, owner_client, shop):
    page = owner_client.get(HOME).content.decode()
    rows = re.findall(r'data-testid="birthday">(.*?)</li>', page, flags=re.S)
    assert [re.search(r">([^<]+)</a>", row).group(1) for row in rows] == ["Bella Today", "Boris Soon", "Lina Lastday"]
    assert "today" in rows[0] and "turns 36" in rows[0]
    assert "1 December" in rows[1] and "turns 30" in rows[1]
    assert "9 December" in rows[2] and "turns 26" in rows[2]
    (all_of_them,) = links(page, "birthdays-all")
    assert "See all 3 customers in the list" in page
    listed = owner_client.get(all_of_them).content.decode()
    assert "Bella Today" in listed and "Lina Lastday" in listed
    assert "Tim Toolate" not in listed and "Paul Passed" not in listed


def test_birthdays_across_the_new_year_come_in_date_order(world, monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: msk(date(2026, 12, 28)))
    owner_client = world.client_for(world.owner_a)  # signed in at the new time
    a = world.company_a
    added(a, "Jan Third", NOW, birthday=date(2000, 1, 3))
    added(a, "Dec Thirtieth", NOW, birthday=date(1990, 12, 30))
    added(a, "Dec Passed", NOW, birthday=date(1990, 12, 27))
    page = owner_client.get(HOME).content.decode()
    rows = re.findall(r'data-testid="birthday">(.*?)</li>', page, flags=re.S)
    assert [re.search(r">([^<]+)</a>", row).group(1) for row in rows] == ["Dec Thirtieth", "Jan Third"]
    assert "30 December" in rows[0] and "turns 36" in rows[0]
    assert "3 January" in rows[1] and "turns 27" in rows[1]


def test_newest_five_high_priority_notes_with_customer_and_author(world, owner_client, shop):
    page = owner_client.get(HOME).content.decode()
    notes = re.findall(r'data-testid="urgent-note">(.*?)</li>', page, flags=re.S)
    assert [re.search(r"Urgent \d", note).group(0) for note in notes] == [f"Urgent {n}" for n in (5, 4, 3, 2, 1)]
    assert "Just a remark" not in page
    assert str(world.manager_a) in notes[0] and "Olga Older" in notes[0]
    older = Note.objects.get(text="Urgent 5").customer
    assert f'href="{older.get_absolute_url()}"' in notes[0]


def test_a_company_without_data_sees_the_empty_states(world, b_client):
    page = b_client.get(HOME).content.decode()
    for title in (
        "No new customers this week or last",
        "No orders in these weeks",
        "Nothing is waiting",
        "No birthdays coming up",
        "No high-priority notes",
    ):
        assert title in page


def test_company_b_sees_none_of_company_a_figures(world, b_client, shop):
    response = b_client.get(HOME)
    page = response.content.decode()
    assert response.context["new"].this_week == 0 and response.context["new"].last_week == 0
    assert all(week.total == 0 for week in response.context["weeks"])
    assert all(row.count == 0 for row in response.context["waiting"])
    assert response.context["birthdays"].count == 0 and response.context["notes"] == []
    for name in ("Wendy", "Bella Today", "Olga Older", "Urgent"):
        assert name not in page


def test_the_page_takes_a_fixed_number_of_queries(world, owner_client, shop, django_assert_max_num_queries):
    owner_client.get(HOME)
    # Session, user, memberships; new customers; revenue; waiting orders; birthdays (a second
    # query across the new year, and a count once the list is full); notes.
    with django_assert_max_num_queries(10):
        response = owner_client.get(HOME)
    assert response.status_code == 200
    a = world.company_a
    for n in range(20):  # more of everything does not mean more queries
        customer = added(a, f"Extra {n}", NOW - timedelta(hours=n), birthday=date(1991, 11, 26))
        add_note(a, customer=customer, text=f"More {n}", priority=Note.Priority.HIGH, actor=world.owner_a)
        order(a, customer, "10", NOW - timedelta(days=n * 4))
    rebuild_order_days(a)
    with django_assert_max_num_queries(10):
        assert owner_client.get(HOME).status_code == 200


def test_the_free_plan_and_users_without_a_company_get_what_the_customer_list_gives(world, client, owner_client):
    Company.objects.filter(pk=world.company_a.pk).update(plan=Company.Plan.FREE)
    assert owner_client.get(HOME).status_code == owner_client.get(reverse("customers:list")).status_code == 402
    client.force_login(UserFactory(email="nobody@example.com"))
    assert client.get(HOME).status_code == client.get(reverse("customers:list")).status_code == 403
    client.logout()
    assert client.get(HOME).url.startswith(reverse("login"))
