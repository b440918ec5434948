"""Reading the activity log: the filtered entries a page at a time by keyset on the id, and the
names of what they point at, in a fixed number of queries whatever the page holds."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.db.models import F, QuerySet
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from audit.models import AuditEntry
from companies.fields import fits_an_id
from companies.models import Company
from customers.models import Customer
from customers.timeline import CONTACT_FIELDS

PAGE = 50
# A date window with fewer entries than this is read by its created_at index and its page sorted
# (see `is_small_window`); a wider one is read by walking the ids, as the unfiltered log is.
SMALL_WINDOW = 50_000

# What the log calls fields that are not model fields (a customer's contacts and labels).
FIELD_NAMES = {**CONTACT_FIELDS, "text": _("text")}
# The page an object's link opens, by object type.
OBJECT_URLS = {
    "customers.customer": "customers:detail",
    "orders.order": "orders:detail",
    "exports.export": "exports:detail",
    "imports.import": "imports:detail",
}


def entries_for(company: Company, filters: dict) -> QuerySet[AuditEntry]:
    """The company's entries matching the activity log's filters (who, action, since, until)."""
    entries = AuditEntry.objects.filter(company=company)
    who = filters.get("who", "")
    if who.startswith("type:"):
        entries = entries.filter(actor_type=who.removeprefix("type:"))
    elif fits_an_id(who):
        entries = entries.filter(actor_id=int(who))
    if filters.get("action"):
        entries = entries.filter(action=filters["action"])
    zone = ZoneInfo(company.time_zone)
    if filters.get("since"):
        entries = entries.filter(created_at__gte=datetime.combine(filters["since"], time(), zone))
    if filters.get("until"):
        entries = entries.filter(created_at__lt=datetime.combine(filters["until"] + timedelta(days=1), time(), zone))
    return entries


def is_small_window(company: Company, filters: dict) -> bool:
    """Whether the filters' days hold fewer than SMALL_WINDOW of the company's entries (one count
    on `audit_created_idx`, stopped at SMALL_WINDOW). The planner expects a window's entries to be
    spread evenly over the ids, so it walks the primary key from the newest entry: for a week a
    year back that reads every newer entry first (1.2M of 2M in bench/activity_log.py)."""
    days = {key: filters[key] for key in ("since", "until") if filters.get(key)}
    if not days:
        return False
    # In the index's order, so that the planner reads the index rather than the table from its start.
    return entries_for(company, days).order_by("created_at")[:SMALL_WINDOW].count() < SMALL_WINDOW


def page_of(
    entries: QuerySet[AuditEntry],
    *,
    before: int | None = None,
    after: int | None = None,
    small_window: bool = False,
):
    """PAGE entries newest first: older than `before`, or the ones just newer than `after`.
    `small_window`: sort by `id + 0`, which no index gives, so the planner reads the window's
    entries by its date index and sorts them instead of walking the ids.
    Returns (entries, has_newer, has_older)."""
    key = F("id") + 0 if small_window else F("id")
    if after is not None:
        rows = list(entries.filter(id__gt=after).order_by(key.asc())[: PAGE + 1])
        has_newer = len(rows) > PAGE
        rows = rows[:PAGE][::-1]
        has_older = bool(rows) and entries.filter(id__lt=rows[-1].id).exists()
        return rows, has_newer, has_older
    if before is not None:
        entries = entries.filter(id__lt=before)
    rows = list(entries.order_by(key.desc())[: PAGE + 1])
    has_older = len(rows) > PAGE
    rows = rows[:PAGE]
    has_newer = before is not None and bool(rows)
    return rows, has_newer, has_older


def describe_entries(company: Company, entries: list[AuditEntry]) -> None:
    """Sets `object_text`, `object_url` and `change_rows` on each entry. Customers are shown by
    their name now (the log keeps none): one query for the page's customers."""
    customer_ids = {e.object_id for e in entries if e.object_type == "customers.customer" and e.object_id}
    customers = {
        pk: (name, erased)
        for pk, name, erased in Customer.objects.filter(company=company, pk__in=customer_ids).values_list(
            "pk", "full_name", "erased_at"
        )
    }
    for entry in entries:
        entry.object_text, entry.object_url = entry.object_label, None
        if entry.object_type == "customers.customer":
            name, erased = customers.get(entry.object_id, (None, None))
            if name is None:
                entry.object_text = _("customer #%(id)s (deleted)") % {"id": entry.object_id}
            elif erased:
                entry.object_text = _("customer #%(id)s (erased)") % {"id": entry.object_id}
            else:
                entry.object_text = name
        linkable = entry.object_type != "customers.customer" or entry.object_id in customers
        if entry.object_type in OBJECT_URLS and entry.object_id and entry.action not in DELETIONS and linkable:
            entry.object_url = reverse(OBJECT_URLS[entry.object_type], args=[entry.object_id])
        entry.change_rows = [_change_row(entry.object_type, change) for change in entry.changes]


DELETIONS = {AuditEntry.Action.CUSTOMER_DELETED}


def _change_row(object_type: str, change: dict) -> dict:
    return {
        "field": field_name(object_type, change.get("field", "")),
        "old": change.get("old"),
        "new": change.get("new"),
        "hidden": "old" not in change and "new" not in change,
    }


def field_name(object_type: str, name: str) -> str:
    """A changed field's name as the forms call it, in the reader's language."""
    if name in FIELD_NAMES:
        return str(FIELD_NAMES[name])
    try:
        model = apps.get_model(object_type) if object_type else None
        return str(model._meta.get_field(name).verbose_name) if model else name
    except (LookupError, ValueError, FieldDoesNotExist):
        return name
