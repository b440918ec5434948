"""The one customer FilterSet: the list, bulk actions and (later) segments, SMS and exports use it."""

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from customers.models import Label
from customers.queries import MIN_SEARCH_LENGTH, search_customers


def company_labels(request):
    # Evaluated per request inside the company's scope, never at import time.
    return Label.objects.order_by("name")


def _validate_search_term(value: str) -> None:
    term = value.strip()
    if term and len([ch for ch in term if ch.isalnum()]) < MIN_SEARCH_LENGTH:
        raise forms.ValidationError(
            _("Type at least %(count)d letters or digits to search."), params={"count": MIN_SEARCH_LENGTH}
        )


class CustomerFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label=_("Search"),
        method="filter_search",
        max_length=100,
        validators=[_validate_search_term],
        widget=forms.TextInput(
            attrs={"placeholder": _("Name, phone or email"), "type": "search", "autocomplete": "off"}
        ),
    )
    favourite = django_filters.BooleanFilter(
        field_name="is_favourite",
        label=_("Favourites only"),
        widget=forms.CheckboxInput,
        method="filter_favourite",
    )
    label = django_filters.ModelChoiceFilter(
        label=_("Label"), queryset=company_labels, field_name="labels", empty_label=_("Any label")
    )

    def __init__(self, *args, company, **kwargs):
        self.company = company
        super().__init__(*args, **kwargs)

    def filter_search(self, queryset, name, value):
        if not value.strip():
            return queryset
        return search_customers(self.company, queryset, value)

    def filter_favourite(self, queryset, name, value):
        return queryset.filter(is_favourite=True) if value else queryset
