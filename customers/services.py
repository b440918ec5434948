"""Every write to customers, labels and notes. Views, imports and other apps call these."""

from collections.abc import Iterable, Sequence

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from companies.models import Company
from customers.models import (
    MAX_EMAILS,
    MAX_PHONES,
    Customer,
    CustomerEmail,
    CustomerEvent,
    CustomerLabel,
    CustomerPhone,
    DuplicateCandidate,
    Label,
    Note,
)
from customers.phones import normalize_phone

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
    phones = normalize_phones(company, phones)
    emails = normalize_emails(emails)
    try:
        with transaction.atomic():
            _check_contacts_are_free(company, None, phones, emails)
            customer = Customer(company=company, **fields)
            customer.full_clean(exclude=["company"])
            customer.save()
            _replace_contacts(customer, phones, emails)
            _set_labels(customer, labels)
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
    phones = normalize_phones(company, phones)
    emails = normalize_emails(emails)
    try:
        with transaction.atomic():
            customer = Customer.objects.select_for_update().get(company=company, pk=customer.pk)
            _check_contacts_are_free(company, customer, phones, emails)
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
    except IntegrityError as error:
        raise _integrity_to_validation(error) from error
    return customer


@transaction.atomic
def delete_customer(company: Company, *, customer: Customer, actor=None) -> None:
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
    phone_owner = dict(
        CustomerPhone.objects.filter(company=company, number__in=phones).values_list("number", "customer_id")
    )
    email_owner = dict(
        CustomerEmail.objects.filter(company=company, email__in=emails).values_list("email", "customer_id")
    )
    for customer_id in [phone_owner[p] for p in phones if p in phone_owner] + [
        email_owner[e] for e in emails if e in email_owner
    ]:
        if customer_id not in matches:
            matches.append(customer_id)

    if not matches:
        customer = Customer(
            company=company,
            full_name=(name or (phones[0] if phones else emails[0]))[:255],
            acquisition_channel=source,
        )
        customer.save()
        _replace_contacts(customer, phones[:MAX_PHONES], emails[:MAX_EMAILS])
        return customer, True

    customer = Customer.objects.select_for_update().get(company=company, pk=matches[0])
    for other_id in matches[1:]:
        flag_possible_duplicate(
            company, first_id=customer.pk, second_id=other_id, reason=DuplicateCandidate.Reason.IDENTIFICATION
        )
    known_phones = list(customer.phones.values_list("number", flat=True))
    known_emails = list(customer.emails.values_list("email", flat=True))
    new_phones = [p for p in phones if p not in phone_owner]
    new_emails = [e for e in emails if e not in email_owner]
    if new_phones or new_emails:
        all_phones = (known_phones + new_phones)[:MAX_PHONES]
        all_emails = (known_emails + new_emails)[:MAX_EMAILS]
        _replace_contacts(customer, all_phones, all_emails)
    if not customer.full_name.strip() and name:
        customer.full_name = name[:255]
        customer.save(update_fields=["full_name", "updated_at"])
    return customer, False


def flag_possible_duplicate(company: Company, *, first_id: int, second_id: int, reason: str) -> None:
    low, high = sorted((first_id, second_id))
    DuplicateCandidate.objects.get_or_create(company=company, first_id=low, second_id=high, defaults={"reason": reason})


@transaction.atomic
def set_favourite(company: Company, *, customer: Customer, favourite: bool, actor=None) -> Customer:
    customer.is_favourite = favourite
    customer.save(update_fields=["is_favourite", "updated_at"])
    return customer


# Merging ----------------------------------------------------------------------------------------

# Fields copied from the duplicate when the kept customer has them empty.
MERGE_FILL_FIELDS = (
    "gender",
    "birthday",
    "region",
    "city",
    "address",
    "tax_id",
    "contact_person",
    "temperature",
    "preferred_currency",
    "preferred_language",
    "card_number",
    "other_channels",
)


def merge_customers(company: Company, *, target: Customer, duplicate: Customer, actor=None) -> Customer:
    """Folds `duplicate` into `target` and deletes it: one person, one card.

    Contacts, labels, notes, orders and everything else that points at the duplicate move to the
    target; the target's empty fields are filled from the duplicate; the figures are recomputed.
    Refused (nothing changes) when the two together have more phones or emails than one customer
    may hold.
    """
    from orders.services import refresh_customer_stats  # orders builds on customers, not the reverse

    if target.pk == duplicate.pk:
        raise ValidationError(_("A customer cannot be merged with themselves."))
    with transaction.atomic():
        locked = {
            customer.pk: customer
            for customer in Customer.objects.select_for_update()
            .filter(company=company, pk__in=[target.pk, duplicate.pk])
            .order_by("pk")
        }
        if len(locked) != 2:
            raise Customer.DoesNotExist
        target, duplicate = locked[target.pk], locked[duplicate.pk]
        phones = list(target.phones.values_list("number", flat=True))
        phones += [n for n in duplicate.phones.values_list("number", flat=True) if n not in phones]
        emails = list(target.emails.values_list("email", flat=True))
        emails += [e for e in duplicate.emails.values_list("email", flat=True) if e not in emails]
        if len(phones) > MAX_PHONES or len(emails) > MAX_EMAILS:
            raise ValidationError(
                _(
                    "Together they have %(phones)d phones and %(emails)d emails; a customer can have at most "
                    "%(max_phones)d and %(max_emails)d. Remove some first."
                )
                % {"phones": len(phones), "emails": len(emails), "max_phones": MAX_PHONES, "max_emails": MAX_EMAILS}
            )
        kept_labels = set(CustomerLabel.objects.filter(customer=target).values_list("label_id", flat=True))
        CustomerLabel.objects.bulk_create(
            [
                CustomerLabel(company=company, customer=target, label_id=label_id)
                for label_id in CustomerLabel.objects.filter(customer=duplicate).values_list("label_id", flat=True)
                if label_id not in kept_labels
            ]
        )
        _move_related_rows(duplicate, target)
        for name in MERGE_FILL_FIELDS:
            if not getattr(target, name) and getattr(duplicate, name):
                setattr(target, name, getattr(duplicate, name))
        if duplicate.internal_note and duplicate.internal_note not in target.internal_note:
            target.internal_note = "\n\n".join(filter(None, [target.internal_note, duplicate.internal_note]))[:2000]
        target.is_favourite = target.is_favourite or duplicate.is_favourite
        target.discount_percent = max(target.discount_percent, duplicate.discount_percent)
        target.created_at = min(target.created_at, duplicate.created_at)
        if duplicate.status == Customer.Status.CURRENT:
            target.status = Customer.Status.CURRENT
        absorbed = {"name": duplicate.full_name, "id": duplicate.pk}
        duplicate.delete()
        target.save()
        record_event(target, CustomerEvent.Kind.MERGED, actor=actor, absorbed=absorbed)
        _replace_contacts(target, phones, emails)
        refresh_customer_stats(target)
    target.refresh_from_db()
    return target


# Rows that must not simply be re-pointed: the duplicate's own copies go with it.
_MERGE_SKIP = {CustomerLabel, DuplicateCandidate}


def _move_related_rows(duplicate: Customer, target: Customer) -> None:
    """Re-points every row of every app that refers to the duplicate (orders, notes, contacts...).

    A relation that allows one row per customer (a quick order link) keeps the target's row when
    both have one; the duplicate's goes with it.
    """
    for relation in Customer._meta.get_fields(include_hidden=True):
        model = relation.related_model
        if not (relation.auto_created and relation.one_to_many) or model in _MERGE_SKIP:
            continue
        rows = model._base_manager.filter(**{relation.field.name: duplicate})
        if (
            _one_per_customer(model, relation.field.name)
            and model._base_manager.filter(**{relation.field.name: target}).exists()
        ):
            continue
        rows.update(**{relation.field.name: target})


def _one_per_customer(model, field_name: str) -> bool:
    return any(
        set(getattr(constraint, "fields", ())) <= {"company", field_name}
        and field_name in getattr(constraint, "fields", ())
        for constraint in model._meta.constraints
    )


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
    return label


@transaction.atomic
def update_label(company: Company, *, label: Label, name: str, color: str, actor=None) -> Label:
    name = name.strip()
    if _label_name_taken(company, name, exclude_pk=label.pk):
        raise ValidationError({"name": _("A label named “%(name)s” already exists.") % {"name": name}})
    label.name = name
    label.color = color
    label.full_clean(exclude=["company"])
    label.save()
    return label


@transaction.atomic
def delete_label(company: Company, *, label: Label, actor=None) -> None:
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
def add_label(company: Company, *, label: Label, customers: QuerySet[Customer], actor=None) -> int:
    """Adds the label to every customer of the queryset that lacks it; returns how many gained it.
    Each of them gets a "label added" entry in their history."""
    _check_same_company(company, label)
    added = 0
    ids = customers.filter(company=company).exclude(labels=label).values_list("pk", flat=True).order_by()
    batch: list[int] = []
    for customer_id in ids.iterator(chunk_size=BATCH_SIZE):
        batch.append(customer_id)
        if len(batch) >= BATCH_SIZE:
            added += _label_batch(company, label, batch, actor)
            batch = []
    return added + _label_batch(company, label, batch, actor)


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
def remove_label(company: Company, *, label: Label, customers: QuerySet[Customer], actor=None) -> int:
    _check_same_company(company, label)
    links = CustomerLabel.objects.filter(
        company=company, label=label, customer__in=customers.filter(company=company).values("pk")
    )
    customer_ids = list(links.values_list("customer_id", flat=True))
    links.delete()
    _label_events(company, label, customer_ids, CustomerEvent.Kind.LABEL_REMOVED, actor)
    return len(customer_ids)


# Notes ------------------------------------------------------------------------------------------


@transaction.atomic
def add_note(company: Company, *, customer: Customer, text: str, priority: int, actor) -> Note:
    note = Note(company=company, customer=customer, author=actor, text=text, priority=priority)
    note.full_clean(exclude=["company", "customer", "author"])
    note.save()
    return note


@transaction.atomic
def edit_note(company: Company, *, note: Note, text: str, priority: int, actor) -> Note:
    note.text = text
    note.priority = priority
    note.full_clean(exclude=["company", "customer", "author"])
    note.save()
    return note


@transaction.atomic
def delete_note(company: Company, *, note: Note, actor) -> None:
    note.delete()
