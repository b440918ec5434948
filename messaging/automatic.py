"""Automatic messages: sent by the company itself when an order comes through the quick order
link or changes status, and on a customer's birthday. Each is switched on per company and event,
with a default text in the company's language; each occasion sends at most once (the message's
`event` key is unique per company), so a repeated signal or a second run of the birthday task
sends nothing more."""

import logging
from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from audit.services import SYSTEM, Action, record
from companies.models import Company
from customers.models import BIRTHDAY_KEY, Customer
from messaging import services
from messaging.campaigns import check_variables, quiet_until, render, settings_for
from messaging.models import AutoMessage, Channel, Message
from quicklinks.services import links_for

logger = logging.getLogger(__name__)
Event = AutoMessage.Event

DEFAULT_TEXTS = {
    Event.QUICK_LINK_ORDER: gettext_noop("{first_name}, we have your order #{order}. We will be in touch soon."),
    Event.ORDER_CONFIRMED: gettext_noop("{first_name}, your order #{order} is confirmed."),
    Event.ORDER_IN_PRODUCTION: gettext_noop("{first_name}, your order #{order} is being made."),
    Event.ORDER_SHIPPED: gettext_noop("{first_name}, your order #{order} is on its way to you."),
    Event.ORDER_COMPLETED: gettext_noop("{first_name}, thank you for your order #{order}!"),
    Event.ORDER_CANCELLED: gettext_noop("{first_name}, your order #{order} is cancelled."),
    Event.BIRTHDAY: gettext_noop("Happy birthday, {first_name}! Best wishes from {company}."),
}
# An order's status → the event it sends (orders.Order.Status values; orders is not imported).
STATUS_EVENTS = {
    "confirmed": Event.ORDER_CONFIRMED,
    "in_production": Event.ORDER_IN_PRODUCTION,
    "shipped": Event.ORDER_SHIPPED,
    "completed": Event.ORDER_COMPLETED,
    "cancelled": Event.ORDER_CANCELLED,
}
BASE_VARIABLES = ("name", "first_name", "link", "company")
ORDER_VARIABLES = (*BASE_VARIABLES, "order")
BIRTHDAY_HOUR = 10  # greetings go from this hour of the company's day, outside its quiet hours


def variables_for(event: str) -> tuple[str, ...]:
    return BASE_VARIABLES if event == Event.BIRTHDAY else ORDER_VARIABLES


def default_text(company: Company, event: str) -> str:
    with translation.override(company.language or None):
        return _(DEFAULT_TEXTS[event])


def auto_messages(company: Company) -> list[AutoMessage]:
    """One per event, in the order of the events: the company's, or the default (off)."""
    saved = {auto.event: auto for auto in AutoMessage.objects.filter(company=company)}
    return [
        saved.get(event) or AutoMessage(company=company, event=event, text=default_text(company, event))
        for event in Event.values
    ]


def _check(event: str, channel: str, text: str) -> str:
    text = services.check_text(channel, text)
    check_variables(text, variables_for(event))
    return text


@transaction.atomic
def save_auto_messages(company: Company, *, values: dict[str, dict], actor) -> list[AutoMessage]:
    """Saves every event's switch, channel and text; a ValidationError keyed by "<event>" names
    each text that cannot be sent, and then nothing is saved."""
    errors, changes, rows = {}, [], []
    for auto in auto_messages(company):
        given = values.get(auto.event, {})
        enabled, channel = bool(given.get("enabled")), given.get("channel") or auto.channel
        if channel not in (Channel.SMS, Channel.EMAIL):
            errors[auto.event] = _("Choose SMS or email.")
            continue
        try:
            text = _check(auto.event, channel, given.get("text", auto.text))
        except ValidationError as error:
            errors[auto.event] = " ".join(error.messages)
            continue
        for name, new in (("enabled", enabled), ("channel", channel), ("text", text)):
            old = getattr(auto, name)
            if auto.pk is None or old != new:
                changes.append(
                    {"field": f"{auto.event}.{name}", "old": "" if auto.pk is None else str(old), "new": str(new)}
                )
                setattr(auto, name, new)
        rows.append(auto)
    if errors:
        raise ValidationError(errors)
    for auto in rows:
        auto.save()
    if changes:
        record(company, actor=actor, action=Action.AUTO_MESSAGES_CHANGED, changes=changes)
    return rows


def send_automatic(
    company: Company, *, event: str, customer: Customer, key: str, auto: AutoMessage | None = None, **values
) -> Message | None:
    """The company's message for `event` to `customer`, if it is switched on, they can get it and
    this occasion (`key`) has had none yet. Inside the caller's transaction."""
    auto = auto or AutoMessage.objects.filter(company=company, event=event, enabled=True).first()
    if auto is None or Message.objects.filter(company=company, event=key).exists():
        return None
    link = links_for(company, [customer]).get(customer.pk, "") if "{link}" in auto.text else ""
    text = render(auto.text, customer, link, company=company.name, **values)
    try:
        with transaction.atomic():
            return services.send_to_customer(
                company, customer=customer, channel=auto.channel, text=text, actor=SYSTEM, event=key
            )
    except ValidationError as error:  # blocked, opted out, no phone: nothing goes, nothing fails
        logger.info("no %s message to customer %s: %s", event, customer.pk, " ".join(error.messages))
        return None


def order_placed(sender, *, company: Company, order, **kwargs) -> None:
    if order.source == "quick_link":
        send_automatic(
            company,
            event=Event.QUICK_LINK_ORDER,
            customer=order.customer,
            key=f"order:{order.pk}:placed",
            order=str(order.number),
        )


def order_status_changed(sender, *, company: Company, order, previous: str, **kwargs) -> None:
    event = STATUS_EVENTS.get(order.status)
    if event:
        send_automatic(
            company,
            event=event,
            customer=order.customer,
            key=f"order:{order.pk}:{order.status}",
            order=str(order.number),
        )


def birthday_keys(day: date) -> list[int]:
    """The BIRTHDAY_KEY values celebrated on `day`: 29 February is greeted on the 28th in other years."""
    keys = [day.month * 100 + day.day]
    if day.month == 2 and day.day == 28 and not _leap(day.year):
        keys.append(229)
    return keys


def _leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def send_birthday_greetings(now: datetime | None = None) -> int:
    """Every hour, across companies: today's birthdays of each company that greets, once its day
    has reached BIRTHDAY_HOUR and outside its quiet hours. Returns how many were greeted now."""
    now = now or timezone.now()
    greeted = 0
    for auto in AutoMessage.objects.filter(event=Event.BIRTHDAY, enabled=True).select_related("company"):
        company = auto.company
        if company.deletion_requested_at:
            continue
        local = now.astimezone(ZoneInfo(company.time_zone))
        if local.hour < BIRTHDAY_HOUR or quiet_until(company, settings_for(company), now) is not None:
            continue
        today = local.date()
        customers = (
            Customer.objects.filter(company=company, erased_at=None)
            .alias(key=BIRTHDAY_KEY)
            .filter(key__in=birthday_keys(today))
        )
        for customer in customers.iterator(chunk_size=500):
            key = f"birthday:{customer.pk}:{today.year}"
            sent = send_automatic(company, event=Event.BIRTHDAY, customer=customer, key=key, auto=auto)
            greeted += sent is not None
    return greeted
