"""Labels: creating and editing them, and putting them on and off customers."""

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from audit.services import Action, record
from companies.models import Company
from customers.models import Customer, CustomerEvent, CustomerLabel, Label
from customers.services.contacts import BATCH_SIZE


def _label_name_taken(company: Company, name: str, exclude_pk: int | None = None) -> bool:
    taken = Label.objects.filter(company=company, name__iexact=name)
    if exclude_pk is not None:
        taken = taken.exclude(pk=exclude_pk)
    return taken.exists()


@transaction.atomic
def create_label(company: Company, *, name: str, color: str, actor=None) -> Label:
    name = name.strip()
    if _label_name_taken(company, name):
        raise ValidationError({"name": _("A label named “%(name)s” already exists.") % {"name": name}})
    label = Label(company=company, name=name, color=color)
    label.full_clean(exclude=["company"])
    label.save()
    record(company, actor=actor, action=Action.LABEL_CREATED, target=label, color=color)
    return label


@transaction.atomic
def update_label(company: Company, *, label: Label, name: str, color: str, actor=None) -> Label:
    name = name.strip()
    if _label_name_taken(company, name, exclude_pk=label.pk):
        raise ValidationError({"name": _("A label named “%(name)s” already exists.") % {"name": name}})
    changes = [
        {"field": field, "old": old, "new": new}
        for field, old, new in (("name", label.name, name), ("color", label.color, color))
        if old != new
    ]
    label.name = name
    label.color = color
    label.full_clean(exclude=["company"])
    label.save()
    record(company, actor=actor, action=Action.LABEL_EDITED, target=label, changes=changes)
    return label


@transaction.atomic
def delete_label(company: Company, *, label: Label, actor=None) -> None:
    count = label.customers.count()
    record(company, actor=actor, action=Action.LABEL_DELETED, target=label, count=count)
    label.delete()


def _check_same_company(company: Company, *objects) -> None:
    if any(obj.company_id != company.pk for obj in objects):
        raise ValueError("an object of another company was passed to a service")


def _set_labels(customer: Customer, labels: Iterable[Label]) -> None:
    labels = list(labels)
    _check_same_company(customer.company, *labels)
    wanted = {label.pk for label in labels}
    CustomerLabel.objects.filter(customer=customer).exclude(label_id__in=wanted).delete()
    have = set(CustomerLabel.objects.filter(customer=customer).values_list("label_id", flat=True))
    CustomerLabel.objects.bulk_create(
        [CustomerLabel(company=customer.company, customer=customer, label_id=pk) for pk in wanted - have]
    )


@transaction.atomic
def add_label(company: Company, *, label: Label, customers: QuerySet[Customer], actor=None, audience: str = "") -> int:
    """Adds the label to every customer of the queryset that lacks it; returns how many gained it.
    Each of them gets a "label added" entry in their history; the activity log one entry with
    the count and `audience` (who they are, in words)."""
    _check_same_company(company, label)
    added = 0
    ids = customers.filter(company=company).exclude(labels=label).values_list("pk", flat=True).order_by()
    batch: list[int] = []
    for customer_id in ids.iterator(chunk_size=BATCH_SIZE):
        batch.append(customer_id)
        if len(batch) >= BATCH_SIZE:
            added += _label_batch(company, label, batch, actor)
            batch = []
    added += _label_batch(company, label, batch, actor)
    record(company, actor=actor, action=Action.LABEL_ADDED, target=label, count=added, audience=audience)
    return added


def _label_batch(company: Company, label: Label, customer_ids: list[int], actor) -> int:
    links = CustomerLabel.objects.bulk_create(
        [CustomerLabel(company=company, customer_id=pk, label=label) for pk in customer_ids], ignore_conflicts=True
    )
    _label_events(company, label, customer_ids, CustomerEvent.Kind.LABEL_ADDED, actor)
    return len(links)


def _label_events(company: Company, label: Label, customer_ids, kind: str, actor) -> None:
    CustomerEvent.objects.bulk_create(
        [
            CustomerEvent(company=company, customer_id=pk, kind=kind, actor=actor, data={"label": label.name})
            for pk in customer_ids
        ],
        batch_size=BATCH_SIZE,
    )


@transaction.atomic
def remove_label(
    company: Company, *, label: Label, customers: QuerySet[Customer], actor=None, audience: str = ""
) -> int:
    _check_same_company(company, label)
    links = CustomerLabel.objects.filter(
        company=company, label=label, customer__in=customers.filter(company=company).values("pk")
    )
    customer_ids = list(links.values_list("customer_id", flat=True))
    links.delete()
    _label_events(company, label, customer_ids, CustomerEvent.Kind.LABEL_REMOVED, actor)
    count = len(customer_ids)
    record(company, actor=actor, action=Action.LABEL_REMOVED, target=label, count=count, audience=audience)
    return count
