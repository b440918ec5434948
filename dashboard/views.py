from datetime import date, timedelta

from django.http import QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode

from companies.decorators import company_view
from customers.criteria import narrowed
from dashboard import queries


def customers_url(**criterion) -> str:
    """The customer list filtered by one criterion, its parameters put as the filter panel puts them."""
    return f"{reverse('customers:list')}?{narrowed(QueryDict(), criterion)}"


def customers_added_url(start: date, end: date) -> str:
    return customers_url(added_from=start.isoformat(), added_to=end.isoformat())


def orders_url(**params) -> str:
    """The orders list with the filter's own parameters (orders.filters.OrderFilter)."""
    return f"{reverse('orders:list')}?{urlencode(params)}"


@company_view()
def home(request):
    company, now = request.company, timezone.now()
    new = queries.new_customers(company, now=now)
    weeks = queries.revenue_by_week(company, now=now)
    for week in weeks:
        week.url = orders_url(placed_from=week.start.isoformat(), placed_to=week.end.isoformat())
    waiting = queries.waiting_orders(company)
    for row in waiting:
        row.url = orders_url(status=row.status)
    birthdays = queries.upcoming_birthdays(company, now=now)
    context = {
        "new": new,
        "today": new.today,
        "new_this_week_url": customers_added_url(new.week_start, new.today),
        "new_last_week_url": customers_added_url(new.last_week_start, new.week_start - timedelta(days=1)),
        "weeks": weeks,
        "revenue_total": sum(week.total for week in weeks),
        "waiting": waiting,
        "waiting_total": sum(row.count for row in waiting),
        "birthdays": birthdays,
        "birthdays_url": customers_url(birthday_days=str(birthdays.days)),
        "notes": queries.urgent_notes(company),
    }
    return render(request, "dashboard/home.html", context)
