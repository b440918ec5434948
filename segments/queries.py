"""Reads of segments, and the one function that turns an audience into customers."""

from collections.abc import Iterable

from django.db.models import Q, QuerySet
from django.http import Http404, QueryDict

from companies.models import Company
from customers.filters import CustomerFilter
from customers.models import Customer
from segments.models import Segment


def segments_for(company: Company, user) -> QuerySet[Segment]:
    """The company's shared segments and the user's own, in their order."""
    return Segment.objects.filter(company=company).filter(Q(owner=None) | Q(owner=user)).order_by("position", "id")


def filter_of(company: Company, query: str, queryset: QuerySet[Customer] | None = None) -> CustomerFilter:
    """The customer FilterSet bound to a saved or current query string."""
    return CustomerFilter(
        QueryDict(query), queryset=queryset if queryset is not None else Customer.objects.all(), company=company
    )


def audience(
    company: Company,
    *,
    user,
    segment: Segment | int | None = None,
    query: str | None = None,
    ids: Iterable[int] | None = None,
) -> QuerySet[Customer]:
    """The customers of an audience: a segment, the current filter (a query string), or an explicit
    selection of ids. Bulk actions, SMS and push campaigns and exports all ask here."""
    given = [value is not None for value in (segment, query, ids)]
    if sum(given) != 1:
        raise ValueError("an audience is exactly one of: a segment, a query or ids")
    if segment is not None:
        pk = segment.pk if isinstance(segment, Segment) else segment
        found = segments_for(company, user).filter(pk=pk).first()
        if found is None:
            raise Http404
        return filter_of(company, found.query).qs
    if query is not None:
        return filter_of(company, query).qs
    return Customer.objects.filter(company=company, pk__in=list(ids))
