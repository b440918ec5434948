"""Phones and emails: normalized, checked to be free, and stored in their own tables."""

from collections.abc import Iterable, Sequence

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

from companies.models import Company
from customers.models import MAX_EMAILS, MAX_PHONES, Customer, CustomerEmail, CustomerPhone
from customers.phones import normalize_phone

BATCH_SIZE = 2000


def normalize_phones(company: Company, raw_phones: Iterable[str]) -> list[str]:
    """E.164 numbers in the order given, blanks and repeats dropped; invalid input raises."""
    numbers: list[str] = []
    errors: list[ValidationError] = []
    for raw in raw_phones:
        raw = (raw or "").strip()
        if not raw:
            continue
        try:
            number = normalize_phone(raw, company.default_region)
        except ValidationError as error:
            errors.append(error)
            continue
        if number not in numbers:
            numbers.append(number)
    if errors:
        raise ValidationError({"phones": errors})
    if len(numbers) > MAX_PHONES:
        raise ValidationError({"phones": _("A customer can have at most %(max)d phones.") % {"max": MAX_PHONES}})
    return numbers


def normalize_emails(raw_emails: Iterable[str]) -> list[str]:
    emails: list[str] = []
    errors: list[ValidationError] = []
    for raw in raw_emails:
        email = (raw or "").strip().lower()
        if not email:
            continue
        if len(email) > 255:
            errors.append(ValidationError(_("An email address can be at most 255 characters long.")))
            continue
        try:
            validate_email(email)
        except ValidationError:
            errors.append(ValidationError(_("“%(value)s” is not a valid email address."), params={"value": raw}))
            continue
        if email not in emails:
            emails.append(email)
    if errors:
        raise ValidationError({"emails": errors})
    if len(emails) > MAX_EMAILS:
        raise ValidationError({"emails": _("A customer can have at most %(max)d emails.") % {"max": MAX_EMAILS}})
    return emails


def _normalize_contacts(company: Company, phones: Iterable[str], emails: Iterable[str]) -> tuple[list, list]:
    """Both lists normalized; a bad phone and a bad email are reported together."""
    errors: dict[str, list] = {}
    normalized: dict[str, list[str]] = {"phones": [], "emails": []}
    for name, normalize in (
        ("phones", lambda: normalize_phones(company, phones)),
        ("emails", lambda: normalize_emails(emails)),
    ):
        try:
            normalized[name] = normalize()
        except ValidationError as error:
            errors.update(error.error_dict)
    if errors:
        raise ValidationError(errors)
    return normalized["phones"], normalized["emails"]


def _check_contacts_are_free(
    company: Company, customer: Customer | None, phones: Sequence[str], emails: Sequence[str]
) -> None:
    """Phones and emails are unique within a company; name the customer who already has one."""
    errors: dict[str, list[str]] = {}
    others = CustomerPhone.objects.filter(company=company, number__in=phones).select_related("customer")
    if customer is not None:
        others = others.exclude(customer=customer)
    for phone in others:
        errors.setdefault("phones", []).append(
            _("%(phone)s already belongs to %(customer)s.") % {"phone": phone.formatted, "customer": phone.customer}
        )
    other_emails = CustomerEmail.objects.filter(company=company, email__in=emails).select_related("customer")
    if customer is not None:
        other_emails = other_emails.exclude(customer=customer)
    for email in other_emails:
        errors.setdefault("emails", []).append(
            _("%(email)s already belongs to %(customer)s.") % {"email": email.email, "customer": email.customer}
        )
    if errors:
        raise ValidationError(errors)


def _replace_contacts(customer: Customer, phones: Sequence[str], emails: Sequence[str]) -> None:
    CustomerPhone.objects.filter(customer=customer).exclude(number__in=phones).delete()
    CustomerEmail.objects.filter(customer=customer).exclude(email__in=emails).delete()
    for position, number in enumerate(phones):
        CustomerPhone.objects.update_or_create(
            company=customer.company, number=number, defaults={"customer": customer, "position": position}
        )
    for position, email in enumerate(emails):
        CustomerEmail.objects.update_or_create(
            company=customer.company, email=email, defaults={"customer": customer, "position": position}
        )
    customer.search_document = build_search_document(customer.full_name, phones, emails)
    Customer.objects.filter(pk=customer.pk).update(search_document=customer.search_document)


def build_search_document(full_name: str, phones: Sequence[str], emails: Sequence[str]) -> str:
    parts = [full_name, *(number.lstrip("+") for number in phones), *emails]
    return " ".join(part for part in parts if part).upper()


def contact_owners(
    company: Company, phones: Iterable[str], emails: Iterable[str]
) -> tuple[dict[str, int], dict[str, int]]:
    """Which customer has each of these (normalized) phones and emails: two dicts, to customer id."""
    return (
        dict(CustomerPhone.objects.filter(company=company, number__in=phones).values_list("number", "customer_id")),
        dict(CustomerEmail.objects.filter(company=company, email__in=emails).values_list("email", "customer_id")),
    )


CHANNELS = ("sms", "email", "push")
