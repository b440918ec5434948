"""The start page's figures: one query per block, each through the company's scoped managers.

Weeks run Monday to Sunday and days midnight to midnight in the current (the company's) time
zone, which the middleware activates. Customers are counted on the (company, created_at) index;
order figures come from the orders per day and status that orders.services keeps (OrderDay).
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db.models import Count, Q, Sum
from django.utils import timezone

from companies.models import Company
from customers.filters import birthday_ranges, criteria_condition
from customers.models import BIRTHDAY_KEY, Customer, Note
from orders.filters import start_of_day
from orders.models import Order, OrderDay

REVENUE_WEEKS = 12
BIRTHDAY_DAYS = 14
BIRTHDAYS_SHOWN = 8
NOTES_SHOWN = 5
# Orders that still need someone to act on them, in the order they move.
WAITING_STATUSES = (
    Order.Status.NEW,
    Order.Status.CONFIRMED,
    Order.Status.IN_PRODUCTION,
    Order.Status.SHIPPED,
)


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


@dataclass
class NewCustomers:
    week_start: date
    today: date
    this_week: int
    # Last week up to the same weekday and time: the fair comparison on a Tuesday morning.
    last_week_so_far: int
    last_week: int

    @property
    def last_week_start(self) -> date:
        return self.week_start - timedelta(days=7)

    @property
    def change(self) -> int:
        return self.this_week - self.last_week_so_far


def new_customers(company: Company, *, now: datetime) -> NewCustomers:
    today = timezone.localdate(now)
    monday = week_start(today)
    this_week_from = start_of_day(monday)
    last_week_from = start_of_day(monday - timedelta(days=7))
    figures = Customer.objects.filter(company=company, created_at__gte=last_week_from, created_at__lt=now).aggregate(
        this_week=Count("pk", filter=Q(created_at__gte=this_week_from)),
        last_week_so_far=Count("pk", filter=Q(created_at__lt=now - timedelta(days=7))),
        last_week=Count("pk", filter=Q(created_at__lt=this_week_from)),
    )
    return NewCustomers(week_start=monday, today=today, **figures)


@dataclass
class WeekRevenue:
    start: date
    total: Decimal
    orders: int
    height: float = 0.0  # percent of the best week, for the chart
    url: str = ""  # the orders list of that week (set by the view)

    @property
    def end(self) -> date:
        return self.start + timedelta(days=6)


def revenue_by_week(company: Company, *, now: datetime, weeks: int = REVENUE_WEEKS) -> list[WeekRevenue]:
    """Order totals in the company currency (stored on each order when placed) by week, oldest
    first, the current week last; cancelled orders do not count, as in the customers' figures.

    Read from the orders per day and status that orders.services keeps (OrderDay): at a million
    customers 12 weeks are over 600,000 orders, seconds to add up, and 84 days are a few rows."""
    first = week_start(timezone.localdate(now)) - timedelta(days=7 * (weeks - 1))
    days = (
        OrderDay.objects.filter(company=company, day__gte=first, day__lt=first + timedelta(days=7 * weeks))
        .exclude(status=Order.Status.CANCELLED)
        .values("day")
        .annotate(total=Sum("total_base"), orders=Sum("orders"))
        .order_by()
    )
    result = [WeekRevenue(start=first + timedelta(days=7 * n), total=Decimal("0"), orders=0) for n in range(weeks)]
    for row in days:
        week = result[(row["day"] - first).days // 7]
        week.total += row["total"]
        week.orders += row["orders"]
    best = max(week.total for week in result)
    for week in result:
        week.height = float(week.total / best * 100) if best > 0 else 0.0
    return result


@dataclass
class StatusCount:
    status: str
    label: str
    count: int
    url: str = ""  # the orders list in that status (set by the view)


def waiting_orders(company: Company) -> list[StatusCount]:
    counts = dict(
        OrderDay.objects.filter(company=company, status__in=WAITING_STATUSES)
        .values("status")
        .annotate(n=Sum("orders"))
        .order_by()
        .values_list("status", "n")
    )
    return [StatusCount(status.value, status.label, counts.get(status.value, 0)) for status in WAITING_STATUSES]


@dataclass
class Birthday:
    customer: Customer
    on: date

    @property
    def age(self) -> int:
        return self.on.year - self.customer.birthday.year


@dataclass
class Birthdays:
    days: int
    count: int
    people: list[Birthday]


def birthdays_condition(*, now: datetime, days: int = BIRTHDAY_DAYS) -> Q:
    """The customer list's "birthday soon" criterion, so that the page and its link agree."""
    return criteria_condition({"birthday_days": days}, now=now)


def upcoming_birthdays(company: Company, *, now: datetime, days: int = BIRTHDAY_DAYS) -> Birthdays:
    """The soonest birthdays in date order, one query per range of the birthday key (two only
    across the new year), each reading a few rows of customer_birthday_idx; then the count."""
    today = timezone.localdate(now)
    people: list[Customer] = []
    for low, high in birthday_ranges(days, today):
        people += (
            Customer.objects.filter(company=company)
            .alias(key=BIRTHDAY_KEY)
            .filter(key__gte=low, key__lte=high)
            .order_by("key", "pk")
            .only("id", "full_name", "birthday")[: BIRTHDAYS_SHOWN - len(people)]
        )
        if len(people) == BIRTHDAYS_SHOWN:
            break
    if len(people) < BIRTHDAYS_SHOWN:
        count = len(people)
    else:
        count = Customer.objects.filter(birthdays_condition(now=now, days=days), company=company).count()
    return Birthdays(days=days, count=count, people=[Birthday(c, _next_birthday(c.birthday, today)) for c in people])


def _next_birthday(birthday: date, today: date) -> date:
    for year in (today.year, today.year + 1):
        try:
            day = birthday.replace(year=year)
        except ValueError:  # 29 February, kept on 1 March in a common year
            day = date(year, 3, 1)
        if day >= today:
            return day
    raise AssertionError("a birthday falls within a year")


def urgent_notes(company: Company, *, limit: int = NOTES_SHOWN) -> list[Note]:
    return list(
        Note.objects.filter(company=company, priority=Note.Priority.HIGH)
        .select_related("customer", "author")
        .defer("customer__search_document", "customer__internal_note")
        .order_by("-created_at", "-pk")[:limit]
    )
