"""Merging two cards of one person, and undoing it."""

import json
from datetime import datetime, timedelta
from typing import NamedTuple

from django.apps import apps
from django.core import serializers
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import router, transaction
from django.db.models.deletion import Collector
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.services import Action
from companies.models import Company
from customers.models import (
    MAX_EMAILS,
    MAX_PHONES,
    Customer,
    CustomerEvent,
    CustomerLabel,
    CustomerMerge,
    DuplicateCandidate,
)
from customers.services.contacts import _check_contacts_are_free, _replace_contacts
from customers.services.figures import refresh_customer_stats
from customers.services.history import audit_customer, record_event

# Fields staff choose between when the two cards disagree; the rest follow fixed rules below.
MERGE_FIELDS = (
    "full_name",
    "gender",
    "birthday",
    "region",
    "city",
    "address",
    "tax_id",
    "contact_person",
    "status",
    "temperature",
    "discount_percent",
    "preferred_currency",
    "preferred_language",
    "card_number",
    "other_channels",
    "acquisition_channel",
)


TARGET, DUPLICATE = "target", "duplicate"


def merge_conflicts(target: Customer, duplicate: Customer) -> list[str]:
    """The fields on which both cards have a value and the values differ."""
    return [
        name
        for name in MERGE_FIELDS
        if getattr(target, name) not in ("", None)
        and getattr(duplicate, name) not in ("", None)
        and getattr(target, name) != getattr(duplicate, name)
    ]


def merge_defaults(target: Customer, duplicate: Customer) -> dict[str, str]:
    """Which card's value survives when staff do not choose: the kept card's, except that an empty
    field takes the other's, a current customer stays current and the larger discount stays."""
    keep = {}
    for name in MERGE_FIELDS:
        mine, theirs = getattr(target, name), getattr(duplicate, name)
        keep[name] = DUPLICATE if mine in ("", None) and theirs not in ("", None) else TARGET
    if duplicate.status == Customer.Status.CURRENT:
        keep["status"] = DUPLICATE
    if duplicate.discount_percent > target.discount_percent:
        keep["discount_percent"] = DUPLICATE
    return keep


def merge_customers(
    company: Company, *, target: Customer, duplicate: Customer, keep: dict[str, str] | None = None, actor=None
) -> Customer:
    """Folds `duplicate` into `target` and deletes it: one person, one card.

    Contacts, labels, notes, orders and everything else that points at the duplicate move to the
    target; for each field in MERGE_FIELDS `keep` says whose value survives (by default
    merge_defaults); internal notes are joined; the figures are recomputed. Everything needed to
    undo it for CustomerMerge.UNDO_DAYS is kept. Refused, with nothing changed, for the same
    customer twice, a customer of another company or one already merged away, and when the two
    together have more phones or emails than one customer may hold.
    """

    with transaction.atomic():
        target, duplicate = _lock_pair(company, target, duplicate)
        contacts = _joined_contacts(target, duplicate)
        before = _snapshot_fields(target)
        added_labels = _add_missing_labels(company, target, duplicate)
        moved = _move_related_rows(duplicate, target)
        _merge_fields(target, duplicate, {**merge_defaults(target, duplicate), **(keep or {})})
        merge = CustomerMerge(
            company=company,
            survivor=target,
            absorbed_id=duplicate.pk,
            absorbed_name=duplicate.full_name,
            absorbed_rows=_rows_deleted_with(duplicate),
            moved=moved,
            survivor_before=before,
            added_label_ids=added_labels,
            absorbed_contacts={"phones": contacts.absorbed_phones, "emails": contacts.absorbed_emails},
            actor=actor,
        )
        duplicate.delete()
        target.save()
        merge.survivor_after = _snapshot_fields(target)
        merge.save()
        record_event(
            target, CustomerEvent.Kind.MERGED, actor=actor, absorbed={"name": duplicate.full_name}, merge=merge.pk
        )
        audit_customer(company, Action.CUSTOMERS_MERGED, target, actor=actor, absorbed=duplicate.pk, merge=merge.pk)
        _replace_contacts(target, contacts.phones, contacts.emails)
        refresh_customer_stats(target)
    target.refresh_from_db()
    return target


def _lock_pair(company: Company, target: Customer, duplicate: Customer) -> tuple[Customer, Customer]:
    """Both customers as they are now, locked (in id order, so two merges cannot deadlock);
    refused for one customer twice, another company's, one gone or one erased."""
    if target.pk == duplicate.pk:
        raise ValidationError(_("A customer cannot be merged with themselves."))
    if company.pk not in (target.company_id, duplicate.company_id) or target.company_id != duplicate.company_id:
        raise ValidationError(_("Only customers of the same company can be merged."))
    locked = {
        customer.pk: customer
        for customer in Customer.objects.select_for_update()
        .filter(company=company, pk__in=[target.pk, duplicate.pk])
        .order_by("pk")
    }
    if len(locked) != 2:
        raise ValidationError(
            _("One of the two customers no longer exists: someone may have just merged or deleted it.")
        )
    target, duplicate = locked[target.pk], locked[duplicate.pk]
    if target.erased_at or duplicate.erased_at:
        raise ValidationError(_("A customer whose personal data was erased cannot be merged."))
    return target, duplicate


class JoinedContacts(NamedTuple):
    phones: list[str]  # the survivor's, then the absorbed card's new ones
    emails: list[str]
    absorbed_phones: list[str]
    absorbed_emails: list[str]


def _joined_contacts(target: Customer, duplicate: Customer) -> JoinedContacts:
    """The contacts of both cards, refused when they are more than one customer may hold."""
    phones = list(target.phones.values_list("number", flat=True))
    absorbed_phones = list(duplicate.phones.values_list("number", flat=True))
    phones += [n for n in absorbed_phones if n not in phones]
    emails = list(target.emails.values_list("email", flat=True))
    absorbed_emails = list(duplicate.emails.values_list("email", flat=True))
    emails += [e for e in absorbed_emails if e not in emails]
    if len(phones) > MAX_PHONES or len(emails) > MAX_EMAILS:
        raise ValidationError(
            _(
                "Together they have %(phones)d phones and %(emails)d emails; a customer can have at most "
                "%(max_phones)d and %(max_emails)d. Remove some first."
            )
            % {"phones": len(phones), "emails": len(emails), "max_phones": MAX_PHONES, "max_emails": MAX_EMAILS}
        )
    return JoinedContacts(phones, emails, absorbed_phones, absorbed_emails)


def _add_missing_labels(company: Company, target: Customer, duplicate: Customer) -> list[int]:
    """Gives the survivor the absorbed card's labels it lacks; returns their ids (for the undo)."""
    kept = set(CustomerLabel.objects.filter(customer=target).values_list("label_id", flat=True))
    added = [
        label_id
        for label_id in CustomerLabel.objects.filter(customer=duplicate).values_list("label_id", flat=True)
        if label_id not in kept
    ]
    CustomerLabel.objects.bulk_create(
        [CustomerLabel(company=company, customer=target, label_id=label_id) for label_id in added]
    )
    return added


def _merge_fields(target: Customer, duplicate: Customer, keep: dict[str, str]) -> None:
    for name in MERGE_FIELDS:
        if keep.get(name) == DUPLICATE:
            setattr(target, name, getattr(duplicate, name))
    if duplicate.internal_note and duplicate.internal_note not in target.internal_note:
        target.internal_note = "\n\n".join(filter(None, [target.internal_note, duplicate.internal_note]))[:2000]
    target.is_favourite = target.is_favourite or duplicate.is_favourite
    if duplicate.is_blocked and not target.is_blocked:
        target.is_blocked, target.blocked_reason = True, duplicate.blocked_reason
    for channel in ("sms", "email", "push"):  # an opt-out on either card stands
        if not getattr(duplicate, f"{channel}_consent") and getattr(target, f"{channel}_consent"):
            for suffix in ("_consent", "_consent_at", "_consent_source"):
                setattr(target, channel + suffix, getattr(duplicate, channel + suffix))
    target.created_at = min(target.created_at, duplicate.created_at)


# What a merge may change on the survivor, and so what undoing it may put back.
_UNDOABLE_FIELDS = (
    *MERGE_FIELDS,
    "internal_note",
    "is_favourite",
    "is_blocked",
    "blocked_reason",
    "created_at",
    *(
        f"{channel}{suffix}"
        for channel in ("sms", "email", "push")
        for suffix in ("_consent", "_consent_at", "_consent_source")
    ),
)


def _snapshot_fields(customer: Customer) -> dict:
    return {name: Customer._meta.get_field(name).value_to_string(customer) for name in _UNDOABLE_FIELDS}


def _rows_deleted_with(customer: Customer) -> list[dict]:
    """The customer's own row and every row its deletion would take with it, serialized, so that
    an undo puts back exactly what was there."""
    collector = Collector(using=router.db_for_write(Customer))
    collector.collect([customer])
    rows = [customer]
    collector.sort()  # deletion order: rows that refer to others first; restoring goes the other way
    for instances in reversed(list(collector.data.values())):
        rows.extend(instance for instance in instances if not isinstance(instance, Customer))
    for queryset in collector.fast_deletes:
        rows.extend(queryset)
    return json.loads(json.dumps(serializers.serialize("python", rows), cls=ExactJSONEncoder))


class ExactJSONEncoder(DjangoJSONEncoder):
    """Keeps the microseconds DjangoJSONEncoder drops, so that restored rows are exactly the same."""

    def default(self, o):
        if isinstance(o, datetime):
            return o.isoformat()
        return super().default(o)


# Rows that must not simply be re-pointed: the duplicate's own copies go with it.
_MERGE_SKIP = {CustomerLabel, DuplicateCandidate}


def _customer_relations():
    for relation in Customer._meta.get_fields(include_hidden=True):
        if relation.auto_created and relation.one_to_many and relation.related_model not in _MERGE_SKIP:
            yield relation.related_model, relation.field.name


def _move_related_rows(duplicate: Customer, target: Customer) -> dict[str, dict[str, list[int]]]:
    """Re-points every row of every app that refers to the duplicate (orders, notes, contacts...)
    and returns which rows moved, by model and field.

    A relation that allows one row per customer (a quick order link) keeps the target's row when
    both have one; the duplicate's goes with it.
    """
    moved: dict[str, dict[str, list[int]]] = {}
    for model, field_name in _customer_relations():
        rows = model._base_manager.filter(**{field_name: duplicate})
        if _one_per_customer(model, field_name) and model._base_manager.filter(**{field_name: target}).exists():
            continue
        ids = list(rows.values_list("pk", flat=True))
        if ids:
            model._base_manager.filter(pk__in=ids).update(**{field_name: target})
            moved.setdefault(model._meta.label_lower, {})[field_name] = ids
    return moved


def _one_per_customer(model, field_name: str) -> bool:
    return any(
        set(getattr(constraint, "fields", ())) <= {"company", field_name}
        and field_name in getattr(constraint, "fields", ())
        for constraint in model._meta.constraints
    )


def merge_undo_deadline(merge: CustomerMerge):
    return merge.created_at + timedelta(days=CustomerMerge.UNDO_DAYS)


def undo_merge(company: Company, *, merge: CustomerMerge, actor=None) -> Customer:
    """Brings the absorbed customer back with exactly the rows and field values it had, moves back
    the rows that came from it, and puts back the survivor's fields the merge changed (unless they
    were edited since). Orders and notes added to the survivor after the merge stay with it."""
    with transaction.atomic():
        merge = CustomerMerge.objects.select_for_update().filter(company=company, pk=merge.pk).first()
        if merge is None or merge.undone_at:
            raise ValidationError(_("This merge has already been undone."))
        if timezone.now() > merge_undo_deadline(merge):
            raise ValidationError(
                _("A merge can be undone for %(days)d days; this one is older.") % {"days": CustomerMerge.UNDO_DAYS}
            )
        survivor = Customer.objects.select_for_update().get(company=company, pk=merge.survivor_id)
        _check_contacts_come_back(company, survivor, merge.absorbed_contacts)
        restored = list(serializers.deserialize("python", merge.absorbed_rows))
        for row in restored:
            row.save()
        absorbed = Customer.objects.get(company=company, pk=merge.absorbed_id)
        for label, fields in merge.moved.items():
            model = apps.get_model(label)
            for field_name, ids in fields.items():
                model._base_manager.filter(pk__in=ids, **{field_name: survivor}).update(**{field_name: absorbed})
        CustomerLabel.objects.filter(customer=survivor, label_id__in=merge.added_label_ids).delete()
        for name, value in merge.survivor_before.items():
            field = Customer._meta.get_field(name)
            if field.value_to_string(survivor) == merge.survivor_after.get(name):
                setattr(survivor, name, field.to_python(value) if value != "" or not field.null else None)
        survivor.save()
        absorbed_phones, absorbed_emails = merge.absorbed_contacts["phones"], merge.absorbed_contacts["emails"]
        _replace_contacts(absorbed, absorbed_phones, absorbed_emails)
        _replace_contacts(
            survivor,
            [n for n in survivor.phones.values_list("number", flat=True) if n not in absorbed_phones],
            [e for e in survivor.emails.values_list("email", flat=True) if e not in absorbed_emails],
        )
        # They were told apart by hand: the pair does not come back as a possible duplicate.
        low, high = sorted((survivor.pk, absorbed.pk))
        DuplicateCandidate.objects.filter(company=company, first_id=low, second_id=high).update(
            dismissed_at=timezone.now(), dismissed_by=actor
        )
        merge.undone_at, merge.undone_by = timezone.now(), actor
        merge.save(update_fields=["undone_at", "undone_by"])
        for customer, other in ((survivor, absorbed), (absorbed, survivor)):
            record_event(customer, CustomerEvent.Kind.MERGE_UNDONE, actor=actor, other={"name": other.full_name})
            refresh_customer_stats(customer)
        audit_customer(company, Action.MERGE_UNDONE, survivor, actor=actor, absorbed=absorbed.pk, merge=merge.pk)
    return absorbed


def _check_contacts_come_back(company: Company, survivor: Customer, contacts: dict) -> None:
    """A phone or email of the absorbed customer that has since gone to a third customer would be
    taken from them: refuse and say whose it is."""
    try:
        _check_contacts_are_free(company, survivor, contacts["phones"], contacts["emails"])
    except ValidationError as error:
        raise ValidationError(
            [_("The merge cannot be undone while another customer has its contacts:"), *error.messages]
        ) from error
