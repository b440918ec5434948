"""Reads of segments, and the one function that turns an audience into customers."""

from collections.abc import Iterable

from django.db.models import Q, QuerySet
from django.http import Http404, QueryDict
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from companies.models import Company
from customers.filters import CRITERIA, CustomerFilter, describe_form
from customers.models import Customer
from segments.models import Segment


def segments_for(company: Company, user) -> QuerySet[Segment]:
    """The company's shared segments and the user's own, in their order."""
    return Segment.objects.filter(company=company).filter(Q(owner=None) | Q(owner=user)).order_by("position", "id")


def query_words(company: Company, query: str) -> list[str]:
    """A filter's query string in plain words, as the list shows it, with the search text first."""
    filterset = filter_of(company, query)
    filterset.is_valid()
    words = describe_form(filterset.form)
    search = QueryDict(query).get("q", "").strip()
    return [_("search “%(text)s”") % {"text": search}, *words] if search else words


def criteria_used(query: str) -> list[str]:
    """The criteria a filter uses, by name only ("search", "City", "Labels"), not their values,
    which may be what a person is (a name searched for, a city, a birthday)."""
    data = QueryDict(query)
    names = [_("search")] if data.get("q", "").strip() else []
    for criterion in CRITERIA:
        values = [name for name in criterion.fields if not name.endswith(("_mode", "_unit"))]
        if any(data.get(name, "").strip() for name in values):
            names.append(str(criterion.label))
    return names


def audience_words(company: Company, *, query: str | None = None, ids: Iterable[int] | None = None) -> str:
    """Who an audience is, for the activity log, which keeps no personal data: the criteria of the
    filter by name, or how many were ticked."""
    if query is not None:
        return _("Filter: %(rule)s") % {"rule": ", ".join(criteria_used(query)) or _("all customers")}
    count = len(list(ids or ()))
    return ngettext("%(count)s ticked customer", "%(count)s ticked customers", count) % {"count": count}


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
