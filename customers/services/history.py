"""A customer's history (the card's timeline) and the activity log's entries about customers."""

from audit.services import record
from companies.models import Company
from customers.models import Customer, CustomerEvent


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


def _as_text(value) -> str:
    return "" if value is None else str(value)
