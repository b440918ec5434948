"""The one customer FilterSet: the list, saved segments, bulk actions, SMS audiences and exports.

Each criterion is one or a few query parameters (`orders_min=2&orders_max=5`); a criterion with a
malformed value gets an error next to it and is left out of the filter, never a 500. Relative
periods stay relative ("less than 3 months ago" is stored as 3 + months), so a saved segment
stays live. A month counts as 30 days.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import django_filters
from django import forms
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.db.models.lookups import GreaterThanOrEqual, LessThanOrEqual
from django.utils import timezone
from django.utils.dates import MONTHS
from django.utils.formats import date_format
from django.utils.functional import Promise
from django.utils.translation import gettext, ngettext, ngettext_lazy
from django.utils.translation import gettext_lazy as _

from companies import fields
from customers.models import BIRTHDAY_KEY, Customer, CustomerEmail, CustomerLabel, CustomerPhone, Label
from customers.queries import MIN_SEARCH_LENGTH, search_customers

UNIT_DAYS = {"days": 1, "weeks": 7, "months": 30}
YES_NO = [("yes", _("yes")), ("no", _("no"))]
MAX_COUNT = 1_000_000
MAX_PERIOD = 10_000


def _validate_search_term(value: str) -> None:
    term = value.strip()
    if term and len([ch for ch in term if ch.isalnum()]) < MIN_SEARCH_LENGTH:
        raise forms.ValidationError(
            _("Type at least %(count)d letters or digits to search."), params={"count": MIN_SEARCH_LENGTH}
        )


@dataclass(frozen=True)
class Criterion:
    """A row of the filter panel: its label and the query parameters it owns."""

    key: str
    label: Promise
    fields: tuple[str, ...]


CRITERIA = [
    Criterion(
        "activity",
        _("Last activity"),
        ("activity", "activity_n", "activity_n2", "activity_unit", "activity_from", "activity_to"),
    ),
    Criterion("actions", _("Orders and messages"), ("actions_min", "actions_max")),
    Criterion("orders", _("Orders"), ("orders_min", "orders_max")),
    Criterion("orders_sum", _("Orders sum"), ("sum_min", "sum_max")),
    Criterion("first_order", _("First order"), ("first_order_from", "first_order_to")),
    Criterion("last_order", _("Last order"), ("last_order_from", "last_order_to")),
    Criterion("added", _("Date added"), ("added_from", "added_to")),
    Criterion("labels", _("Labels"), ("labels_mode", "labels")),
    Criterion("gender", _("Gender"), ("gender",)),
    Criterion("age", _("Age"), ("age_min", "age_max")),
    Criterion("birthday_soon", _("Birthday soon"), ("birthday_days",)),
    Criterion("birthday_month", _("Birthday month"), ("birthday_month",)),
    Criterion("region", _("Region"), ("region",)),
    Criterion("city", _("City"), ("city",)),
    Criterion("status", _("Status"), ("status",)),
    Criterion("temperature", _("Temperature"), ("temperature",)),
    Criterion("reviewed", _("Reviewed the company"), ("reviewed",)),
    Criterion("messaged", _("Wrote to the company"), ("messaged",)),
    Criterion("channel", _("Acquisition channel"), ("channel",)),
    Criterion("favourite", _("Favourite"), ("favourite",)),
    Criterion("blocked", _("Blocked"), ("blocked",)),
    Criterion("sms_consent", _("Consents to SMS"), ("sms_consent",)),
    Criterion("email_consent", _("Consents to email"), ("email_consent",)),
    Criterion("push_consent", _("Consents to push"), ("push_consent",)),
    Criterion("has_email", _("Has an email"), ("has_email",)),
    Criterion("has_phone", _("Has a phone"), ("has_phone",)),
    Criterion("has_push", _("Push: subscribed"), ("has_push",)),
    Criterion("sms_sent", _("SMS sent"), ("sms_sent_from", "sms_sent_to")),
    Criterion("no_message", _("No message for"), ("no_message_days",)),
]
CRITERIA_BY_KEY = {criterion.key: criterion for criterion in CRITERIA}
YES_NO_CRITERIA = (
    "reviewed",
    "messaged",
    "favourite",
    "blocked",
    "sms_consent",
    "email_consent",
    "push_consent",
    "has_email",
    "has_phone",
    "has_push",
)
# Every parameter the filter reads; anything else in a query string (page, sort, segment) is not a criterion.
FILTER_PARAMS = ("q", *(name for criterion in CRITERIA for name in criterion.fields))


def _int(label, *, minimum=0, maximum=MAX_COUNT):
    return django_filters.NumberFilter(
        label=label,
        method="skip",
        min_value=minimum,
        max_value=maximum,
        widget=forms.NumberInput(attrs={"class": "form-control form-control-sm", "step": "1"}),
    )


def _date(label):
    return django_filters.DateFilter(
        label=label,
        method="skip",
        widget=forms.DateInput(attrs={"type": "date", "class": "form-control form-control-sm"}),
    )


def _choice(label, choices, empty_label=None):
    return django_filters.ChoiceFilter(
        label=label,
        choices=choices,
        method="skip",
        empty_label=empty_label,
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
    )


def _text(label):
    return django_filters.CharFilter(
        label=label,
        method="skip",
        max_length=100,
        widget=forms.TextInput(attrs={"class": "form-control form-control-sm"}),
    )


class CustomerFilterForm(forms.Form):
    """Cross-field checks: an inverted range is an error on its upper bound, which then drops out."""

    RANGES = [
        ("actions_min", "actions_max"),
        ("orders_min", "orders_max"),
        ("sum_min", "sum_max"),
        ("first_order_from", "first_order_to"),
        ("last_order_from", "last_order_to"),
        ("added_from", "added_to"),
        ("age_min", "age_max"),
        ("activity_from", "activity_to"),
        ("sms_sent_from", "sms_sent_to"),
    ]

    def clean(self):
        cleaned = super().clean()
        no_dates = not (cleaned.get("activity_from") or cleaned.get("activity_to") or self.errors.get("activity_to"))
        for low, high in self.RANGES:
            if cleaned.get(low) is not None and cleaned.get(high) is not None and cleaned[low] > cleaned[high]:
                self.add_error(high, _("This is less than the lower bound."))
                cleaned.pop(low, None)  # the whole criterion drops out, not just its upper bound
        activity = cleaned.get("activity")
        n, n2 = cleaned.get("activity_n"), cleaned.get("activity_n2")
        if activity in ("lt", "gt") and n is None and "activity_n" not in self.errors:
            self.add_error("activity_n", _("Enter a number."))
        if activity == "range":
            for name in ("activity_n", "activity_n2"):
                if cleaned.get(name) is None and name not in self.errors:
                    self.add_error(name, _("Enter a number."))
            if n is not None and n2 is not None and n > n2:
                self.add_error("activity_n2", _("This is less than the lower bound."))
        if activity == "dates" and no_dates and "activity_from" not in self.errors:
            self.add_error("activity_from", _("Enter a date."))
        return cleaned


class CustomerFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label=_("Search"),
        method="filter_search",
        max_length=100,
        validators=[_validate_search_term],
        widget=forms.TextInput(
            attrs={"placeholder": _("Name, phone or email"), "type": "search", "autocomplete": "off"}
        ),
    )
    activity = _choice(
        _("Last activity"),
        [
            ("lt", _("less than")),
            ("gt", _("more than")),
            ("range", _("between")),
            ("dates", _("between dates")),
            ("never", _("never")),
        ],
    )
    activity_n = _int(_("how long"), minimum=1, maximum=MAX_PERIOD)
    activity_n2 = _int(_("and"), minimum=1, maximum=MAX_PERIOD)
    activity_unit = _choice(
        _("unit"), [("days", _("days ago")), ("weeks", _("weeks ago")), ("months", _("months ago"))]
    )
    activity_from = _date(_("from"))
    activity_to = _date(_("to"))
    actions_min = _int(_("from"))
    actions_max = _int(_("to"))
    orders_min = _int(_("from"))
    orders_max = _int(_("to"))
    sum_min = django_filters.NumberFilter(
        label=_("from"),
        method="skip",
        min_value=0,
        max_digits=14,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"class": "form-control form-control-sm", "step": "0.01"}),
    )
    sum_max = django_filters.NumberFilter(
        label=_("to"),
        method="skip",
        min_value=0,
        max_digits=14,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"class": "form-control form-control-sm", "step": "0.01"}),
    )
    first_order_from = _date(_("from"))
    first_order_to = _date(_("to"))
    last_order_from = _date(_("from"))
    last_order_to = _date(_("to"))
    added_from = _date(_("from"))
    added_to = _date(_("to"))
    labels_mode = _choice(_("match"), [("any", _("has any of")), ("all", _("has all of")), ("none", _("has none of"))])
    labels = fields.ModelMultipleChoiceFilter(
        label=_("labels"),
        queryset=Label.objects.none(),  # the company's labels, set per filter below
        method="skip",
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
        error_messages={"invalid_choice": _("A label of this criterion was deleted; the criterion no longer applies.")},
    )
    gender = _choice(_("Gender"), [*Customer.Gender.choices, ("unknown", _("not given"))])
    age_min = _int(_("from"), maximum=150)
    age_max = _int(_("to"), maximum=150)
    birthday_days = _int(_("within the next days"), maximum=366)
    birthday_month = _choice(_("month"), [(str(number), name) for number, name in MONTHS.items()])
    region = _text(_("Region"))
    city = _text(_("City"))
    status = _choice(_("Status"), Customer.Status.choices)
    temperature = _choice(_("Temperature"), Customer.Temperature.choices)
    reviewed = _choice(_("Reviewed the company"), YES_NO)
    messaged = _choice(_("Wrote to the company"), YES_NO)
    channel = _choice(_("Acquisition channel"), Customer.Channel.choices)
    favourite = _choice(_("Favourite"), [("true", _("yes")), ("false", _("no"))])
    blocked = _choice(_("Blocked"), YES_NO)
    sms_consent = _choice(_("Consents to SMS"), YES_NO)
    email_consent = _choice(_("Consents to email"), YES_NO)
    push_consent = _choice(_("Consents to push"), YES_NO)
    has_email = _choice(_("Has an email"), YES_NO)
    has_phone = _choice(_("Has a phone"), YES_NO)
    has_push = _choice(_("Push: subscribed"), YES_NO)
    sms_sent_from = _date(_("from"))
    sms_sent_to = _date(_("to"))
    no_message_days = _int(_("days"), minimum=1, maximum=MAX_PERIOD)

    class Meta:
        form = CustomerFilterForm

    def __init__(self, *args, company, **kwargs):
        self.company = company
        super().__init__(*args, **kwargs)
        self.filters["labels"].queryset = Label.objects.filter(company=company).order_by("name")

    def skip(self, queryset, name, value):
        """Parameters of a criterion are applied together in filter_queryset."""
        return queryset

    def filter_search(self, queryset, name, value):
        if not value.strip():
            return queryset
        return search_customers(self.company, queryset, value)

    def filter_queryset(self, queryset: QuerySet[Customer]) -> QuerySet[Customer]:
        queryset = super().filter_queryset(queryset)
        condition = criteria_condition(self.form.cleaned_data, now=timezone.now())
        return queryset.filter(condition) if condition else queryset


def criteria_condition(data: dict, *, now: datetime) -> Q:
    """The criteria of validated form data as one condition (ANDed); invalid ones are absent."""
    q = Q()
    q &= _activity(data, now)
    actions = F("orders_count") + F("messages_count")
    if data.get("actions_min") is not None:
        q &= Q(GreaterThanOrEqual(actions, int(data["actions_min"])))
    if data.get("actions_max") is not None:
        q &= Q(LessThanOrEqual(actions, int(data["actions_max"])))
    q &= _between("orders_count", data.get("orders_min"), data.get("orders_max"))
    q &= _between("orders_sum", data.get("sum_min"), data.get("sum_max"))
    for prefix, field in (("first_order", "first_order_at"), ("last_order", "last_order_at"), ("added", "created_at")):
        q &= _dates(field, data.get(f"{prefix}_from"), data.get(f"{prefix}_to"))
    q &= _labels(data.get("labels_mode") or "any", list(data.get("labels") or ()))
    gender = data.get("gender")
    if gender:
        q &= Q(gender="" if gender == "unknown" else gender)
    q &= _age(data.get("age_min"), data.get("age_max"), now)
    if data.get("birthday_days") is not None:
        q &= _birthday_within(int(data["birthday_days"]), timezone.localdate(now))
    if data.get("birthday_month"):
        q &= Q(birthday__month=int(data["birthday_month"]))
    for name in ("region", "city"):
        if (data.get(name) or "").strip():
            q &= Q(**{f"{name}__iexact": data[name].strip()})
    for name, field in (("status", "status"), ("temperature", "temperature"), ("channel", "acquisition_channel")):
        if data.get(name):
            q &= Q(**{field: data[name]})
    q &= _yes_no(data.get("reviewed"), Q(company_reviews_count__gt=0))
    q &= _yes_no(data.get("messaged"), Q(messages_count__gt=0))
    q &= _yes_no({"true": "yes", "false": "no"}.get(data.get("favourite")), Q(is_favourite=True))
    q &= _yes_no(data.get("blocked"), Q(is_blocked=True))
    for channel in ("sms", "email", "push"):
        q &= _yes_no(data.get(f"{channel}_consent"), Q(**{f"{channel}_consent": True}))
    q &= _yes_no(data.get("has_email"), Exists(CustomerEmail.objects.filter(customer=OuterRef("pk"))))
    q &= _yes_no(data.get("has_phone"), Exists(CustomerPhone.objects.filter(customer=OuterRef("pk"))))
    if data.get("has_push"):
        # Turned on notifications on their quick order link (messaging's subscriptions).
        subscriptions = Customer.push_subscriptions.rel.related_model.objects.filter(customer=OuterRef("pk"))
        q &= _yes_no(data["has_push"], Exists(subscriptions))
    if data.get("sms_sent_from") or data.get("sms_sent_to"):
        sent = _messages().filter(channel="sms", direction="out", status__in=WENT)
        q &= Q(Exists(sent.filter(_dates("sent_at", data.get("sms_sent_from"), data.get("sms_sent_to")))))
    if data.get("no_message_days") is not None:
        since = now - timedelta(days=int(data["no_message_days"]))
        q &= ~Q(Exists(_messages().filter(direction="out", status__in=WENT, created_at__gte=since)))
    return q


WENT = ("sent", "delivered", "unknown")  # messaging.Message statuses of a message that (may have) reached them


def _messages() -> QuerySet:
    """A customer's messages, through the reverse relation the messaging app adds (customers sit
    below it and do not import it)."""
    return Customer.messages.rel.related_model.objects.filter(customer=OuterRef("pk"))


def _activity(data: dict, now: datetime) -> Q:
    kind, unit = data.get("activity"), data.get("activity_unit") or "days"
    n, n2 = data.get("activity_n"), data.get("activity_n2")
    ago = lambda count: now - timedelta(days=int(count) * UNIT_DAYS[unit])  # noqa: E731
    if kind == "lt" and n is not None:
        return Q(last_activity_at__gte=ago(n))
    if kind == "gt" and n is not None:
        return Q(last_activity_at__lt=ago(n))
    if kind == "range" and n is not None and n2 is not None and n <= n2:
        return Q(last_activity_at__lt=ago(n), last_activity_at__gte=ago(n2))
    if kind == "dates":
        return _dates("last_activity_at", data.get("activity_from"), data.get("activity_to"))
    if kind == "never":
        return Q(last_activity_at__isnull=True)
    return Q()


def _between(field: str, low, high) -> Q:
    q = Q()
    if low is not None:
        q &= Q(**{f"{field}__gte": low})
    if high is not None:
        q &= Q(**{f"{field}__lte": high})
    return q


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, datetime.min.time()))


def _dates(field: str, start: date | None, end: date | None) -> Q:
    """Whole days in the current (the company's) time zone, as instants the index can use."""
    q = Q()
    if start:
        q &= Q(**{f"{field}__gte": _start_of(start)})
    if end:
        q &= Q(**{f"{field}__lt": _start_of(end + timedelta(days=1))})
    return q


def _labels(mode: str, labels: list[Label]) -> Q:
    if not labels:
        return Q()

    def has(label_ids):
        return Exists(CustomerLabel.objects.filter(customer=OuterRef("pk"), label_id__in=label_ids))

    ids = [label.pk for label in labels]
    if mode == "all":
        q = Q()
        for label_id in ids:
            q &= Q(has([label_id]))
        return q
    if mode == "none":
        return ~Q(has(ids))
    return Q(has(ids))


def _years_ago(today: date, years: int) -> date:
    try:
        return today.replace(year=today.year - years)
    except ValueError:  # 29 February
        return today.replace(year=today.year - years, day=28)


def _age(low, high, now: datetime) -> Q:
    today = timezone.localdate(now)
    q = Q()
    if low is not None:  # at least `low` years old: born on or before this day `low` years ago
        q &= Q(birthday__lte=_years_ago(today, int(low)))
    if high is not None:  # at most `high`: born after this day `high + 1` years ago
        q &= Q(birthday__gt=_years_ago(today, int(high) + 1))
    return q


def birthday_ranges(days: int, today: date) -> list[tuple[int, int]]:
    """Birthdays from today through `days` days ahead as ranges of BIRTHDAY_KEY, in date order:
    one range, or two when the days run into the new year."""
    end = today + timedelta(days=days)
    first, last = today.month * 100 + today.day, end.month * 100 + end.day
    if end.year == today.year:
        return [(first, last)]
    return [(first, 1231), (101, last)]


def _birthday_within(days: int, today: date) -> Q:
    q = Q()
    for low, high in birthday_ranges(days, today):
        q |= Q(GreaterThanOrEqual(BIRTHDAY_KEY, low), LessThanOrEqual(BIRTHDAY_KEY, high))
    return q


def _yes_no(value: str | None, condition) -> Q:
    if value == "yes":
        return Q(condition)
    if value == "no":
        return ~Q(condition)
    return Q()


# Plain words -------------------------------------------------------------------------------------


def describe_form(form) -> list[str]:
    """A validated filter form's criteria in plain words, leaving out the ones with errors."""
    return describe({key: value for key, value in form.cleaned_data.items() if key not in form.errors})


def describe(data: dict) -> list[str]:
    """The criteria of validated form data in plain words, for a segment's rule."""
    words: list[str] = []
    for criterion in CRITERIA:
        text = _describe(criterion.key, data)
        if text:
            words.append(str(text))
    return words


# Range criteria in plain words: (lower parameter, upper parameter, exactly n, n or more, at most n,
# low to high).
RANGE_WORDS = {
    "actions": (
        "actions_min",
        "actions_max",
        ngettext_lazy("%(n)s order or message", "%(n)s orders and messages", "n"),
        _("%(n)s+ orders and messages"),
        _("at most %(n)s orders and messages"),
        _("%(low)s–%(high)s orders and messages"),
    ),
    "orders": (
        "orders_min",
        "orders_max",
        ngettext_lazy("ordered %(n)s time", "ordered %(n)s times", "n"),
        _("ordered %(n)s+ times"),
        _("ordered at most %(n)s times"),
        _("ordered %(low)s–%(high)s times"),
    ),
    "orders_sum": (
        "sum_min",
        "sum_max",
        _("orders sum %(n)s"),
        _("orders sum at least %(n)s"),
        _("orders sum at most %(n)s"),
        _("orders sum %(low)s–%(high)s"),
    ),
    "age": (
        "age_min",
        "age_max",
        _("aged %(n)s"),
        _("aged %(n)s or more"),
        _("aged %(n)s or less"),
        _("aged %(low)s–%(high)s"),
    ),
}


def _plain_number(value):
    """2 rather than 2.00 or Decimal('2'); 20000.50 as it is."""
    return None if value is None else int(value) if value == int(value) else value


def _range_words(low, high, exact, at_least, at_most, between) -> str:
    low, high = _plain_number(low), _plain_number(high)
    if low is not None and high is not None:
        return exact % {"n": low} if low == high else between % {"low": low, "high": high}
    if low is not None:
        return at_least % {"n": low}
    if high is not None:
        return at_most % {"n": high}
    return ""


def _describe(key: str, data: dict) -> str:  # one branch per criterion reads best

    def day(value):
        return date_format(value, "SHORT_DATE_FORMAT")

    def dates(label, start, end):
        if start and end:
            return gettext("%(what)s %(start)s – %(end)s") % {"what": label, "start": day(start), "end": day(end)}
        if start:
            return gettext("%(what)s from %(start)s") % {"what": label, "start": day(start)}
        if end:
            return gettext("%(what)s until %(end)s") % {"what": label, "end": day(end)}
        return ""

    yes_no = {"yes": True, "no": False, "true": True, "false": False}
    if key == "activity":
        kind, unit = data.get("activity"), data.get("activity_unit") or "days"
        n, n2 = data.get("activity_n"), data.get("activity_n2")
        units = {
            "days": lambda c: ngettext("%(n)d day", "%(n)d days", c) % {"n": c},
            "weeks": lambda c: ngettext("%(n)d week", "%(n)d weeks", c) % {"n": c},
            "months": lambda c: ngettext("%(n)d month", "%(n)d months", c) % {"n": c},
        }[unit]
        if kind == "lt" and n is not None:
            return gettext("last activity under %(period)s ago") % {"period": units(int(n))}
        if kind == "gt" and n is not None:
            return gettext("last activity over %(period)s ago") % {"period": units(int(n))}
        if kind == "range" and n is not None and n2 is not None:
            return gettext("last activity %(low)s to %(high)s ago") % {"low": units(int(n)), "high": units(int(n2))}
        if kind == "dates":
            return dates(gettext("last activity"), data.get("activity_from"), data.get("activity_to"))
        if kind == "never":
            return gettext("no activity yet")
        return ""
    if key in RANGE_WORDS:
        low_name, high_name, *words = RANGE_WORDS[key]
        return _range_words(data.get(low_name), data.get(high_name), *words)
    if key == "sms_sent":
        return dates(gettext("SMS sent"), data.get("sms_sent_from"), data.get("sms_sent_to"))
    if key == "no_message" and data.get("no_message_days") is not None:
        days = int(data["no_message_days"])
        return ngettext("no message for %(n)d day", "no message for %(n)d days", days) % {"n": days}
    if key in ("first_order", "last_order", "added"):
        label = {"first_order": gettext("first order"), "last_order": gettext("last order"), "added": gettext("added")}[
            key
        ]
        return dates(label, data.get(f"{key}_from"), data.get(f"{key}_to"))
    if key == "labels":
        labels = list(data.get("labels") or ())
        if not labels:
            return ""
        names = ", ".join(label.name for label in labels)
        mode = data.get("labels_mode") or "any"
        template = {
            "any": ngettext("label %(names)s", "any of labels %(names)s", len(labels)),
            "all": ngettext("label %(names)s", "all of labels %(names)s", len(labels)),
            "none": ngettext("without label %(names)s", "none of labels %(names)s", len(labels)),
        }[mode]
        return template % {"names": names}
    if key == "birthday_soon" and data.get("birthday_days") is not None:
        days = int(data["birthday_days"])
        return ngettext("birthday within %(n)d day", "birthday within %(n)d days", days) % {"n": days}
    if key == "birthday_month" and data.get("birthday_month"):
        return gettext("birthday in %(month)s") % {"month": MONTHS[int(data["birthday_month"])]}
    if key in ("region", "city") and (data.get(key) or "").strip():
        return f"{CRITERIA_BY_KEY[key].label}: {data[key].strip()}"
    if key in ("gender", "status", "temperature", "channel") and data.get(key):
        field = CustomerFilter.base_filters[key]
        choice = dict(field.extra["choices"]).get(data[key], data[key])
        return f"{CRITERIA_BY_KEY[key].label}: {choice}"
    if key in YES_NO_CRITERIA:
        value = yes_no.get(data.get(key) or "")
        if value is None:
            return ""
        return f"{CRITERIA_BY_KEY[key].label}: {gettext('yes') if value else gettext('no')}"
    return ""
