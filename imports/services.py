"""Excel import: upload → mapping → validation report → confirm → apply → (undo).

Validation and application run in Celery tasks over the stored file, reporting progress on the
Import row. Each row is applied in its own transaction through `find_or_create_customer`, so a row
that fails never leaves a half-created customer, and whatever a row changed is recorded
(`ImportChange`) so that the whole import can be undone.
"""

import logging
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from openpyxl import Workbook

from audit.context import summarized
from audit.services import Action, record
from companies.formats import format_number
from companies.models import Company
from customers.models import Customer, CustomerEmail, CustomerLabel, CustomerPhone, Label
from customers.services import (
    NewCustomer,
    add_label,
    change_fields,
    contact_owners,
    create_label,
    erased_contacts,
    find_or_create_customer,
    insert_new_customers,
    remove_label,
)
from exports.columns import CellWriter, Column
from exports.models import export_storage
from exports.services import STALLED_AFTER, can_export
from imports.importing import (
    MODEL_FIELDS,
    PREVIEW_ROWS,
    ParsedRow,
    RowParser,
    cell_text,
    check_mapping,
    guess_mapping,
    headers_key,
    is_empty,
)
from imports.models import Import, ImportChange, ImportIssue, ImportMapping
from imports.xlsx import check_workbook, read_rows

logger = logging.getLogger(__name__)

CHUNK = 500  # rows between two progress updates (and one lookup of existing contacts)
NEW_LABEL_COLOR = "#6c757d"  # labels an import names that the company does not have yet
# Created customers after which the planner statistics are refreshed (then after twice as many).
ANALYZE_AFTER = 1000
GROWN_TABLES = (Customer, CustomerPhone, CustomerEmail, CustomerLabel, ImportChange)


def _require_admin(company: Company, user) -> None:
    if not can_export(company, user):
        raise PermissionDenied(_("Only owners and admins can import customers."))


# Upload and mapping ------------------------------------------------------------------------------


@transaction.atomic
def upload_import(company: Company, *, user, upload) -> Import:
    """Checks and stores an uploaded workbook and reads its header and first rows for the mapping."""
    _require_admin(company, user)
    limit = settings.IMPORT_LIMITS["file_bytes"]
    if upload.size > limit:
        from django.template.defaultfilters import filesizeformat

        raise ValidationError(
            _("The file is larger than %(limit)s; split it into smaller files.") % {"limit": filesizeformat(limit)}
        )
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "upload.xlsx"
        with path.open("wb") as target:
            for chunk in upload.chunks():
                target.write(chunk)
        check_workbook(path)
        sheet, rows = read_rows(path)
        header, preview = None, []
        for row in rows:
            if is_empty(row):
                continue
            if header is None:
                header = [cell_text(value).strip() for value in row]
                continue
            preview.append([cell_text(value)[:100] for value in row])
            if len(preview) == PREVIEW_ROWS:
                break
        rows.close()
        if not header:
            raise ValidationError(_("The first sheet is empty."))
        while header and not header[-1]:
            header.pop()
        with path.open("rb") as file:
            name = export_storage().save(f"imports/{company.pk}/{uuid.uuid4().hex}.xlsx", File(file))
    remembered = ImportMapping.objects.filter(company=company, headers_key=headers_key(header)).first()
    mapping = remembered.mapping if remembered and len(remembered.mapping) == len(header) else guess_mapping(header)
    source = Import.objects.create(
        company=company,
        requested_by=user,
        language=translation.get_language() or settings.LANGUAGE_CODE,
        original_name=(getattr(upload, "name", "") or "upload.xlsx")[:255],
        file_name=name,
        size=upload.size,
        sheet=sheet[:31],
        headers=header,
        preview=[row[: len(header)] + [""] * (len(header) - len(row)) for row in preview],
        mapping=mapping,
    )
    record(company, actor=user, action=Action.IMPORT_UPLOADED, target=source, label=source.original_name)
    return source


@transaction.atomic
def start_validation(
    company: Company, *, source: Import, user, mapping: list[str], update_existing: bool, on_error: str
) -> Import:
    """Saves the mapping (remembered for the next file with these headers) and queues the check."""
    _require_admin(company, user)
    source = Import.objects.select_for_update().get(company=company, pk=source.pk)
    if source.status not in (Import.Status.MAPPING, Import.Status.VALIDATED):
        raise ValidationError(_("This import is already past its mapping."))
    mapping = (list(mapping) + [""] * len(source.headers))[: len(source.headers)]
    check_mapping(mapping)
    ImportMapping.objects.update_or_create(
        company=company, headers_key=headers_key(source.headers), defaults={"mapping": mapping}
    )
    source.issues.all().delete()
    fields = {"mapping": mapping, "update_existing": update_existing, "on_error": on_error}
    _restart(source, Import.Status.VALIDATING, **fields)
    _queue("validate_import", source)
    return source


def _restart(source: Import, status: str, **fields) -> None:
    counters = dict.fromkeys(("rows_done", "to_create", "to_update", "rejected", "empty_rows"), 0)
    values = {"status": status, "rows_total": None, "error": "", "heartbeat_at": timezone.now(), **counters, **fields}
    for name, value in values.items():
        setattr(source, name, value)
    source.save()


def _queue(task_name: str, source: Import) -> None:
    from imports import tasks  # tasks import this module

    task = getattr(tasks, task_name)
    company_id, import_id = source.company_id, source.pk
    transaction.on_commit(lambda: task.delay(company_id, import_id))


@transaction.atomic
def confirm_import(company: Company, *, source: Import, user) -> Import:
    _require_admin(company, user)
    source = Import.objects.select_for_update().get(company=company, pk=source.pk)
    if source.status != Import.Status.VALIDATED:
        raise ValidationError(_("Only a checked import can be confirmed."))
    if source.rejected and source.on_error == Import.OnError.STOP:
        raise ValidationError(
            _("%(count)s rows are bad and you chose to import nothing while any row is bad.")
            % {"count": format_number(source.rejected)}
        )
    source.status, source.rows_done, source.heartbeat_at = Import.Status.APPLYING, 0, timezone.now()
    source.save(update_fields=["status", "rows_done", "heartbeat_at"])
    _queue("apply_import", source)
    record(
        company,
        actor=user,
        action=Action.IMPORT_CONFIRMED,
        target=source,
        label=source.original_name,
        to_create=source.to_create,
        to_update=source.to_update,
        rejected=source.rejected,
    )
    return source


# Reading the stored file ------------------------------------------------------------------------


@contextmanager
def _stored_rows(source: Import) -> Iterator[Iterator[tuple[int, tuple]]]:
    """The data rows of the stored file with their sheet row numbers (the header is row 1 of the
    non-empty rows); empty rows come as None."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "import.xlsx"
        with export_storage().open(source.file_name, "rb") as stored, path.open("wb") as local:
            shutil.copyfileobj(stored, local)
        check_workbook(path)
        _sheet, rows = read_rows(path)

        def numbered():
            header_seen = False
            for number, row in enumerate(rows, start=1):
                if not header_seen:
                    header_seen = not is_empty(row)
                    continue
                yield number, (None if is_empty(row) else row)

        try:
            yield numbered()
        finally:
            rows.close()


def _parsed_chunks(company: Company, source: Import) -> Iterator[tuple[list[ParsedRow], int]]:
    """Parsed rows CHUNK at a time, with the count of empty rows met; refuses files over the limit."""
    parser = RowParser(company, source.mapping)
    limit = settings.IMPORT_LIMITS["rows"]
    with _stored_rows(source) as rows:
        chunk, empty, seen = [], 0, 0
        for number, row in rows:
            if row is None:
                empty += 1
                continue
            seen += 1
            if seen > limit:
                raise ValidationError(
                    _("The file has more than %(limit)s rows; split it into smaller files.") % {"limit": limit}
                )
            chunk.append(parser.parse(number, row))
            if len(chunk) == CHUNK:
                yield chunk, empty
                chunk, empty = [], 0
        yield chunk, empty


def _owners(company: Company, rows: list[ParsedRow]) -> tuple[dict[str, int], dict[str, int]]:
    return contact_owners(
        company, {phone for row in rows for phone in row.phones}, {email for row in rows for email in row.emails}
    )


def _refuse_erased(company: Company, rows: list[ParsedRow]) -> None:
    erased = erased_contacts(
        company, [phone for row in rows for phone in row.phones], [email for row in rows for email in row.emails]
    )
    blocked = set(erased.get("phones", ())) | set(erased.get("emails", ()))
    for row in rows:
        hit = [contact for contact in (*row.phones, *row.emails) if contact in blocked]
        if hit:
            row.errors.append(
                _("%(contact)s belongs to a customer whose data was erased on request; it is not imported again.")
                % {"contact": hit[0]}
            )


def _issue(company: Company, source: Import, row: ParsedRow) -> ImportIssue:
    return ImportIssue(company=company, source=source, row=row.number, reason="; ".join(row.errors))


# Validation, application and undo: the bodies of the Celery tasks ---------------------------------

STEPS = {}  # status → the step that works on an import in that status


def run_step(company: Company, import_id: int, status: str) -> None:
    """Runs the step for an import still in `status`, in the language of whoever uploaded it."""
    source = Import.objects.select_related("requested_by").get(company=company, pk=import_id)
    if source.status != status:
        return  # already done, or failed by the stall sweeper
    # The activity log has the import's confirmation or undo as one entry, not one per row.
    with translation.override(source.language), summarized():
        try:
            STEPS[status](company, source)
        except Stopped:
            return  # failed meanwhile by the stall sweeper: nothing more to say
        except ValidationError as error:  # the stored file can no longer be read, or the like
            _fail(source, status, " ".join(error.messages))
        except Exception as error:
            logger.exception("import %s: the %s step failed", source.pk, status)
            _fail(source, status, _unexpected(error))
    _record_outcome(company, source.pk)


def _record_outcome(company: Company, import_id: int) -> None:
    """One entry when an import's rows are applied or undone, with what it did."""
    source = Import.objects.get(company=company, pk=import_id)
    label = source.original_name
    if source.status == Import.Status.DONE:
        counts = {"created": source.created, "updated": source.updated, "rejected": source.rejected}
        record(company, actor=None, action=Action.IMPORT_APPLIED, target=source, label=label, **counts)
    elif source.status == Import.Status.UNDONE:
        kept = len(source.undo_conflicts or [])
        record(company, actor=None, action=Action.IMPORT_UNDONE, target=source, label=label, kept=kept)


def validate_import(company: Company, import_id: int) -> None:
    run_step(company, import_id, Import.Status.VALIDATING)


def apply_import(company: Company, import_id: int) -> None:
    run_step(company, import_id, Import.Status.APPLYING)


def undo_import(company: Company, import_id: int) -> None:
    run_step(company, import_id, Import.Status.UNDOING)


def _validate_import(company: Company, source: Import) -> None:
    """Checks every row: how many would be created, updated, and which are rejected and why."""
    known: dict[str, str] = {}  # a contact of a row that creates a customer → "new"
    counts = {"to_create": 0, "to_update": 0, "rejected": 0, "empty_rows": 0, "rows_done": 0}
    for rows, empty in _parsed_chunks(company, source):
        _refuse_erased(company, rows)
        phone_owner, email_owner = _owners(company, rows)
        issues = []
        for row in rows:
            if not row.ok:
                counts["rejected"] += 1
                issues.append(_issue(company, source, row))
                continue
            contacts = [*row.phones, *row.emails]
            exists = any(c in phone_owner or c in email_owner or c in known for c in contacts)
            counts["to_update" if exists else "to_create"] += 1
            for contact in contacts:
                known[contact] = "new"
        ImportIssue.objects.bulk_create(issues)
        counts["empty_rows"] += empty
        counts["rows_done"] += len(rows)
        _progress(source, Import.Status.VALIDATING, **counts)
    Import.objects.filter(pk=source.pk, status=Import.Status.VALIDATING).update(
        status=Import.Status.VALIDATED, rows_total=counts["rows_done"], heartbeat_at=timezone.now()
    )


class Stopped(Exception):
    """The import is no longer in the state this task works on (the stall sweeper failed it)."""


def _progress(source: Import, status: str, **fields) -> None:
    moved = Import.objects.filter(pk=source.pk, status=status).update(heartbeat_at=timezone.now(), **fields)
    if not moved:
        raise Stopped


def _fail(source: Import, status: str, message: str) -> None:
    Import.objects.filter(pk=source.pk, status=status).update(
        status=Import.Status.FAILED, error=message, finished_at=timezone.now()
    )


def _unexpected(error: Exception) -> str:
    return _("The import stopped with an error (%(error)s). Try again; if it fails again, tell support.") % {
        "error": type(error).__name__
    }


# Applying ------------------------------------------------------------------------------------------


def _labels_by_name(company: Company) -> dict[str, Label]:
    return {label.name.casefold(): label for label in Label.objects.filter(company=company)}


def _apply_import(company: Company, source: Import) -> None:
    """Creates or updates the customer of every valid row. A chunk of rows is one transaction
    (committed with its progress, so a dead worker leaves whole chunks). Rows whose contacts are
    new are created together; every other row goes through find_or_create_customer in a
    savepoint of its own: a row that fails is rolled back alone and reported."""
    labels = _labels_by_name(company)
    counts = {"created": 0, "updated": 0, "unchanged": 0, "rejected": source.rejected, "rows_done": 0}
    seen: set[str] = set()  # contacts of the rows before: a later row with one of them is the same person
    analyze_at = ANALYZE_AFTER
    for rows, _empty in _parsed_chunks(company, source):
        if counts["created"] >= analyze_at:
            _refresh_statistics()
            analyze_at = 2 * counts["created"]
        _refuse_erased(company, rows)
        with transaction.atomic():
            issues = []
            valid = [row for row in rows if row.ok]  # the others are reported by the validation
            fresh = _fresh(company, valid, seen)
            if fresh and _create_fresh(company, fresh, labels, source):
                counts["created"] += len(fresh)
                valid = [row for row in valid if row not in fresh]
            else:
                labels = _labels_by_name(company)
            for row in valid:
                try:
                    with transaction.atomic():
                        outcome = _apply_row(company, source, row, labels)
                except ValidationError as error:
                    # The row's savepoint is gone, with any label it created.
                    labels = _labels_by_name(company)
                    row.errors.append(" ".join(error.messages))
                    issues.append(_issue(company, source, row))
                    counts["rejected"] += 1
                    continue
                counts[outcome] += 1
            ImportIssue.objects.bulk_create(issues)
            counts["rows_done"] += len(rows)
            _progress(source, Import.Status.APPLYING, **counts)
    Import.objects.filter(pk=source.pk, status=Import.Status.APPLYING).update(
        status=Import.Status.DONE, finished_at=timezone.now()
    )


def _refresh_statistics() -> None:
    """Analyzes the company column of the tables an import grows. Until autovacuum next analyzes
    a table (after a tenth of it has changed), PostgreSQL believes a new company has no rows, so it
    finds a customer of that company by id through the company index, walking every row the
    import has created so far: each row of a 100,000-row import got slower than the one before.
    About 0.15 s a table at a million customers, a handful of times per import."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for model in GROWN_TABLES:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)} (company_id)")


def _fresh(company: Company, rows: list[ParsedRow], seen: set[str]) -> list[ParsedRow]:
    """The rows whose contacts belong to nobody yet, in the company or in an earlier row: what
    find_or_create_customer would create. Marks every row's contacts as seen."""
    phone_owner, email_owner = _owners(company, rows)
    fresh = []
    for row in rows:
        contacts = [*row.phones, *row.emails]
        if not any(contact in seen or contact in phone_owner or contact in email_owner for contact in contacts):
            fresh.append(row)
        seen.update(contacts)
    return fresh


def _create_fresh(company: Company, rows: list[ParsedRow], labels: dict[str, Label], source: Import) -> bool:
    """Creates the customers of fresh rows in a few INSERTs instead of a dozen queries a row.
    False (nothing written) if a contact was taken meanwhile: the rows then go one by one."""
    try:
        with transaction.atomic():
            customers = insert_new_customers(
                company,
                [
                    NewCustomer(
                        row.name,
                        row.phones,
                        row.emails,
                        {key: value for key, value in row.values.items() if key in MODEL_FIELDS},
                    )
                    for row in rows
                ],
                source=Customer.Channel.IMPORT,
            )
            links = []
            for row, customer in zip(rows, customers, strict=True):
                for name in row.labels:
                    if name.casefold() not in labels:
                        labels[name.casefold()] = create_label(
                            company, name=name, color=NEW_LABEL_COLOR, actor=source.requested_by
                        )
                    links.append(CustomerLabel(company=company, customer=customer, label=labels[name.casefold()]))
            CustomerLabel.objects.bulk_create(links)
            ImportChange.objects.bulk_create(
                ImportChange(company=company, source=source, customer=customer, created=True) for customer in customers
            )
    except (IntegrityError, ValidationError):
        return False
    return True


def _match(company: Company, row: ParsedRow) -> int | None:
    for customer_id in CustomerPhone.objects.filter(company=company, number__in=row.phones).values_list(
        "customer_id", flat=True
    ):
        return customer_id
    return (
        CustomerEmail.objects.filter(company=company, email__in=row.emails)
        .values_list("customer_id", flat=True)
        .first()
    )


def _apply_row(company: Company, source: Import, row: ParsedRow, labels: dict[str, Label]) -> str:
    actor = source.requested_by
    existing = _match(company, row)
    if existing and not source.update_existing:
        return "unchanged"
    before_phones, before_emails = set(), set()
    if existing:
        before_phones = set(CustomerPhone.objects.filter(customer_id=existing).values_list("number", flat=True))
        before_emails = set(CustomerEmail.objects.filter(customer_id=existing).values_list("email", flat=True))
    customer, created = find_or_create_customer(
        company, name=row.name, phones=row.phones, emails=row.emails, source=Customer.Channel.IMPORT
    )
    values = {name: value for name, value in row.values.items() if name in MODEL_FIELDS}
    if row.name and not created:
        values["full_name"] = row.name
    previous = {name: _as_text(getattr(customer, name)) for name in values}
    changed = {name: value for name, value in values.items() if previous[name] != _as_text(value)}
    if changed and created:
        # A card made a moment ago, with values RowParser already checked: no history to keep.
        Customer.objects.filter(pk=customer.pk).update(**changed)
        for name, value in changed.items():
            setattr(customer, name, value)
    elif changed:
        customer = change_fields(company, customer, actor, **changed)
    added_labels = []
    for name in row.labels:
        label = labels.get(name.casefold())
        if label is None:
            label = create_label(company, name=name, color=NEW_LABEL_COLOR, actor=actor)
            labels[name.casefold()] = label
        if add_label(company, label=label, customers=Customer.objects.filter(pk=customer.pk), actor=actor):
            added_labels.append(label.pk)
    added_phones = [] if created else [p for p in row.phones if p not in before_phones]
    added_emails = [] if created else [e for e in row.emails if e not in before_emails]
    added_phones = list(
        CustomerPhone.objects.filter(customer=customer, number__in=added_phones).values_list("number", flat=True)
    )
    added_emails = list(
        CustomerEmail.objects.filter(customer=customer, email__in=added_emails).values_list("email", flat=True)
    )
    if not created and not changed and not added_labels and not added_phones and not added_emails:
        return "unchanged"
    ImportChange.objects.create(
        company=company,
        source=source,
        customer=customer,
        created=created,
        previous={name: previous[name] for name in changed},
        applied={name: _as_text(getattr(customer, name)) for name in changed},
        added_phones=added_phones,
        added_emails=added_emails,
        added_labels=added_labels,
    )
    return "created" if created else "updated"


def _as_text(value) -> str:
    return "" if value is None else str(value)


# Undo ------------------------------------------------------------------------------------------------


@transaction.atomic
def start_undo(company: Company, *, source: Import, user) -> Import:
    _require_admin(company, user)
    source = Import.objects.select_for_update().get(company=company, pk=source.pk)
    if source.status != Import.Status.DONE and not (source.status == Import.Status.FAILED and source.changes.exists()):
        raise ValidationError(_("Only a finished import can be undone."))
    source.status, source.rows_done, source.heartbeat_at = Import.Status.UNDOING, 0, timezone.now()
    source.rows_total = source.changes.count()
    source.save(update_fields=["status", "rows_done", "rows_total", "heartbeat_at"])
    _queue("undo_import", source)
    record(
        company,
        actor=user,
        action=Action.IMPORT_UNDO_STARTED,
        target=source,
        label=source.original_name,
        changes_to_undo=source.rows_total,
    )
    return source


def _undo_import(company: Company, source: Import) -> None:
    """Removes the customers the import created and puts back the values it changed, except where
    someone changed them since: those are listed on the import, not overwritten."""
    conflicts, done = [], 0
    # Customers someone touched after the import finished, decided once, before undoing moves them.
    touched = set(
        Customer.objects.filter(
            company=company, pk__in=source.changes.values("customer_id"), updated_at__gt=source.finished_at
        ).values_list("pk", flat=True)
    )
    changes = ImportChange.objects.filter(company=company, source=source)
    # What rows did to customers that were there before, newest first, one customer at a time.
    for change in changes.filter(created=False).order_by("-pk").iterator(chunk_size=CHUNK):
        with transaction.atomic():
            conflict = _undo_change(company, source, change, touched)
        if conflict:
            conflicts.append(conflict)
        done += 1
        if done % CHUNK == 0:
            _progress(source, Import.Status.UNDOING, rows_done=done)
    # Then the customers it created, CHUNK at a time, unless they have orders or were edited.
    created = list(changes.filter(created=True).order_by("pk").values_list("customer_id", flat=True))
    for start in range(0, len(created), CHUNK):
        batch = created[start : start + CHUNK]
        with transaction.atomic():
            customers = Customer.objects.filter(company=company, pk__in=batch)
            for customer in customers.filter(Q(orders_count__gt=0) | Q(pk__in=touched)).only("pk", "full_name"):
                conflicts.append({"customer": customer.pk, "name": customer.full_name, "fields": [], "kept": True})
            customers.exclude(orders_count__gt=0).exclude(pk__in=touched).delete()
        done += len(batch)
        _progress(source, Import.Status.UNDOING, rows_done=done)
    Import.objects.filter(pk=source.pk, status=Import.Status.UNDOING).update(
        status=Import.Status.UNDONE, rows_done=done, undone_at=timezone.now(), undo_conflicts=conflicts[:1000]
    )


def _undo_change(company: Company, source: Import, change: ImportChange, touched: set[int]) -> dict | None:
    customer = Customer.objects.select_for_update().filter(company=company, pk=change.customer_id).first()
    if customer is None:
        return None  # deleted since, by staff or by undoing its creation
    actor = source.requested_by
    restore, kept = {}, []
    for name, applied in change.applied.items():
        if _as_text(getattr(customer, name)) == applied:
            restore[name] = Customer._meta.get_field(name).to_python(change.previous[name] or None)
            if restore[name] is None and not Customer._meta.get_field(name).null:
                restore[name] = ""
        else:
            kept.append(name)
    if restore:
        change_fields(company, customer, actor, **restore)
    CustomerPhone.objects.filter(customer=customer, number__in=change.added_phones).delete()
    CustomerEmail.objects.filter(customer=customer, email__in=change.added_emails).delete()
    for label in Label.objects.filter(company=company, pk__in=change.added_labels):
        remove_label(company, label=label, customers=Customer.objects.filter(pk=customer.pk), actor=actor)
    if kept:
        names = [str(Customer._meta.get_field(name).verbose_name) for name in kept]
        return {"customer": customer.pk, "name": customer.full_name, "fields": names, "kept": False}
    return None


STEPS.update(
    {
        Import.Status.VALIDATING: _validate_import,
        Import.Status.APPLYING: _apply_import,
        Import.Status.UNDOING: _undo_import,
    }
)


# The report ------------------------------------------------------------------------------------------


def write_report(source: Import, path: Path) -> None:
    """The rejected rows as a workbook: row number, reason, then the row's cells as in the file."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Rejected rows")[:31])
    sheet.freeze_panes = "A2"
    sheet.column_dimensions["A"].width = 8
    sheet.column_dimensions["B"].width = 60
    cells = CellWriter(sheet, timezone.get_current_timezone(), "")
    header = [Column("row", _("Row"), "int", 8, None), Column("reason", _("Reason"), "text", 60, None)]
    header += [Column(f"c{index}", name, "text", 15, None) for index, name in enumerate(source.headers)]
    sheet.append(cells.header(header))
    wanted = {issue.row: issue.reason for issue in source.issues.order_by("row").iterator(chunk_size=2000)}
    with _stored_rows(source) as rows:
        for number, row in rows:
            if number in wanted:
                values = [cells.text(cell_text(value)) for value in (row or ())]
                sheet.append([number, cells.text(wanted[number]), *values])
    workbook.save(path)


def fail_stalled_imports() -> int:
    """Imports whose worker stopped reporting progress: failed, with the reason. Returns how many."""
    stalled = Import.objects.filter(
        status__in=(Import.Status.VALIDATING, Import.Status.APPLYING, Import.Status.UNDOING),
        heartbeat_at__lt=timezone.now() - STALLED_AFTER,
    )
    count = 0
    for source in stalled.only("pk", "language", "status"):
        with translation.override(source.language):
            error = _("The worker handling this import stopped before it was done. Upload the file again.")
        count += Import.objects.filter(pk=source.pk, status=source.status).update(
            status=Import.Status.FAILED, error=error, finished_at=timezone.now()
        )
    return count
