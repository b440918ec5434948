"""The filter panel's rows and the group-by panel: which criteria show, what adding one puts in
the URL, how to remove one, and the counts per value within the current filter."""

from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Case, Count, F, IntegerField, Q, QuerySet, Value, When
from django.http import QueryDict
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from customers.filters import CRITERIA, CRITERIA_BY_KEY, UNIT_DAYS, Criterion, CustomerFilter
from customers.models import Customer, CustomerLabel, Label

# What a criterion starts with when added, so that the row shows a working filter at once.
ADD_DEFAULTS = {
    "activity": {"activity": "lt", "activity_n": "3", "activity_unit": "months"},
    "actions": {"actions_min": "1"},
    "orders": {"orders_min": "1"},
    "labels": {"labels_mode": "any"},
    "gender": {"gender": "female"},
    "birthday_soon": {"birthday_days": "7"},
    "status": {"status": "current"},
    "temperature": {"temperature": "hot"},
    "reviewed": {"reviewed": "yes"},
    "messaged": {"messaged": "yes"},
    "channel": {"channel": "order"},
    "favourite": {"favourite": "true"},
    "blocked": {"blocked": "yes"},
    "sms_consent": {"sms_consent": "yes"},
    "email_consent": {"email_consent": "yes"},
    "push_consent": {"push_consent": "yes"},
    "has_email": {"has_email": "yes"},
    "has_phone": {"has_phone": "yes"},
}
# Parameters that are not criteria but travel with the list.
KEPT_PARAMS = ("q", "per_page", "sort", "segment")


@dataclass
class Row:
    criterion: Criterion
    fields: list
    remove_url: str
    errors: list[str]


def _is_active(criterion: Criterion, data: QueryDict) -> bool:
    return any(name in data for name in criterion.fields)


def with_criterion(data: QueryDict, key: str) -> str:
    query = data.copy()
    for name in ("add", "page"):
        query.pop(name, None)
    criterion = CRITERIA_BY_KEY[key]
    if not _is_active(criterion, query):
        defaults = ADD_DEFAULTS.get(key) or {criterion.fields[0]: ""}
        if key == "birthday_month":
            defaults = {"birthday_month": str(timezone.localdate().month)}
        for name, value in defaults.items():
            query[name] = value
    return query.urlencode()


def without(data: QueryDict, names) -> str:
    query = data.copy()
    for name in (*names, "page", "add"):
        query.pop(name, None)
    return query.urlencode()


# Which of the activity criterion's inputs each kind of period uses.
ACTIVITY_INPUTS = {
    "lt": ("activity", "activity_n", "activity_unit"),
    "gt": ("activity", "activity_n", "activity_unit"),
    "range": ("activity", "activity_n", "activity_n2", "activity_unit"),
    "dates": ("activity", "activity_from", "activity_to"),
    "never": ("activity",),
}


def criteria_rows(filterset: CustomerFilter, data: QueryDict) -> list[Row]:
    form = filterset.form
    list_url = reverse("customers:list")
    rows = []
    for criterion in CRITERIA:
        if not _is_active(criterion, data):
            continue
        names = criterion.fields
        if criterion.key == "activity":
            names = ACTIVITY_INPUTS.get(data.get("activity", ""), criterion.fields)
        errors = [str(error) for name in names for error in form.errors.get(name, [])]
        rows.append(
            Row(
                criterion=criterion,
                fields=[form[name] for name in names],
                remove_url=f"{list_url}?{without(data, criterion.fields)}",
                errors=errors,
            )
        )
    return rows


def addable_criteria(data: QueryDict) -> list[Criterion]:
    return [criterion for criterion in CRITERIA if not _is_active(criterion, data)]


# Group by ----------------------------------------------------------------------------------------

GROUP_BY_CHOICES = [
    ("region", _("Region")),
    ("label", _("Label")),
    ("gender", _("Gender")),
    ("reviewed", _("Reviewed the company")),
    ("messaged", _("Wrote to the company")),
    ("activity", _("Last activity")),
    ("actions", _("Orders and messages")),
    ("status", _("Status")),
    ("temperature", _("Temperature")),
]
GROUP_LIMIT = 30


@dataclass
class Group:
    name: str
    count: int
    params: dict  # the criterion parameters that narrow the list to this value


# Activity buckets in months (30 days), newest first: (low, high) in the filter's "range" sense.
ACTIVITY_BUCKETS = [
    (None, 1, _("under a month ago")),
    (1, 3, _("1–3 months ago")),
    (3, 6, _("3–6 months ago")),
    (6, 12, _("6–12 months ago")),
    (12, None, _("over a year ago")),
]
ACTION_BUCKETS = [(0, 0), (1, 1), (2, 3), (4, 10), (11, None)]


def group_counts(company, customers: QuerySet[Customer], by: str, *, filtered: bool = True) -> list[Group]:
    """How many of the filtered customers have each value of `by`, most first.

    `filtered=False` says `customers` is the whole company, which lets label counts come from the
    label index alone instead of joining every customer."""
    customers = customers.order_by()
    if by == "label":
        return _by_label(company, customers, filtered=filtered)
    if by in ("reviewed", "messaged"):
        return _by_yes_no(customers, by)
    if by == "activity":
        return _by_activity(customers)
    if by == "actions":
        return _by_actions(customers)
    return _by_field(customers, by)


def _by_label(company, customers, *, filtered: bool) -> list[Group]:
    links = CustomerLabel.objects.filter(company=company)
    if filtered:
        links = links.filter(customer__in=customers.values("pk"))
    rows = links.values("label").annotate(n=Count("pk")).order_by("-n")[:GROUP_LIMIT]
    names = dict(Label.objects.filter(company=company).values_list("pk", "name"))
    return [
        Group(names.get(row["label"], "?"), row["n"], {"labels_mode": "any", "labels": row["label"]}) for row in rows
    ]


FIELD_CHOICES = {
    "gender": dict(Customer.Gender.choices),
    "status": dict(Customer.Status.choices),
    "temperature": dict(Customer.Temperature.choices),
    "region": {},
}


def _by_field(customers, by: str) -> list[Group]:
    choices = FIELD_CHOICES[by]
    groups = []
    for row in customers.values(by).annotate(n=Count("pk")).order_by("-n", by)[:GROUP_LIMIT]:
        value = row[by]
        if value:
            groups.append(Group(str(choices.get(value, value)), row["n"], {by: value}))
        else:  # only "gender not given" can be filtered on
            groups.append(Group(str(_("not given")), row["n"], {"gender": "unknown"} if by == "gender" else None))
    return groups


def _by_yes_no(customers, by: str) -> list[Group]:
    field = "company_reviews_count" if by == "reviewed" else "messages_count"
    figures = customers.aggregate(yes=Count("pk", filter=Q(**{f"{field}__gt": 0})), total=Count("pk"))
    return [
        Group(str(_("yes")), figures["yes"], {by: "yes"}),
        Group(str(_("no")), figures["total"] - figures["yes"], {by: "no"}),
    ]


def _activity_params(low, high) -> dict:
    if low is None:
        return {"activity": "lt", "activity_n": high, "activity_unit": "months"}
    if high is None:
        return {"activity": "gt", "activity_n": low, "activity_unit": "months"}
    return {"activity": "range", "activity_n": low, "activity_n2": high, "activity_unit": "months"}


def _by_activity(customers) -> list[Group]:
    now = timezone.now()
    whens = []
    for index, (low, high, _label) in enumerate(ACTIVITY_BUCKETS):
        condition = {}
        if low is not None:
            condition["last_activity_at__lt"] = now - timedelta(days=low * UNIT_DAYS["months"])
        if high is not None:
            condition["last_activity_at__gte"] = now - timedelta(days=high * UNIT_DAYS["months"])
        whens.append(When(**condition, then=Value(index)))
    never = len(ACTIVITY_BUCKETS)
    bucket = Case(*whens, default=Value(never), output_field=IntegerField())
    counts = dict(customers.annotate(bucket=bucket).values("bucket").annotate(n=Count("pk")).values_list("bucket", "n"))
    groups = [
        Group(str(label), counts.get(index, 0), _activity_params(low, high))
        for index, (low, high, label) in enumerate(ACTIVITY_BUCKETS)
    ]
    groups.append(Group(str(_("no activity yet")), counts.get(never, 0), {"activity": "never"}))
    return groups


def _by_actions(customers) -> list[Group]:
    whens = []
    for index, (low, high) in enumerate(ACTION_BUCKETS):
        condition = {"actions__gte": low} | ({"actions__lte": high} if high is not None else {})
        whens.append(When(**condition, then=Value(index)))
    rows = (
        customers.alias(actions=F("orders_count") + F("messages_count"))
        .annotate(bucket=Case(*whens, output_field=IntegerField()))
        .values("bucket")
        .annotate(n=Count("pk"))
        .values_list("bucket", "n")
    )
    counts = dict(rows)
    groups = []
    for index, (low, high) in enumerate(ACTION_BUCKETS):
        name = str(low) if low == high else f"{low}+" if high is None else f"{low}–{high}"
        params = {"actions_min": low} | ({"actions_max": high} if high is not None else {})
        groups.append(Group(name, counts.get(index, 0), params))
    return groups


def narrowed(data: QueryDict, params: dict) -> str:
    """The current filter with a group's criterion set (replacing that criterion's old values)."""
    first = next(iter(params))
    criterion = next(c for c in CRITERIA if first in c.fields)
    query = QueryDict(without(data, criterion.fields), mutable=True)
    for name, value in params.items():
        query[name] = str(value)
    return query.urlencode()
