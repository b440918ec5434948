"""Finding customers of one company who are probably the same person.

Phones and emails are unique per company once normalized, so the pairs that remain are records
that slipped in before a correction: a phone stored under another region or format whose last ten
digits match another customer's (with the same name, or not), an email that differs only in case
or spaces, and identification requests that matched two customers (recorded as they happen by
find_or_create_customer). One scan is two grouped passes over the company's contacts.
"""

from itertools import combinations

from django.db.models import Count, F, Max, Min, QuerySet
from django.db.models.functions import Lower, Right, Trim

from companies.models import Company
from customers.models import Customer, CustomerEmail, CustomerPhone, DuplicateCandidate

PHONE_TAIL = 10  # digits that identify a number whatever country code or trunk prefix it was saved with
MAX_GROUP = 20  # a "shared" number on more records than this is a placeholder (000…), not one person


def _groups(queryset: QuerySet, key) -> list[list[int]]:
    """Customer ids that share a key, one list per key shared by more than one customer."""
    # min < max means "more than one customer" without COUNT(DISTINCT …), which would sort every
    # contact of the company; a plain grouping can hash them (docs/performance.md).
    keys = (
        queryset.annotate(key=key)
        .values("key")
        .annotate(low=Min("customer_id"), high=Max("customer_id"), contacts=Count("pk"))
        .filter(low__lt=F("high"), contacts__lte=MAX_GROUP)
        .values_list("key", flat=True)
    )
    groups: dict[str, set[int]] = {}
    rows = queryset.annotate(key=key).filter(key__in=keys).values_list("key", "customer_id")
    for value, customer_id in rows:
        groups.setdefault(value, set()).add(customer_id)
    return [sorted(ids) for ids in groups.values()]


def scan(company: Company) -> int:
    """Records every probable pair not yet known (nor dismissed); returns how many are new."""
    phones = CustomerPhone.objects.filter(company=company)
    emails = CustomerEmail.objects.filter(company=company)
    pairs: dict[tuple[int, int], str] = {}
    for ids in _groups(emails, Lower(Trim("email"))):
        for pair in combinations(ids, 2):
            pairs.setdefault(pair, DuplicateCandidate.Reason.SAME_EMAIL)
    phone_pairs = [pair for ids in _groups(phones, Right("number", PHONE_TAIL)) for pair in combinations(ids, 2)]
    names = dict(
        Customer.objects.filter(company=company, pk__in={pk for pair in phone_pairs for pk in pair}).values_list(
            "pk", "full_name"
        )
    )
    for first, second in phone_pairs:
        same_name = names.get(first, "").strip().casefold() == names.get(second, "").strip().casefold()
        pairs.setdefault(
            (first, second), DuplicateCandidate.Reason.SAME_NAME if same_name else DuplicateCandidate.Reason.SAME_PHONE
        )
    known = set(DuplicateCandidate.objects.filter(company=company).values_list("first_id", "second_id"))
    new = [
        DuplicateCandidate(company=company, first_id=first, second_id=second, reason=reason)
        for (first, second), reason in pairs.items()
        if (first, second) not in known
    ]
    DuplicateCandidate.objects.bulk_create(new, ignore_conflicts=True)  # a pair found meanwhile is kept once
    return len(new)


def open_pairs(company: Company) -> QuerySet[DuplicateCandidate]:
    """Pairs waiting for staff, newest first, each with both customers."""
    return (
        DuplicateCandidate.objects.filter(company=company, dismissed_at__isnull=True)
        .select_related("first", "second")
        .order_by("-created_at", "-id")
    )
