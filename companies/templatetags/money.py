"""`{% load money %}`: every amount, rate, percentage and count on a page goes through these."""

from django import template

from companies.formats import format_money, format_number, format_percent, format_rate

register = template.Library()


@register.filter
def money(amount, currency: str) -> str:
    """{{ order.total|money:order.currency }} → 2 490,00 ₽ / RUB 2,490.00."""
    return format_money(amount, currency)


@register.filter
def money_whole(amount, currency: str) -> str:
    """Rounded to whole units, for summaries: 2 490 ₽ / RUB 2,490."""
    return format_money(amount, currency, decimal_pos=0)


@register.filter
def number(value, decimal_pos: int | None = 0) -> str:
    """A count grouped in thousands: 200 000 (ru) / 200,000 (en)."""
    return format_number(value, decimal_pos)


@register.filter
def percent(value) -> str:
    """3 rather than 3.00; the page adds the % sign."""
    return format_percent(value)


@register.filter
def rate(value) -> str:
    return format_rate(value)
