"""Excel exports of customers: asked for in a request, built by a Celery worker, sent as a link."""

import logging
import tempfile
import uuid
from collections import defaultdict
from collections.abc import Iterable, Iterator
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.db import transaction
from django.db.models import F, QuerySet
from django.http import QueryDict
from django.template.loader import render_to_string
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from openpyxl import Workbook
from openpyxl.utils import get_column_letter

from audit.forms import ActivityFilterForm
from audit.models import AuditEntry
from audit.queries import SMALL_WINDOW, describe_entries, entries_for
from audit.services import Action, record
from companies.fields import fits_an_id
from companies.models import Company, Membership, User, has_role
from companies.tasks import send_email
from customers.models import Customer, CustomerEmail, CustomerLabel, CustomerPhone
from customers.services import list_columns
from exports import archive
from exports.columns import BY_KEY, COLUMNS, RECIPIENT_COLUMNS, CellWriter, Column, export_columns
from exports.models import LINK_LIFETIME, Export, export_storage
from segments.models import Segment
from segments.queries import audience_words, filter_of
from segments.services import choose_audience

logger = logging.getLogger(__name__)

CHUNK = 2000  # customers read, and rows written, between two progress updates
STALLED_AFTER = timedelta(minutes=10)  # without progress: the worker building it is gone
LOST_AFTER = timedelta(days=1)  # queued and never started: the queue lost it


class Cancelled(Exception):
    """The export stopped being ours while it was built (the stall sweeper failed it)."""


def can_export(company: Company, user) -> bool:
    return has_role(company, user, Membership.Role.ADMIN)


@transaction.atomic
def request_export(
    company: Company,
    *,
    user,
    audience: str,
    query: str = "",
    segment: Segment | int | None = None,
    ids: Iterable[int] = (),
) -> Export:
    """Records an export of one audience and queues it; the worker emails the link to `user`."""
    if not can_export(company, user):
        raise PermissionDenied(_("Only owners and admins can export customers."))
    if audience not in Export.LIST_AUDIENCES:  # the others are asked for on their own pages
        raise ValidationError(_("Choose what to export."))
    chosen = choose_audience(company, user=user, kind=audience, query=query, segment=segment, ids=ids)
    export = Export(
        company=company,
        requested_by=user,
        email=user.email,
        language=translation.get_language() or settings.LANGUAGE_CODE,
        audience=chosen.kind,
        query=chosen.query,
        ids=chosen.ids,
        segment=chosen.segment,
        description=chosen.description,
        columns=export_columns(list_columns(company, user)),
    )
    export.description = export.description[:500]
    export.save()
    _queue(export)
    _audit_request(export, user)
    return export


def _audit_request(export: Export, user, **details) -> None:
    record(
        export.company,
        actor=user,
        action=Action.EXPORT_REQUESTED,
        target=export,
        label=log_label(export),
        audience=export.audience,
        **details,
    )


def log_label(export: Export) -> str:
    """The export as the activity log names it: its description may hold a search for a person's
    name or phone, so a filter is named by its criteria only."""
    if export.audience == Export.Audience.FILTER:
        return audience_words(export.company, query=export.query)
    return export.description


def request_activity_export(company: Company, *, user, filters: dict) -> Export:
    """Queues the activity log's entries matching `filters` (the log page's) as a workbook."""
    if not can_export(company, user):
        raise PermissionDenied(_("Only owners and admins can export customers."))
    query = QueryDict(mutable=True)
    for key, value in filters.items():
        query[key] = value.isoformat() if hasattr(value, "isoformat") else str(value)
    words = activity_filter_words(filters)
    return _start_export(
        company,
        user,
        audience=Export.Audience.ACTIVITY,
        query=query.urlencode(),
        description=_("Activity log: %(filters)s") % {"filters": "; ".join(words)} if words else _("Activity log"),
    )


def activity_filter_words(filters: dict) -> list[str]:
    words = []
    who = filters.get("who", "")
    if who.startswith("type:"):
        words.append(str(dict(AuditEntry.ActorType.choices).get(who.removeprefix("type:"), who)))
    elif who:
        user = User.objects.filter(pk=who).first() if fits_an_id(who) else None
        words.append(user.email if user else who)
    if filters.get("action"):
        words.append(str(dict(AuditEntry.Action.choices).get(filters["action"], filters["action"])))
    if filters.get("since"):
        words.append(_("from %(date)s") % {"date": formats.date_format(filters["since"], "SHORT_DATE_FORMAT")})
    if filters.get("until"):
        words.append(_("to %(date)s") % {"date": formats.date_format(filters["until"], "SHORT_DATE_FORMAT")})
    return words


def record_download(company: Company, *, export: Export, user) -> None:
    """Who took the file away, and when: every download of an export is in the activity log."""
    record(
        company,
        actor=user,
        action=Action.EXPORT_DOWNLOADED,
        target=export,
        label=log_label(export),
        audience=export.audience,
        rows=export.rows_written,
    )


def can_take_archive(company: Company, user) -> bool:
    return has_role(company, user, Membership.Role.OWNER)


@transaction.atomic
def request_archive(company: Company, *, user) -> Export:
    """Queues a zip of all the company's data (data portability); the worker emails the link."""
    if not can_take_archive(company, user):
        raise PermissionDenied(_("Only owners can download all the company's data."))
    return _start_export(
        company,
        user,
        audience=Export.Audience.ARCHIVE,
        columns=[column.key for column in COLUMNS],
        description=_("All company data: customers, contacts, labels, notes, orders, catalog, segments and history"),
    )


def _start_export(company: Company, user, *, description: str, **fields) -> Export:
    """Records an export for `user` (the link goes to their email, in their language), queues it
    and writes the activity log, in one transaction."""
    with transaction.atomic():
        export = Export.objects.create(
            company=company,
            requested_by=user,
            email=user.email,
            language=translation.get_language() or settings.LANGUAGE_CODE,
            description=description[:500],
            **fields,
        )
        _queue(export)
        _audit_request(export, user)
    return export


def _queue(export: Export) -> None:
    from exports.tasks import build_export  # tasks import this module

    company_id, export_id = export.company_id, export.pk
    transaction.on_commit(lambda: build_export.delay(company_id, export_id))


@transaction.atomic
def retry_export(company: Company, *, export: Export, user) -> Export:
    """Queues a failed export again, as it was asked for."""
    if not (can_take_archive if export.is_archive else can_export)(company, user):
        raise PermissionDenied(_("Only owners and admins can export customers."))
    retried = Export.objects.filter(company=company, pk=export.pk, status=Export.Status.FAILED).update(
        status=Export.Status.PENDING, rows_written=0, rows_total=None, error="", finished_at=None
    )
    if not retried:
        raise ValidationError(_("Only a failed export can be retried."))
    export.refresh_from_db()
    _queue(export)
    _audit_request(export, user, retried=True)
    return export


def request_campaign_export(company: Company, *, user, campaign_id: int, status: str, description: str) -> Export:
    """Queues a campaign's recipients (those with `status`, or all) as a workbook: the customers
    with the message each was sent, its status and when it went."""
    if not can_export(company, user):
        raise PermissionDenied(_("Only owners and admins can export customers."))
    query = QueryDict(mutable=True)
    query["campaign"] = str(campaign_id)
    if status:
        query["status"] = status
    return _start_export(
        company,
        user,
        audience=Export.Audience.CAMPAIGN,
        query=query.urlencode(),
        description=description,
        columns=[*RECIPIENT_COLUMNS, *export_columns(list_columns(company, user))],
    )


def _campaign_messages(company: Company, export: Export):
    """The export's campaign messages, read through the customers' `messages` relation (the
    messaging app sits above this one and is not imported)."""
    query = QueryDict(export.query)
    messages = Customer.messages.rel.related_model.objects.filter(company=company, campaign_id=query.get("campaign"))
    if query.get("status"):
        messages = messages.filter(status__in=SENDING_TOO.get(query["status"], [query["status"]]))
    return messages


SENDING_TOO = {"created": ["created", "sending"]}  # "waiting" includes what a worker has in hand


def export_queryset(company: Company, export: Export) -> QuerySet[Customer]:
    """The export's customers: the audience as it was asked for, evaluated now."""
    if export.audience == Export.Audience.CAMPAIGN:
        ids = _campaign_messages(company, export).values("customer_id")
        return Customer.objects.filter(company=company, pk__in=ids)
    if export.audience == Export.Audience.SELECTION:
        return Customer.objects.filter(company=company, pk__in=export.ids)
    if export.audience in (Export.Audience.ALL, Export.Audience.ARCHIVE):
        return Customer.objects.filter(company=company)
    return filter_of(company, export.query).qs


def build_export(company: Company, export_id: int) -> None:
    """Claims a queued export, writes its workbook, stores it and emails the link.

    Any error leaves the export failed with the reason; a worker that dies leaves it running
    without progress, which `fail_stalled_exports` turns into a failure."""
    now = timezone.now()
    claimed = Export.objects.filter(company=company, pk=export_id, status=Export.Status.PENDING).update(
        status=Export.Status.RUNNING, started_at=now, heartbeat_at=now, attempts=F("attempts") + 1
    )
    if not claimed:
        return
    export = Export.objects.get(company=company, pk=export_id)
    try:
        with translation.override(export.language), tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / export.download_name
            writer = _write_archive if export.is_archive else _write_activity if export.is_activity else _write_workbook
            writer(company, export, path)
            with path.open("rb") as file:
                name = export_storage().save(f"{company.pk}/{uuid.uuid4().hex}{path.suffix}", File(file))
    except Cancelled:
        return
    except Exception as error:
        logger.exception("export %s failed", export_id)
        _finish(export, status=Export.Status.FAILED, error=_failure(error))
        return
    size = export_storage().size(name)
    expires_at = timezone.now() + LINK_LIFETIME
    if not _finish(export, status=Export.Status.DONE, file_name=name, size=size, expires_at=expires_at):
        export_storage().delete(name)  # failed by the sweeper meanwhile
        return
    export.refresh_from_db()
    _send_link(export)


def _failure(error: Exception) -> str:
    if isinstance(error, OSError):
        return _("The file could not be written: %(error)s") % {"error": error.strerror or error}
    return _("The export stopped with an error (%(error)s). Retry it; if it fails again, tell support.") % {
        "error": type(error).__name__
    }


def _finish(export: Export, *, status: str, **fields) -> bool:
    return bool(
        Export.objects.filter(company_id=export.company_id, pk=export.pk, status=Export.Status.RUNNING).update(
            status=status, finished_at=timezone.now(), **fields
        )
    )


def _progress(export: Export, **fields) -> None:
    moved = Export.objects.filter(company_id=export.company_id, pk=export.pk, status=Export.Status.RUNNING).update(
        heartbeat_at=timezone.now(), **fields
    )
    if not moved:
        raise Cancelled


ACTIVITY_COLUMNS = [
    Column("when", _("When"), "datetime", 17, lambda entry: entry.created_at),
    Column("who", _("Who"), "text", 28, lambda entry: entry.who),
    Column("action", _("Action"), "text", 28, lambda entry: entry.get_action_display()),
    Column("object", _("Object"), "text", 30, lambda entry: entry.object_text),
    Column("changes", _("Changes"), "text", 40, lambda entry: _changes_text(entry)),
    Column("details", _("Details"), "text", 30, lambda entry: _details_text(entry)),
    Column("address", _("Address"), "text", 16, lambda entry: entry.ip_address or ""),
]


def _changes_text(entry) -> str:
    return "; ".join(
        row["field"] if row["hidden"] else f"{row['field']}: {row['old'] or '—'} → {row['new'] or '—'}"
        for row in entry.change_rows
    )


def _details_text(entry) -> str:
    return ", ".join(f"{key}: {value}" for key, value in entry.details.items() if value not in ("", None))


def _write_activity(company: Company, export: Export, path: Path) -> None:
    """The activity log's entries the export's filters match, newest first, CHUNK at a time; past
    a sheet's rows (EXPORT_SHEET_ROWS) on a next sheet, as the customer export does."""
    members = User.objects.filter(memberships__company=company)
    filters = ActivityFilterForm(QueryDict(export.query), members=members).valid_data()
    entries = entries_for(company, filters)
    total = entries.count()
    _progress(export, rows_total=total)
    # A narrow window of days is read by its date index and sorted (see audit.queries.page_of).
    key = F("id") + 0 if total < SMALL_WINDOW and ("since" in filters or "until" in filters) else F("id")
    workbook = Workbook(write_only=True)
    sheet_rows = settings.EXPORT_SHEET_ROWS
    sheet, cells, in_sheet, written, last = None, None, 0, 0, None
    while True:
        page = entries if last is None else entries.filter(id__lt=last)
        chunk = list(page.order_by(key.desc())[:CHUNK])
        if not chunk:
            break
        describe_entries(company, chunk)
        for entry in chunk:
            if sheet is None or in_sheet == sheet_rows:
                sheet, cells = _new_sheet(workbook, ACTIVITY_COLUMNS, _activity_title, company)
                in_sheet = 0
            sheet.append([cells.cell(column, column.value(entry)) for column in ACTIVITY_COLUMNS])
            in_sheet += 1
        written += len(chunk)
        last = chunk[-1].id
        _progress(export, rows_written=written)
    if sheet is None:  # nothing matched: the file still has its header
        _new_sheet(workbook, ACTIVITY_COLUMNS, _activity_title, company)
    workbook.save(path)


def _write_archive(company: Company, export: Export, path: Path) -> None:
    """The zip: the customers' workbook, every table as JSON Lines, and a README."""
    total = export_queryset(company, export).count() + archive.rows_to_write(company)
    _progress(export, rows_total=total)
    with tempfile.TemporaryDirectory() as folder:
        workbook = Path(folder) / "customers.xlsx"
        written = _write_workbook(company, export, workbook, counted=True)
        with archive.open_archive(path) as zipped:
            zipped.write(workbook, "customers.xlsx")

            def progress(rows: int) -> None:
                nonlocal written
                written += rows
                _progress(export, rows_written=written)

            archive.write_tables(company, zipped, progress)
            archive.write_readme(company, zipped)


def _write_workbook(company: Company, export: Export, path: Path, *, counted: bool = False) -> int:
    """Writes the customers' workbook; returns how many rows. `counted`: the total is set already."""
    columns = [BY_KEY[key] for key in export.columns if key in BY_KEY]
    queryset = export_queryset(company, export)
    if not counted:
        _progress(export, rows_total=queryset.count())
    workbook = Workbook(write_only=True)
    cells = None
    sheet_rows = settings.EXPORT_SHEET_ROWS
    sheet, in_sheet, written = None, 0, 0
    for customers in _chunks(company, queryset):
        if export.audience == Export.Audience.CAMPAIGN:
            _attach_messages(company, export, customers)
        for customer in customers:
            if sheet is None or in_sheet == sheet_rows:
                sheet, cells = _new_sheet(workbook, columns, _customers_title, company)
                in_sheet = 0
            sheet.append([cells.cell(column, column.value(customer)) for column in columns])
            in_sheet += 1
        written += len(customers)
        _progress(export, rows_written=written)
    if sheet is None:  # nobody matched: the file still has its header
        _new_sheet(workbook, columns, _customers_title, company)
    workbook.save(path)
    return written


def _attach_messages(company: Company, export: Export, customers: list[Customer]) -> None:
    """Each customer's message of the campaign, as `recipient`: one query a chunk."""
    messages = _campaign_messages(company, export)
    labels = dict(messages.model.Status.choices)
    found = {
        customer_id: {"address": address, "status": str(labels.get(status, status)), "sent_at": sent_at, "error": error}
        for customer_id, address, status, sent_at, error in messages.filter(
            customer_id__in=[customer.pk for customer in customers]
        ).values_list("customer_id", "address", "status", "sent_at", "error")
    }
    empty = {"address": "", "status": "", "sent_at": None, "error": ""}
    for customer in customers:
        customer.recipient = found.get(customer.pk, empty)


def _customers_title(number: int) -> str:
    return _("Customers") if number == 1 else _("Customers (%(number)s)") % {"number": number}


def _activity_title(number: int) -> str:
    return _("Activity log") if number == 1 else _("Activity log (%(number)s)") % {"number": number}


def _new_sheet(workbook: Workbook, columns: list[Column], title, company: Company) -> tuple:
    """The workbook's next sheet, titled `title(its number)`, with the columns' widths and a frozen
    header row in the export's language; returns it and its cell writer."""
    sheet = workbook.create_sheet(str(title(len(workbook.worksheets) + 1))[:31])
    sheet.freeze_panes = "A2"
    for index, column in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    cells = CellWriter(sheet, ZoneInfo(company.time_zone), company.base_currency)
    sheet.append(cells.header(columns))
    return sheet, cells


def _chunks(company: Company, queryset: QuerySet[Customer]) -> Iterator[list[Customer]]:
    """The customers newest first, CHUNK at a time by keyset on the id, each with its contacts
    and label names attached: five queries a chunk, whatever its size."""
    last = None
    while True:
        page = queryset.order_by("-pk")
        if last is not None:
            page = page.filter(pk__lt=last)
        customers = list(page[:CHUNK])
        if not customers:
            return
        ids = [customer.pk for customer in customers]
        phones, emails, labels = defaultdict(list), defaultdict(list), defaultdict(list)
        for customer_id, number in (
            CustomerPhone.objects.filter(company=company, customer_id__in=ids)
            .order_by("customer_id", "position", "pk")
            .values_list("customer_id", "number")
        ):
            phones[customer_id].append(number)
        for customer_id, email in (
            CustomerEmail.objects.filter(company=company, customer_id__in=ids)
            .order_by("customer_id", "position", "pk")
            .values_list("customer_id", "email")
        ):
            emails[customer_id].append(email)
        for customer_id, name in (
            CustomerLabel.objects.filter(company=company, customer_id__in=ids)
            .order_by("label__name")
            .values_list("customer_id", "label__name")
        ):
            labels[customer_id].append(name)
        for customer in customers:
            customer.phone_numbers = phones[customer.pk]
            customer.email_addresses = emails[customer.pk]
            customer.label_names = labels[customer.pk]
        yield customers
        last = customers[-1].pk


def _send_link(export: Export) -> None:
    with translation.override(export.language), timezone.override(ZoneInfo(export.company.time_zone)):
        context = {"export": export, "url": settings.SITE_URL + export.get_download_url()}
        if export.is_archive:
            subject = _("Your company data is ready")
        elif export.is_activity:
            subject = _("Your activity log export is ready")
        else:
            subject = _("Your customer export is ready")
        body = render_to_string("exports/email/ready.txt", context)
        html_body = render_to_string("exports/email/ready.html", context)
    send_email.delay(subject=str(subject), body=body, html_body=html_body, to=[export.email])


def fail_stalled_exports() -> int:
    """Exports whose worker stopped reporting progress (killed, out of memory, lost), or that no
    worker took for a day: failed, with the reason in their requester's language, so that they
    can be retried. Returns how many."""
    now = timezone.now()
    stalled = Export.objects.filter(status=Export.Status.RUNNING, heartbeat_at__lt=now - STALLED_AFTER)
    lost = Export.objects.filter(status=Export.Status.PENDING, created_at__lt=now - LOST_AFTER)
    count = 0
    for queryset, reason in (
        (stalled, gettext_noop("The worker building this export stopped before it was done. Retry it.")),
        (lost, gettext_noop("No worker took this export for a day. Retry it when the workers are running.")),
    ):
        for export in queryset.only("pk", "language", "status"):
            with translation.override(export.language):
                error = _(reason)
            count += Export.objects.filter(pk=export.pk, status=export.status).update(
                status=Export.Status.FAILED, error=error, finished_at=now
            )
    return count


def delete_expired_exports() -> int:
    """Deletes the files of exports whose link expired; the log keeps the row. Returns how many."""
    expired = Export.objects.filter(status=Export.Status.DONE, expires_at__lte=timezone.now())
    count = 0
    for export in expired.only("pk", "file_name"):
        if export.file_name:
            export_storage().delete(export.file_name)
        Export.objects.filter(pk=export.pk).update(status=Export.Status.EXPIRED, file_name="")
        count += 1
    return count
