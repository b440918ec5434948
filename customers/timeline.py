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


# A line folds at most this many entries; a page looks this far past its end to finish one.
LONGEST_FOLD = 8


@dataclass(frozen=True)
class Entry:
    when: datetime
    kind: str  # what it is; its line is customers/timeline/<kind>.html unless `template` says
    actor: object = None
    obj: object = None
    data: dict = field(default_factory=dict)
    # Entries next to each other with the same key show as one line, made by FOLDERS[kind].
    fold: object = None
    since: datetime | None = None  # a folded line: the moment of its oldest entry
    template: str = ""

    @property
    def fragment(self) -> str:
        """The template of its line: the icon and the words, in customers/timeline/."""
        return self.template or f"customers/timeline/{self.kind}.html"

    @property
    def cursor(self) -> datetime:
        """Where the next, older page starts."""
        return self.since or self.when


Source = Callable[[Company, Customer, datetime | None, int], list[Entry]]
SOURCES: list[Source] = []
Folder = Callable[[list[Entry]], Entry]
FOLDERS: dict[str, Folder] = {}


def register(source: Source) -> Source:
    if source not in SOURCES:
        SOURCES.append(source)
    return source


def register_folder(kind: str) -> Callable[[Folder], Folder]:
    """`folder(run)` turns a run of entries (newest first, same fold key, nothing else between) into one."""

    def decorator(folder: Folder) -> Folder:
        FOLDERS[kind] = folder
        return folder

    return decorator


def timeline(company: Company, customer: Customer, *, before: datetime | None = None, size: int = PAGE_SIZE):
    """One page of lines, newest first, and whether there are older ones.

    A page is at most `size` lines and `2 × size` entries; a run of foldable entries is never cut
    in two by the page's end (up to LONGEST_FOLD of them), so `cursor` of the last line continues.
    """
    budget = 2 * size
    limit = budget + LONGEST_FOLD + 1
    streams = [source(company, customer, before, limit) for source in SOURCES]
    entries = list(islice(merge(*streams, key=lambda entry: entry.when, reverse=True), limit))
    lines: list[Entry] = []
    start = 0
    while start < len(entries) and len(lines) < size and start < budget:
        end = start + 1
        key = entries[start].fold
        if key is not None:
            while end < len(entries) and end - start < LONGEST_FOLD and entries[end].fold == key:
                end += 1
        run = entries[start:end]
        lines.append(run[0] if len(run) == 1 else FOLDERS[run[0].kind](run))
        start = end
    return lines, start < len(entries)


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
            template=EVENT_TEMPLATES.get(event.kind, "customers/timeline/event_edited.html"),
        )
        for event in events
    ]


# Edits and automatic status changes share a line; every other kind of event has its own.
EVENT_TEMPLATES = {
    kind: f"customers/timeline/event_{kind}.html"
    for kind in CustomerEvent.Kind.values
    if kind not in (CustomerEvent.Kind.EDITED, CustomerEvent.Kind.STATUS_CHANGED)
}

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
