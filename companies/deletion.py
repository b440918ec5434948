"""Deleting a company completely: every row of its data, its files, and the accounts that were
only its staff, as a portal admin asks in the Django admin.

The admin's request only marks the company (`Company.deletion_requested_at`): from then on its
staff cannot open it and its quick links stop answering. A worker then deletes it in one
transaction, one DELETE per table, whatever the company's size; Django's cascading collector
would load every row into memory first, and the orders' PROTECT on customers would stop it.
"""

from dataclasses import dataclass
from graphlib import TopologicalSorter

from django.apps import apps
from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.files.storage import Storage, storages
from django.db import connection, models, transaction
from django.utils import timezone
from django_scopes import scopes_disabled

from companies.models import Company, User


def tenant_models() -> list[type[models.Model]]:
    """Every model that belongs to a company (it has a `company` foreign key), in an order that
    deletes rows before the rows they point at."""
    found = [
        model
        for model in apps.get_models()
        if not model._meta.auto_created
        and any(field.name == "company" and field.related_model is Company for field in model._meta.fields)
    ]
    tenant = set(found)
    points_at = {
        model: {field.related_model for field in model._meta.fields if field.related_model in tenant} - {model}
        for model in found
    }
    # The sorter puts what a model points at first; deletion goes the other way.
    return list(reversed(list(TopologicalSorter(points_at).static_order())))


@dataclass(frozen=True)
class DeletionPlan:
    """What deleting the company takes with it, for the confirmation page."""

    rows: list[tuple[str, int]]  # (verbose name plural, count), tables with rows only
    users: list[User]  # accounts whose only company this is


def users_only_in(company: Company):
    """Staff accounts with no other company and no portal role: they go with the company."""
    return (
        User.objects.filter(memberships__company=company, is_staff=False, is_superuser=False)
        .exclude(memberships__company__in=Company.objects.exclude(pk=company.pk))
        .order_by("email")
    )


def deletion_plan(company: Company) -> DeletionPlan:
    rows = []
    with scopes_disabled():
        for model in reversed(tenant_models()):
            count = model._default_manager.filter(company=company).count()
            if count:
                rows.append((str(model._meta.verbose_name_plural), count))
    return DeletionPlan(rows=sorted(rows), users=list(users_only_in(company)))


def request_deletion(company: Company) -> bool:
    """Marks the company for deletion and queues it; False if it was marked already (a deletion
    that did not finish, its worker gone or its retries spent, is queued again)."""
    from companies.tasks import delete_company_data

    with transaction.atomic():
        marked = Company.objects.filter(pk=company.pk, deletion_requested_at=None).update(
            deletion_requested_at=timezone.now()
        )
        transaction.on_commit(lambda: delete_company_data.delay(company.pk))
    return bool(marked)


def delete_company_now(company: Company) -> None:
    """Marks and deletes at once, in this process (the demo seed rebuilding its company)."""
    Company.objects.filter(pk=company.pk).update(deletion_requested_at=timezone.now())
    delete_company(company.pk)


def delete_company(company_id: int) -> bool:
    """Deletes a company marked for deletion and everything of it. False if there is none."""
    with transaction.atomic(), scopes_disabled():
        company = Company.objects.select_for_update().filter(pk=company_id).exclude(deletion_requested_at=None).first()
        if company is None:
            return False
        files = _files_of(company)
        users = list(users_only_in(company).values_list("pk", flat=True))
        _delete_admin_history(company)
        with connection.cursor() as cursor:
            for model in tenant_models():
                table = connection.ops.quote_name(model._meta.db_table)
                column = connection.ops.quote_name(model._meta.get_field("company").column)
                cursor.execute(f"DELETE FROM {table} WHERE {column} = %s", [company.pk])
        User.objects.filter(pk__in=users).delete()
        Company.objects.filter(pk=company.pk).delete()
        transaction.on_commit(lambda: _delete_files(files))
    return True


def _files_of(company: Company) -> list[tuple[Storage, str]]:
    """(storage, name) of every stored file of the company: its models' file fields, and the
    names models keep of files in a storage of their own (`STORED_FILES`: field → storage alias)."""
    files = []
    for model in tenant_models():
        stored = {
            field.name: field.storage for field in model._meta.concrete_fields if isinstance(field, models.FileField)
        }
        stored |= {name: storages[alias] for name, alias in getattr(model, "STORED_FILES", {}).items()}
        if not stored:
            continue
        for row in model._default_manager.filter(company=company).values_list(*stored):
            files += [(storage, name) for storage, name in zip(stored.values(), row, strict=True) if name]
    return files


def _delete_files(files: list[tuple[Storage, str]]) -> None:
    for storage, name in files:
        storage.delete(name)


def _delete_admin_history(company: Company) -> None:
    """The Django admin's history of the company and of its rows names them by id and label."""
    LogEntry.objects.filter(content_type=ContentType.objects.get_for_model(Company), object_id=str(company.pk)).delete()
    for model in tenant_models():
        content_type = ContentType.objects.get_for_model(model)
        logged = LogEntry.objects.filter(content_type=content_type).values_list("pk", "object_id")
        by_object = {}
        for pk, object_id in logged:
            if object_id.isdigit():
                by_object.setdefault(int(object_id), []).append(pk)
        if not by_object:
            continue
        ours = model._default_manager.filter(company=company, pk__in=list(by_object)).values_list("pk", flat=True)
        LogEntry.objects.filter(pk__in=[pk for object_id in ours for pk in by_object[object_id]]).delete()


__all__ = ["DeletionPlan", "delete_company", "delete_company_now", "deletion_plan", "request_deletion", "tenant_models"]
