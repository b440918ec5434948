"""Creating, editing and deleting customers, and the quick changes from the card and the list."""

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from audit.services import Action, record
from companies.models import Company
from customers.models import Customer, CustomerEvent, Label
from customers.services.contacts import CHANNELS, _check_contacts_are_free, _normalize_contacts, _replace_contacts
from customers.services.erasure import _refuse_erased
from customers.services.history import _as_text, _changes, _history_values, audit_customer, record_event
from customers.services.labels import _set_labels


def _integrity_to_validation(error: IntegrityError) -> ValidationError:
    # Two requests added the same phone or email at once: the constraint caught the second.
    return ValidationError(_("Another customer was just saved with the same phone or email. Please try again."))


def create_customer(
    company: Company,
    *,
    fields: dict,
    phones: Iterable[str] = (),
    emails: Iterable[str] = (),
    labels: Iterable[Label] = (),
    actor=None,
) -> Customer:
    phones, emails = _normalize_contacts(company, phones, emails)
    try:
        with transaction.atomic():
            _check_contacts_are_free(company, None, phones, emails)
            _refuse_erased(company, phones, emails)
            customer = Customer(company=company, **fields)
            customer.full_clean(exclude=["company"])
            customer.save()
            _replace_contacts(customer, phones, emails)
            _set_labels(customer, labels)
            audit_customer(company, Action.CUSTOMER_CREATED, customer, actor=actor)
    except IntegrityError as error:
        raise _integrity_to_validation(error) from error
    return customer


def update_customer(
    company: Company,
    *,
    customer: Customer,
    fields: dict,
    phones: Iterable[str],
    emails: Iterable[str],
    labels: Iterable[Label] | None = None,
    actor=None,
) -> Customer:
    phones, emails = _normalize_contacts(company, phones, emails)
    try:
        with transaction.atomic():
            customer = Customer.objects.select_for_update().get(company=company, pk=customer.pk)
            _check_contacts_are_free(company, customer, phones, emails)
            if customer.erased_at:
                raise ValidationError(_("This customer's personal data was erased; the card cannot be edited."))
            _refuse_erased(company, phones, emails)
            before = _history_values(customer, fields)
            for name, value in fields.items():
                setattr(customer, name, value)
            customer.full_clean(exclude=["company"])
            customer.save()
            _replace_contacts(customer, phones, emails)
            if labels is not None:
                _set_labels(customer, labels)
            saved = Customer.objects.get(pk=customer.pk)  # as stored: 10 and 10.00 are the same discount
            changes = _changes(before, _history_values(saved, fields))
            if changes:
                record_event(customer, CustomerEvent.Kind.EDITED, actor=actor, changes=changes)
                audit_customer(company, Action.CUSTOMER_EDITED, customer, actor=actor, changes=changes)
    except IntegrityError as error:
        raise _integrity_to_validation(error) from error
    return customer


@transaction.atomic
def delete_customer(company: Company, *, customer: Customer, actor=None) -> None:
    """Deletes a customer without orders; their orders are the company's books, so a customer
    who has any is erased on request instead (erase_customer), which keeps them."""
    with transaction.atomic():
        orders = customer.orders.count()
        if orders:
            raise ValidationError(
                ngettext(
                    "%(name)s has %(count)d order, which stays in the books: erase their personal data instead.",
                    "%(name)s has %(count)d orders, which stay in the books: erase their personal data instead.",
                    orders,
                )
                % {"name": customer.full_name, "count": orders},
                code="has_orders",
            )
        audit_customer(company, Action.CUSTOMER_DELETED, customer, actor=actor)
        customer.delete()


@transaction.atomic
def set_favourites(
    company: Company, *, customers: QuerySet[Customer], favourite: bool, actor=None, audience: str = ""
) -> int:
    """Stars (or un-stars) every customer of the queryset; returns how many changed. `audience`
    says in words who they are, for the activity log."""
    count = (
        customers.filter(company=company)
        .exclude(is_favourite=favourite)
        .update(is_favourite=favourite, updated_at=timezone.now())
    )
    record(company, actor=actor, action=Action.FAVOURITES_CHANGED, favourite=favourite, count=count, audience=audience)
    return count


@transaction.atomic
def set_favourite(company: Company, *, customer: Customer, favourite: bool, actor=None) -> Customer:
    was = customer.is_favourite
    customer.is_favourite = favourite
    customer.save(update_fields=["is_favourite", "updated_at"])
    if was != favourite:
        changes = [{"field": "is_favourite", "old": str(was), "new": str(favourite)}]
        audit_customer(company, Action.CUSTOMER_EDITED, customer, actor=actor, changes=changes)
    return customer


def change_fields(company: Company, customer: Customer, actor, **values) -> Customer:
    """Sets a few fields, validated, and records the change in the customer's history."""
    with transaction.atomic():
        customer = Customer.objects.select_for_update().get(company=company, pk=customer.pk)
        before = {name: _as_text(getattr(customer, name)) for name in values}
        for name, value in values.items():
            setattr(customer, name, value)
        customer.full_clean(exclude=["company"])
        customer.save(update_fields=[*values, "updated_at"])
        after = {name: _as_text(getattr(customer, name)) for name in values}
        changes = _changes(before, after)
        if changes:
            record_event(customer, CustomerEvent.Kind.EDITED, actor=actor, changes=changes)
            audit_customer(company, Action.CUSTOMER_EDITED, customer, actor=actor, changes=changes)
    return customer


def set_blocked(company: Company, *, customer: Customer, blocked: bool, reason: str = "", actor=None) -> Customer:
    """Blocks a customer with a reason (shown on the card and in the list), or unblocks them. A
    blocked customer is left out of campaigns and their quick order link takes no orders."""
    reason = reason.strip()
    if blocked and not reason:
        raise ValidationError({"reason": _("Say why the customer is blocked.")})
    return change_fields(company, customer, actor, is_blocked=blocked, blocked_reason=reason if blocked else "")


def set_pipeline(company: Company, *, customer: Customer, status: str, temperature: str, actor=None) -> Customer:
    """Where a customer is in the sales pipeline: current or potential, and how warm."""
    return change_fields(company, customer, actor, status=status, temperature=temperature)


def set_consent(
    company: Company, *, customer: Customer, channel: str, given: bool, source: str, actor=None
) -> Customer:
    """Records a customer's consent to, or opt-out of, one channel, with when and how."""
    if channel not in CHANNELS:
        raise ValidationError({"channel": _("Choose SMS, email or push.")})
    if source not in Customer.ConsentSource.values:
        raise ValidationError({"source": _("Say how the customer told you.")})
    return change_fields(
        company,
        customer,
        actor,
        **{f"{channel}_consent": given, f"{channel}_consent_at": timezone.now(), f"{channel}_consent_source": source},
    )


def reachable(queryset: QuerySet[Customer], channel: str) -> QuerySet[Customer]:
    """The customers of an audience a campaign on `channel` may go to: not blocked, not erased, and
    not opted out of the channel. Campaigns send only to these."""
    if channel not in CHANNELS:
        raise ValueError(f"unknown channel {channel!r}")
    return queryset.filter(is_blocked=False, erased_at__isnull=True, **{f"{channel}_consent": True})
