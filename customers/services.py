"""Every write to customers, labels and notes. Views, imports and other apps call these."""

import json
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import NamedTuple

from django.apps import apps
from django.core import serializers
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.core.validators import validate_email
from django.db import IntegrityError, router, transaction
from django.db.models import Q, QuerySet
from django.db.models.deletion import Collector
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from audit.services import Action, record
from companies.models import Company, Membership, has_role
from customers.models import (
    MAX_EMAILS,
    MAX_PHONES,
    Customer,
    CustomerEmail,
    CustomerEvent,
    CustomerLabel,
    CustomerMerge,
    CustomerPhone,
    DuplicateCandidate,
    ErasedContact,
    Label,
    ListSettings,
    Note,
)
from customers.phones import normalize_phone
from customers.tables import DEFAULT_COLUMNS, OPTIONAL_COLUMNS

BATCH_SIZE = 2000


# Contacts ---------------------------------------------------------------------------------------


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


# History ----------------------------------------------------------------------------------------


def record_event(customer: Customer, kind: str, *, actor=None, **data) -> CustomerEvent:
    return CustomerEvent.objects.create(
        company_id=customer.company_id, customer=customer, kind=kind, actor=actor, data=data
    )


# Fields that hold what a person is (erased on request): the activity log names them, never their values.
PERSONAL_FIELDS = frozenset(
    {"full_name", "phones", "emails", "other_channels", "internal_note", "gender", "birthday", "region", "city"}
    | {"address", "tax_id", "contact_person", "card_number", "blocked_reason"}
)


def audit_customer(company: Company, action: str, customer: Customer, *, actor, changes=(), **details) -> None:
    """The activity log's entry about a customer. It keeps no personal data (the log outlives an
    erasure and is never rewritten): the customer by id only, changed personal fields by name."""
    safe = [change if change["field"] not in PERSONAL_FIELDS else {"field": change["field"]} for change in changes]
    record(company, actor=actor, action=action, target=customer, label=f"#{customer.pk}", changes=safe, **details)


def _history_values(customer: Customer, fields) -> dict[str, str]:
    """What the history shows of each field: the stored value as text, contacts and labels listed."""
    values = {name: "" if getattr(customer, name) is None else str(getattr(customer, name)) for name in fields}
    values["phones"] = ", ".join(customer.phones.values_list("number", flat=True))
    values["emails"] = ", ".join(customer.emails.values_list("email", flat=True))
    values["labels"] = ", ".join(customer.labels.order_by("name").values_list("name", flat=True))
    return values


def _changes(before: dict[str, str], after: dict[str, str]) -> list[dict[str, str]]:
    return [{"field": name, "old": before[name], "new": after[name]} for name in before if before[name] != after[name]]


# Customers --------------------------------------------------------------------------------------


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


def contact_owners(
    company: Company, phones: Iterable[str], emails: Iterable[str]
) -> tuple[dict[str, int], dict[str, int]]:
    """Which customer has each of these (normalized) phones and emails: two dicts, to customer id."""
    return (
        dict(CustomerPhone.objects.filter(company=company, number__in=phones).values_list("number", "customer_id")),
        dict(CustomerEmail.objects.filter(company=company, email__in=emails).values_list("email", "customer_id")),
    )


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


# List settings ----------------------------------------------------------------------------------


def list_columns(company: Company, user) -> list[str]:
    """The optional columns this user shows in the customer list, in their order."""
    saved = ListSettings.objects.filter(company=company, user=user).values_list("columns", flat=True).first()
    columns = [name for name in saved or () if name in OPTIONAL_COLUMNS]
    return columns or list(DEFAULT_COLUMNS)


def save_list_columns(company: Company, *, user, columns: Sequence[str]) -> list[str]:
    unknown = [name for name in columns if name not in OPTIONAL_COLUMNS]
    if unknown:
        raise ValidationError(_("Unknown columns: %(names)s.") % {"names": ", ".join(unknown)})
    columns = list(dict.fromkeys(columns))
    if not columns:
        raise ValidationError(_("Keep at least one column besides the name."))
    ListSettings.objects.update_or_create(company=company, user=user, defaults={"columns": columns})
    return columns


# Quick changes from the card and the list ------------------------------------------------------

CHANNELS = ("sms", "email", "push")


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


def _as_text(value) -> str:
    return "" if value is None else str(value)


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


# Erasing personal data on request ---------------------------------------------------------------

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
    from orders.models import Order

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
        customer.events.all().delete()  # edits name the old values
        customer.merges.all().delete()  # undo snapshots hold the absorbed card's data
        DuplicateCandidate.objects.filter(Q(first=customer) | Q(second=customer)).delete()
        _erase_quick_link(customer)
        Order.objects.filter(company=company, customer=customer).update(
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


# Merging ----------------------------------------------------------------------------------------

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
    from orders.services import refresh_customer_stats  # orders builds on customers, not the reverse

    if target.pk == duplicate.pk:
        raise ValidationError(_("A customer cannot be merged with themselves."))
    if company.pk not in (target.company_id, duplicate.company_id) or target.company_id != duplicate.company_id:
        raise ValidationError(_("Only customers of the same company can be merged."))
    with transaction.atomic():
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
        before = _snapshot_fields(target)
        kept_labels = set(CustomerLabel.objects.filter(customer=target).values_list("label_id", flat=True))
        added_labels = [
            label_id
            for label_id in CustomerLabel.objects.filter(customer=duplicate).values_list("label_id", flat=True)
            if label_id not in kept_labels
        ]
        CustomerLabel.objects.bulk_create(
            [CustomerLabel(company=company, customer=target, label_id=label_id) for label_id in added_labels]
        )
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
            absorbed_contacts={"phones": absorbed_phones, "emails": absorbed_emails},
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
        _replace_contacts(target, phones, emails)
        refresh_customer_stats(target)
    target.refresh_from_db()
    return target


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
    from orders.services import refresh_customer_stats

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


# Labels -----------------------------------------------------------------------------------------


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


# Notes ------------------------------------------------------------------------------------------


@transaction.atomic
def add_note(company: Company, *, customer: Customer, text: str, priority: int, actor) -> Note:
    note = Note(company=company, customer=customer, author=actor, text=text, priority=priority)
    note.full_clean(exclude=["company", "customer", "author"])
    note.save()
    audit_customer(company, Action.NOTE_ADDED, customer, actor=actor, note=note.pk, priority=priority)
    return note


@transaction.atomic
def edit_note(company: Company, *, note: Note, text: str, priority: int, actor) -> Note:
    changes = [{"field": "text"}] if note.text != text else []
    if note.priority != priority:
        changes.append({"field": "priority", "old": str(note.priority), "new": str(priority)})
    note.text = text
    note.priority = priority
    note.full_clean(exclude=["company", "customer", "author"])
    note.save()
    audit_customer(company, Action.NOTE_EDITED, note.customer, actor=actor, changes=changes, note=note.pk)
    return note


@transaction.atomic
def delete_note(company: Company, *, note: Note, actor) -> None:
    audit_customer(company, Action.NOTE_DELETED, note.customer, actor=actor, note=note.pk)
    note.delete()
