from django import template

from customers.phones import format_phone

register = template.Library()


@register.filter
def phone(value: str) -> str:
    """An E.164 number in international format: +79161234567 → +7 916 123-45-67."""
    return format_phone(value) if value else ""
