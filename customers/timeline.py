"""The card's "All activity" timeline: one list, newest first, of everything that happened to a
customer. Each app registers a source (orders its orders and status changes, later apps their
messages, points, reviews); a page takes the newest entries before a moment from every source,
each through its own (customer, created_at) index, and merges them."""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from heapq import merge
from itertools import islice

from django.core.exceptions import FieldDoesNotExist
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from companies.formats import format_percent
from companies.models import Company
from customers.models import Customer, CustomerEvent, CustomerMerge, Note

PAGE_SIZE = 20


@dataclass(frozen=True)
class Entry:
    when: datetime
    kind: str  # the template fragment that shows it: customers/timeline/<kind>.html
    actor: object = None
    obj: object = None
    data: dict = field(default_factory=dict)


Source = Callable[[Company, Customer, datetime | None, int], list[Entry]]
SOURCES: list[Source] = []


def register(source: Source) -> Source:
    if source not in SOURCES:
        SOURCES.append(source)
    return source


def timeline(company: Company, customer: Customer, *, before: datetime | None = None, size: int = PAGE_SIZE):
    """One page of entries, newest first, and whether there are older ones."""
    streams = [source(company, customer, before, size + 1) for source in SOURCES]
    entries = list(islice(merge(*streams, key=lambda entry: entry.when, reverse=True), size + 1))
    return entries[:size], len(entries) > size


def _before(queryset, before):
    return queryset.filter(created_at__lt=before) if before else queryset


@register
def customer_events(company, customer, before, limit):
    events = _before(CustomerEvent.objects.filter(company=company, customer=customer), before)
    events = list(events.select_related("actor").order_by("-created_at", "-id")[:limit])
    merges = [
        event.data["merge"] for event in events if event.kind == CustomerEvent.Kind.MERGED and "merge" in event.data
    ]
    undoable = (
        set(
            CustomerMerge.objects.filter(
                company=company,
                pk__in=merges,
                undone_at__isnull=True,
                created_at__gte=timezone.now() - timedelta(days=CustomerMerge.UNDO_DAYS),
            ).values_list("pk", flat=True)
        )
        if merges
        else set()
    )
    return [
        Entry(
            event.created_at,
            "event",
            event.actor,
            event,
            {**event.data, "changes": _readable(event.data), "undoable": event.data.get("merge") in undoable},
        )
        for event in events
    ]


CONTACT_FIELDS = {"phones": _("phones"), "emails": _("emails"), "labels": _("labels")}


def _readable(data: dict) -> list[tuple[str, str, str]]:
    """An edit's changes as (field name, old, new) in the reader's language."""
    readable = []
    for change in data.get("changes", ()):
        name = change["field"]
        if name in CONTACT_FIELDS:
            readable.append((str(CONTACT_FIELDS[name]), change["old"], change["new"]))
            continue
        try:
            model_field = Customer._meta.get_field(name)
        except FieldDoesNotExist:
            continue
        readable.append(
            (str(model_field.verbose_name), _shown(model_field, change["old"]), _shown(model_field, change["new"]))
        )
    return readable


def _shown(model_field, value: str) -> str:
    if model_field.choices:
        return str(dict(model_field.flatchoices).get(value, value))
    kind = model_field.get_internal_type()
    if value in ("True", "False") and kind == "BooleanField":
        return str(_("yes") if value == "True" else _("no"))
    if value and kind == "DecimalField":
        return format_percent(value)  # 10.00 was stored; the reader sees 10
    if value and kind == "DateTimeField" and (moment := parse_datetime(value)):
        return date_format(timezone.localtime(moment), "SHORT_DATETIME_FORMAT")
    return value


@register
def notes(company, customer, before, limit):
    found = _before(Note.objects.filter(company=company, customer=customer), before)
    return [
        Entry(note.created_at, "note", note.author, note)
        for note in found.select_related("author").order_by("-created_at", "-id")[:limit]
    ]
