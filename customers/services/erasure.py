"""Erasing a customer's personal data on their request."""

from collections.abc import Sequence

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from audit.services import Action
from companies.models import Company, Membership, has_role
from customers.models import Customer, CustomerEvent, DuplicateCandidate, ErasedContact
from customers.services.contacts import CHANNELS
from customers.services.history import audit_customer, record_event
from customers.services.merge import _customer_relations

# Customer fields that hold personal data or free text, and what they become.
ERASED_VALUES = {
    "other_channels": "",
    "internal_note": "",
    "gender": "",
    "birthday": None,
    "region": "",
    "city": "",
    "address": "",
    "tax_id": "",
    "contact_person": "",
    "card_number": "",
    "blocked_reason": "",
    "preferred_language": "",
    "is_favourite": False,
    "search_document": "",
    **{f"{channel}_consent": False for channel in CHANNELS},
    **{f"{channel}_consent_at": None for channel in CHANNELS},
    **{f"{channel}_consent_source": "" for channel in CHANNELS},
}


def contact_digest(company: Company, value: str) -> str:
    """A normalized phone or email as a keyed hash: it can be recognized, not read back."""
    return salted_hmac("customers.erased-contact", f"{company.pk}:{value}", algorithm="sha256").hexdigest()


def erased_contacts(company: Company, phones: Sequence[str], emails: Sequence[str]) -> dict[str, list[str]]:
    """Which of these (normalized) contacts belonged to a person erased on request, by field."""
    digests = {contact_digest(company, value): ("phones", value) for value in phones}
    digests |= {contact_digest(company, value): ("emails", value) for value in emails}
    found: dict[str, list[str]] = {}
    for digest in ErasedContact.objects.filter(company=company, digest__in=digests).values_list("digest", flat=True):
        field, value = digests[digest]
        found.setdefault(field, []).append(value)
    return found


def _refuse_erased(company: Company, phones: Sequence[str], emails: Sequence[str]) -> None:
    found = erased_contacts(company, phones, emails)
    if found:
        raise ValidationError(
            {
                field: [
                    _(
                        "%(contact)s belonged to a person whose data was erased on request; "
                        "they are not added again without their new consent."
                    )
                    % {"contact": value}
                    for value in values
                ]
                for field, values in found.items()
            }
        )


def erase_customer(company: Company, *, customer: Customer, actor) -> Customer:
    """Erases a customer's personal data on their request; only owners and admins may.

    Name, phones, emails, address, notes, free text and history go; the orders stay, without the
    name, contacts and comment they were placed with, so that the company's figures do not change.
    The phones and emails go on the do-not-recreate list as keyed hashes. Recorded (who, when)
    without the erased data. Cannot be undone.
    """
    if not has_role(company, actor, Membership.Role.ADMIN):
        raise PermissionDenied(_("Only owners and admins can erase a customer's personal data."))
    with transaction.atomic():
        customer = Customer.objects.select_for_update().get(company=company, pk=customer.pk)
        if customer.erased_at:
            raise ValidationError(_("This customer's personal data has already been erased."))
        phones = list(customer.phones.values_list("number", flat=True))
        emails = list(customer.emails.values_list("email", flat=True))
        ErasedContact.objects.bulk_create(
            [
                ErasedContact(company=company, kind=ErasedContact.Kind.PHONE, digest=contact_digest(company, p))
                for p in phones
            ]
            + [
                ErasedContact(company=company, kind=ErasedContact.Kind.EMAIL, digest=contact_digest(company, e))
                for e in emails
            ],
            ignore_conflicts=True,
        )
        customer.phones.all().delete()
        customer.emails.all().delete()
        customer.notes.all().delete()
        customer.messages.all().delete()  # what was written to them, and where it went
        customer.push_subscriptions.all().delete()  # their browsers
        customer.events.all().delete()  # edits name the old values
        customer.merges.all().delete()  # undo snapshots hold the absorbed card's data
        DuplicateCandidate.objects.filter(Q(first=customer) | Q(second=customer)).delete()
        _erase_quick_link(customer)
        customer.orders.filter(company=company).update(
            customer_name="", customer_email="", customer_phone="", comment=""
        )
        for name, value in ERASED_VALUES.items():
            setattr(customer, name, value)
        customer.full_name = f"#{customer.pk}"
        customer.erased_at = timezone.now()
        customer.save()
        record_event(customer, CustomerEvent.Kind.ERASED, actor=actor)
        audit_customer(company, Action.CUSTOMER_ERASED, customer, actor=actor)
    return customer


def _erase_quick_link(customer: Customer) -> None:
    """A link to order as this person makes no sense any more."""
    for model, field_name in _customer_relations():
        if model._meta.app_label == "quicklinks":
            model._base_manager.filter(**{field_name: customer}).delete()
