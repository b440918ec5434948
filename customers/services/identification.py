"""Finding the customer an order, a message or an import is from, by phone or email, or creating them."""

from collections.abc import Iterable, Sequence
from typing import NamedTuple

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from companies.models import Company
from customers.models import MAX_EMAILS, MAX_PHONES, Customer, CustomerEmail, CustomerPhone, DuplicateCandidate
from customers.services.contacts import (
    _replace_contacts,
    build_search_document,
    contact_owners,
    normalize_emails,
    normalize_phones,
)
from customers.services.erasure import _refuse_erased, erased_contacts


def find_or_create_customer(
    company: Company,
    *,
    name: str = "",
    phones: Iterable[str] = (),
    emails: Iterable[str] = (),
    source: str = Customer.Channel.MANUAL,
) -> tuple[Customer, bool]:
    """The one way a customer is identified: by any of their phones or emails.

    Returns the matching customer (adding any contact they did not have yet, within the limits),
    or a new one. When the contacts match two different customers, the first match by phone wins
    and the pair is recorded as a possible duplicate for staff to review; nothing is merged here.
    """
    phones = normalize_phones(company, phones)
    emails = normalize_emails(emails)
    if not phones and not emails:
        raise ValidationError(_("A phone or an email is needed to identify a customer."))
    for _attempt in range(2):
        try:
            with transaction.atomic():
                return _find_or_create(company, name=name.strip(), phones=phones, emails=emails, source=source)
        except IntegrityError:
            # Another request created the same customer between our lookup and insert: look again.
            continue
    return _find_or_create(company, name=name.strip(), phones=phones, emails=emails, source=source)


def _find_or_create(company, *, name, phones, emails, source) -> tuple[Customer, bool]:
    matches: list[int] = []
    phone_owner, email_owner = contact_owners(company, phones, emails)
    for customer_id in [phone_owner[p] for p in phones if p in phone_owner] + [
        email_owner[e] for e in emails if e in email_owner
    ]:
        if customer_id not in matches:
            matches.append(customer_id)

    if not matches:
        _refuse_erased(company, phones, emails)
        return insert_new_customers(company, [NewCustomer(name, phones, emails)], source=source)[0], True

    customer = Customer.objects.select_for_update().get(company=company, pk=matches[0])
    for other_id in matches[1:]:
        flag_possible_duplicate(
            company, first_id=customer.pk, second_id=other_id, reason=DuplicateCandidate.Reason.IDENTIFICATION
        )
    known_phones = list(customer.phones.values_list("number", flat=True))
    known_emails = list(customer.emails.values_list("email", flat=True))
    erased = erased_contacts(company, phones, emails)  # never attached to someone else either
    new_phones = [p for p in phones if p not in phone_owner and p not in erased.get("phones", ())]
    new_emails = [e for e in emails if e not in email_owner and e not in erased.get("emails", ())]
    if new_phones or new_emails:
        all_phones = (known_phones + new_phones)[:MAX_PHONES]
        all_emails = (known_emails + new_emails)[:MAX_EMAILS]
        _replace_contacts(customer, all_phones, all_emails)
    if not customer.full_name.strip() and name:
        customer.full_name = name[:255]
        customer.save(update_fields=["full_name", "updated_at"])
    return customer, False


class NewCustomer(NamedTuple):
    """A customer to insert: normalized contacts that nobody in the company has, other fields."""

    name: str
    phones: Sequence[str]
    emails: Sequence[str]
    fields: dict = {}


def insert_new_customers(company: Company, people: Sequence[NewCustomer], *, source: str) -> list[Customer]:
    """Inserts customers and their contacts: three INSERTs however many. For callers that have
    checked the contacts are free (find_or_create_customer, an import); a contact taken meanwhile
    still fails on the unique constraints with IntegrityError, for the caller to look again."""
    customers = []
    for person in people:
        phones, emails = person.phones[:MAX_PHONES], person.emails[:MAX_EMAILS]
        full_name = (person.name or (phones[0] if phones else emails[0]))[:255]
        customers.append(
            Customer(
                company=company,
                full_name=full_name,
                acquisition_channel=source,
                search_document=build_search_document(full_name, phones, emails),
                **person.fields,
            )
        )
    Customer.objects.bulk_create(customers)
    pairs = list(zip(people, customers, strict=True))
    CustomerPhone.objects.bulk_create(
        CustomerPhone(company=company, customer=customer, number=number, position=index)
        for person, customer in pairs
        for index, number in enumerate(person.phones[:MAX_PHONES])
    )
    CustomerEmail.objects.bulk_create(
        CustomerEmail(company=company, customer=customer, email=email, position=index)
        for person, customer in pairs
        for index, email in enumerate(person.emails[:MAX_EMAILS])
    )
    return customers


def flag_possible_duplicate(company: Company, *, first_id: int, second_id: int, reason: str) -> None:
    low, high = sorted((first_id, second_id))
    DuplicateCandidate.objects.get_or_create(company=company, first_id=low, second_id=high, defaults={"reason": reason})
