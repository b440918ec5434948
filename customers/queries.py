"""Reads of customers shared by the list, the card, bulk actions and (later) exports."""

from django.db.models import Count, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404

from companies.models import Company
from customers.models import LEAD_RANK, Customer, CustomerLabel, Label, Note
from customers.phones import is_phone_like, phone_search_digits

MIN_SEARCH_LENGTH = 3


def customers_for_list(company: Company) -> QuerySet[Customer]:
    """Customers with what a list row shows, in a fixed number of queries whatever the page size."""
    return Customer.objects.prefetch_related(
        "phones",
        "emails",
        Prefetch("labels", queryset=Label.objects.order_by("name")),
        # High-priority notes show as a badge on the row.
        Prefetch(
            "notes",
            queryset=Note.objects.filter(priority=Note.Priority.HIGH).order_by("-created_at"),
            to_attr="urgent_notes",
        ),
    )


def leads_first(queryset: QuerySet[Customer]) -> QuerySet[Customer]:
    """The most promising leads first, newest first among equals (index customer_lead_idx)."""
    return queryset.alias(lead_rank=LEAD_RANK).order_by("lead_rank", "-created_at", "-pk")


def search_customers(company: Company, queryset: QuerySet[Customer], term: str) -> QuerySet[Customer]:
    """Name, email or phone fragment, matched on the trigram-indexed search document.

    A phone fragment is matched on its digits in any format: "+7 (916) 123", "8916123", "123-45".
    """
    term = term.strip()
    if is_phone_like(term):
        condition = Q()
        for digits in phone_search_digits(term, company.default_region):
            condition |= Q(search_document__contains=digits)
        return queryset.filter(condition)
    return queryset.filter(search_document__contains=term.upper())


def customer_for_card(company: Company, pk: int) -> Customer:
    return get_object_or_404(
        Customer.objects.prefetch_related(
            "phones", "emails", Prefetch("labels", queryset=Label.objects.order_by("name"))
        ),
        pk=pk,
    )


def notes_of(customer: Customer) -> QuerySet[Note]:
    return Note.objects.filter(customer=customer).select_related("author")


def labels_with_counts(company: Company) -> QuerySet[Label]:
    counts = (
        CustomerLabel.objects.filter(label=OuterRef("pk"))
        .order_by()
        .values("label")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Label.objects.annotate(customers_count=Coalesce(Subquery(counts), 0)).order_by("name")


# Sorts of the customer list whose keys are never null, so that a card can step to the customer
# before and after it in the list it was opened from (keyset, through the sort's own index).
WALKABLE_SORTS = ("created_at", "full_name", "orders_count", "orders_sum")


def neighbours(queryset: QuerySet[Customer], customer: Customer, sort: str) -> tuple[Customer | None, Customer | None]:
    """The customers just before and just after `customer` in the list `queryset` sorted by
    `sort` (a list's ?sort= value; the newest first when empty). (None, None) for a sort that
    cannot be walked."""
    sort = sort or "-created_at"
    name = sort.lstrip("-")
    if name not in WALKABLE_SORTS:
        return None, None
    value = getattr(customer, name)
    after = Q(**{f"{name}__gt": value}) | Q(**{name: value, "pk__gt": customer.pk})
    before = Q(**{f"{name}__lt": value}) | Q(**{name: value, "pk__lt": customer.pk})
    ascending = (name, "pk")
    descending = (f"-{name}", "-pk")
    rows = queryset.only("pk", "full_name").prefetch_related(None)
    if sort.startswith("-"):
        previous, following = rows.filter(after).order_by(*ascending), rows.filter(before).order_by(*descending)
    else:
        previous, following = rows.filter(before).order_by(*descending), rows.filter(after).order_by(*ascending)
    return previous.first(), following.first()
