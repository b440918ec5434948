from datetime import date, datetime, time, timedelta

import django_filters
from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from companies import fields
from customers.phones import is_phone_like, phone_search_digits
from orders.models import Order


def start_of_day(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


class OrderFilterForm(forms.Form):
    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("placed_from"), cleaned.get("placed_to")
        if start and end and start > end:
            self.add_error("placed_to", _("The end date is before the start date."))
            cleaned.pop("placed_to", None)
        return cleaned


class OrderFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label=_("Search"),
        method="filter_search",
        max_length=100,
        widget=forms.TextInput(attrs={"placeholder": _("Number, name, phone or email"), "type": "search"}),
    )
    status = django_filters.ChoiceFilter(label=_("Status"), choices=Order.Status.choices, empty_label=_("Any status"))
    source = django_filters.ChoiceFilter(label=_("Source"), choices=Order.Source.choices, empty_label=_("Any source"))
    placed_from = django_filters.DateFilter(
        label=_("From"), method="filter_placed_from", widget=forms.DateInput(attrs={"type": "date"})
    )
    placed_to = django_filters.DateFilter(
        label=_("To"), method="filter_placed_to", widget=forms.DateInput(attrs={"type": "date"})
    )
    customer = django_filters.NumberFilter(
        field_name="customer_id", widget=forms.HiddenInput, min_value=1, max_value=fields.LARGEST_ID
    )

    class Meta:
        form = OrderFilterForm

    def __init__(self, *args, company, **kwargs):
        self.company = company
        super().__init__(*args, **kwargs)

    # A day runs from midnight to midnight in the current (the company's) time zone; comparing the
    # stored timestamp with those instants lets the (company, created_at) index serve the range.
    def filter_placed_from(self, queryset, name, value):
        return queryset.filter(created_at__gte=start_of_day(value))

    def filter_placed_to(self, queryset, name, value):
        return queryset.filter(created_at__lt=start_of_day(value + timedelta(days=1)))

    def filter_search(self, queryset, name, value):
        value = value.strip()
        term = value.lstrip("#").strip()
        if not term:
            return queryset
        if value.startswith("#"):  # "#1234" is an order number and nothing else
            return queryset.filter(number=int(term)) if term.isdigit() and len(term) < 10 else queryset.none()
        condition = Q()
        if term.isdigit() and len(term) < 10:
            condition |= Q(number=int(term))
        if is_phone_like(value):
            for digits in phone_search_digits(value, self.company.default_region):
                if len(digits) >= 3:
                    condition |= Q(customer_phone__contains=digits)
        if any(ch.isalpha() for ch in term) or not condition:
            # customer_email is stored lower-cased; both use the trigram index of migration 0002.
            condition |= Q(customer_name__icontains=term) | Q(customer_email__contains=term.lower())
        return queryset.filter(condition)
