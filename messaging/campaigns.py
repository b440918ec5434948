"""Campaigns: one text to many customers. Sending one goes in three steps, each safe to repeat:

1. `start_campaign` checks the text and the audience and records the campaign;
2. the worker makes one Message per recipient in a single INSERT … SELECT, which the unique
   (campaign, customer, channel) makes idempotent: made twice, the rows are there once;
3. the worker claims a batch of rows at a time (FOR UPDATE SKIP LOCKED on PostgreSQL, so that two
   workers never take the same row), moves each created → sending → sent or failed with a
   conditional update, and after each batch refreshes the campaign's counts.

A worker that dies leaves at most its batch in "sending": `resolve_stalled_messages` asks the
provider about those by key, and marks them unknown where it cannot — never resent blindly. A
campaign whose worker stopped is taken up again by `resume_campaigns`.
"""

import logging
import re
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import get_connection
from django.db import connection, transaction
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.services import Action, record
from companies.models import Company, Membership, has_role
from customers.models import Customer, CustomerEmail, CustomerPhone
from customers.services import reachable
from messaging import secrets, services, sms
from messaging.backends import SmsError, SmsUnknown, sms_backend
from messaging.backends.smsru import SmsRuBackend
from messaging.models import Campaign, Channel, Message, MessagingSettings, PushSubscription
from quicklinks.services import links_for
from segments.queries import audience_words
from segments.services import ChosenAudience

logger = logging.getLogger(__name__)

BATCH = 200  # messages claimed at a time by one worker
TASK_SECONDS = 50  # then the task queues its own continuation, so no task runs for long
STOPPED_AFTER = timedelta(minutes=2)  # a running campaign without a finished batch: its worker is gone
REFRESH_FOR = timedelta(days=2)  # delivery reports keep arriving for this long after a campaign ends

VARIABLES = ("name", "first_name", "link")
VARIABLE = re.compile(r"\{([A-Za-z_]+)\}")


def settings_for(company: Company) -> MessagingSettings:
    found = MessagingSettings.objects.filter(company=company).first()
    return found or MessagingSettings(company=company)


SETTINGS_FIELDS = (
    "sms_price",
    "quiet_hours",
    "quiet_from",
    "quiet_until",
    "email_sender",
    "sms_provider",
    "smsru_sender",
)


@transaction.atomic
def save_settings(company: Company, *, values: dict, actor) -> tuple[MessagingSettings, Decimal | None]:
    """The company's messaging settings, with what changed in the activity log (a credential as
    changed, never its value). A new SMS.ru API ID is tried (its balance asked) before it is kept;
    returns the settings and that balance."""
    prefs = MessagingSettings.objects.select_for_update().filter(company=company).first()
    prefs = prefs or MessagingSettings(company=company)
    changes = []
    for name in SETTINGS_FIELDS:
        old, new = getattr(prefs, name), values[name]
        if old != new:
            changes.append({"field": name, "old": str(old), "new": str(new)})
            setattr(prefs, name, new)
    balance, api_id = None, (values.get("smsru_api_id") or "").strip()
    if api_id:
        try:
            balance = SmsRuBackend(api_id=api_id).balance()
        except (SmsError, SmsUnknown) as error:
            raise ValidationError(
                {"smsru_api_id": _("SMS.ru did not accept it: %(error)s") % {"error": error}}
            ) from error
        was = secrets.masked(secrets.decrypt(prefs.smsru_api_id))
        prefs.smsru_api_id = secrets.encrypt(api_id)
        changes.append({"field": "smsru_api_id", "old": was, "new": secrets.masked(api_id)})
    if prefs.sms_provider == "smsru" and not prefs.smsru_api_id:
        raise ValidationError({"smsru_api_id": _("Enter the API ID from your SMS.ru account.")})
    prefs.full_clean()
    prefs.save()
    if changes:
        record(company, actor=actor, action=Action.MESSAGING_SETTINGS_CHANGED, target=prefs, changes=changes)
    return prefs, balance


# --- What an audience reaches ------------------------------------------------------------------


@dataclass
class ChannelReach:
    reachable: int = 0
    left_out: dict[str, int] = field(default_factory=dict)  # reason → how many

    @property
    def left_out_count(self) -> int:
        return sum(self.left_out.values())


@dataclass
class Reach:
    total: int
    channels: dict[str, ChannelReach]


LEFT_OUT_REASONS = {
    "erased": _("personal data erased"),
    "blocked": _("blocked"),
    "opted_out": _("opted out"),
    "no_phone": _("no phone number"),
    "no_email": _("no email"),
    "no_push": _("notifications not turned on"),
}


def left_out_words(left_out: dict[str, int]) -> list[tuple[str, int]]:
    return [(str(LEFT_OUT_REASONS.get(reason, reason)), count) for reason, count in left_out.items() if count]


def _has(model, **extra) -> Exists:
    return Exists(model.objects.filter(customer=OuterRef("pk"), **extra))


def reach(queryset: QuerySet[Customer]) -> Reach:
    """How many of an audience each channel reaches and why the rest are left out (erased, then
    blocked, then opted out, then without an address), in one query however large the audience."""
    ok = Q(erased_at=None, is_blocked=False)
    sms_ok, email_ok = ok & Q(sms_consent=True), ok & Q(email_consent=True)
    counts = queryset.order_by().aggregate(
        total=Count("pk"),
        erased=Count("pk", filter=~Q(erased_at=None)),
        blocked=Count("pk", filter=Q(erased_at=None, is_blocked=True)),
        sms_opted_out=Count("pk", filter=ok & Q(sms_consent=False)),
        email_opted_out=Count("pk", filter=ok & Q(email_consent=False)),
        sms=Count("pk", filter=sms_ok & Q(_has(CustomerPhone))),
        email=Count("pk", filter=email_ok & Q(_has(CustomerEmail))),
        sms_allowed=Count("pk", filter=sms_ok),
        email_allowed=Count("pk", filter=email_ok),
        push_allowed=Count("pk", filter=ok & Q(push_consent=True)),
        push=Count("pk", filter=ok & Q(push_consent=True) & Q(_has(PushSubscription))),
    )
    gone = {"erased": counts["erased"], "blocked": counts["blocked"]}
    return Reach(
        total=counts["total"],
        channels={
            Channel.SMS: ChannelReach(
                counts["sms"],
                {**gone, "opted_out": counts["sms_opted_out"], "no_phone": counts["sms_allowed"] - counts["sms"]},
            ),
            Channel.EMAIL: ChannelReach(
                counts["email"],
                {
                    **gone,
                    "opted_out": counts["email_opted_out"],
                    "no_email": counts["email_allowed"] - counts["email"],
                },
            ),
            # Web push reaches the customers who turned notifications on on their quick order link.
            Channel.PUSH: ChannelReach(
                counts["push"],
                {
                    **gone,
                    "opted_out": counts["total"] - counts["erased"] - counts["blocked"] - counts["push_allowed"],
                    "no_push": counts["push_allowed"] - counts["push"],
                },
            ),
        },
    )


# --- The text ------------------------------------------------------------------------------------


def check_variables(text: str, allowed: tuple[str, ...] = VARIABLES) -> None:
    """A ValidationError on "text" naming each {word} that is not one of `allowed`."""
    unknown = sorted({name for name in VARIABLE.findall(text) if name not in allowed})
    if unknown:
        raise ValidationError(
            {
                "text": _("Unknown variable %(unknown)s; the text may use %(known)s.")
                % {
                    "unknown": ", ".join(f"{{{name}}}" for name in unknown),
                    "known": ", ".join(f"{{{name}}}" for name in allowed),
                }
            }
        )


def render(text: str, customer: Customer, link: str = "", **extra: str) -> str:
    """The text for one recipient: {name}, {first_name}, {link} (their quick order link), and the
    `extra` values an automatic message has ({order}, {company})."""
    name = customer.full_name.strip()
    values = {"name": name, "first_name": name.split()[0] if name else "", "link": link, **extra}
    return VARIABLE.sub(lambda match: values.get(match.group(1), match.group(0)), text)


def preview(company: Company, queryset: QuerySet[Customer], channel: str, text: str) -> tuple[Customer | None, str]:
    """The text as the first reachable recipient will get it (a link shown as it will look)."""
    customer = _reachable(queryset, channel).order_by("pk").first()
    if customer is None:
        return None, text
    link = settings.SITE_URL + "/q/…" if "{link}" in text else ""
    return customer, render(text, customer, link)


# --- Starting, pausing, cancelling ----------------------------------------------------------------


def can_manage(company: Company, user, campaign: Campaign) -> bool:
    """Owners and admins act on every campaign; managers on their own."""
    return campaign.created_by_id == user.pk or has_role(company, user, Membership.Role.ADMIN)


def visible_campaigns(company: Company, user) -> QuerySet[Campaign]:
    campaigns = Campaign.objects.filter(company=company)
    if not has_role(company, user, Membership.Role.ADMIN):
        campaigns = campaigns.filter(created_by=user)
    return campaigns


def start_campaign(
    company: Company,
    *,
    user,
    chosen: ChosenAudience,
    channel: str,
    text: str,
    subject: str = "",
    consent: bool,
) -> Campaign:
    """Records a campaign to `chosen` and queues it; the worker makes the recipients and sends.
    Refused, with what is wrong, for a text, channel or audience that cannot be sent."""
    if channel not in Channel.values:
        raise ValidationError({"channel": _("Choose SMS, email or push.")})
    text = services.check_text(channel, text)
    check_variables(text)
    if channel == Channel.EMAIL and not subject.strip():
        raise ValidationError({"subject": _("Write the subject of the email.")})
    if not consent:
        raise ValidationError({"consent": _("Confirm that the recipients agreed to receive messages.")})
    reached = reach(chosen.customers(company)).channels[channel]
    if not reached.reachable:
        raise ValidationError({"channel": _("None of these customers can receive this channel.")})
    with transaction.atomic():
        campaign = Campaign.objects.create(
            company=company,
            channel=channel,
            subject=subject.strip()[:255],
            text=text,
            audience=chosen.kind,
            query=chosen.query,
            ids=chosen.ids,
            segment=chosen.segment,
            description=chosen.description[:500],
            created_by=user,
            price_per_part=settings_for(company).sms_price if channel == Channel.SMS else 0,
        )
        record(
            company,
            actor=user,
            action=Action.CAMPAIGN_STARTED,
            target=campaign,
            label=campaign_label(company, campaign),
            channel=channel,
            audience=reached.reachable,
        )
        transaction.on_commit(lambda: _queue(campaign))
    return campaign


def campaign_label(company: Company, campaign: Campaign) -> str:
    """The campaign as the activity log names it: a filter by its criteria only (its words may
    hold a name searched for)."""
    if campaign.audience == Campaign.Audience.FILTER:
        return audience_words(company, query=campaign.query)
    return campaign.description


def _act(company: Company, user, campaign: Campaign, *, from_statuses, to: str, action: str) -> bool:
    if not can_manage(company, user, campaign):
        raise PermissionDenied(_("Only owners, admins and the one who sent it can change a campaign."))
    with transaction.atomic():
        changed = Campaign.objects.filter(company=company, pk=campaign.pk, status__in=from_statuses).update(status=to)
        if changed:
            record(company, actor=user, action=action, target=campaign, label=campaign_label(company, campaign))
    return bool(changed)


def pause_campaign(company: Company, *, user, campaign: Campaign) -> bool:
    """Stops sending after the batch in hand; the rest waits. False if it was not running."""
    running = (Campaign.Status.PREPARING, Campaign.Status.SENDING)
    return _act(
        company, user, campaign, from_statuses=running, to=Campaign.Status.PAUSED, action=Action.CAMPAIGN_PAUSED
    )


def resume_campaign(company: Company, *, user, campaign: Campaign) -> bool:
    resumed = _act(
        company,
        user,
        campaign,
        from_statuses=(Campaign.Status.PAUSED,),
        to=Campaign.Status.SENDING,
        action=Action.CAMPAIGN_RESUMED,
    )
    if resumed:
        transaction.on_commit(lambda: _queue(campaign))
    return resumed


def cancel_campaign(company: Company, *, user, campaign: Campaign) -> bool:
    """Nothing more is sent: the messages still waiting are marked cancelled; what went, went."""
    open_statuses = (Campaign.Status.PREPARING, Campaign.Status.SENDING, Campaign.Status.PAUSED)
    cancelled = _act(
        company,
        user,
        campaign,
        from_statuses=open_statuses,
        to=Campaign.Status.CANCELLED,
        action=Action.CAMPAIGN_CANCELLED,
    )
    if cancelled:
        Message.objects.filter(campaign=campaign, status=Message.Status.CREATED).update(status=Message.Status.CANCELLED)
        Campaign.objects.filter(pk=campaign.pk).update(finished_at=timezone.now())
        refresh_counts(campaign)
    return cancelled


def _queue(campaign: Campaign) -> None:
    from messaging.tasks import run_campaign  # tasks import this module

    run_campaign.delay(campaign.company_id, campaign.pk)


# --- The worker -------------------------------------------------------------------------------------


def _reachable(queryset: QuerySet[Customer], channel: str) -> QuerySet[Customer]:
    """Who a campaign on `channel` goes to: reachable (not blocked, erased or opted out) and with
    an address on the channel."""
    model = {Channel.SMS: CustomerPhone, Channel.EMAIL: CustomerEmail, Channel.PUSH: PushSubscription}[channel]
    return reachable(queryset, channel).filter(_has(model))


def _first_address(channel: str) -> Subquery | Value:
    if channel == Channel.PUSH:
        return Value("")  # every browser the customer turned notifications on in
    model, column = (CustomerPhone, "number") if channel == Channel.SMS else (CustomerEmail, "email")
    return Subquery(model.objects.filter(customer=OuterRef("pk")).order_by("position", "pk").values(column)[:1])


def make_recipients(company: Company, campaign: Campaign) -> int:
    """One created Message per reachable customer of the audience, in one INSERT … SELECT; made
    again (a worker died in between) it adds nothing. Also counts who was left out, and why."""
    audience = ChosenAudience(campaign.audience, campaign.description, campaign.query, campaign.ids).customers(company)
    reached = reach(audience).channels[campaign.channel]
    select = (
        _reachable(audience, campaign.channel)
        .order_by()
        .annotate(recipient_id=F("pk"), recipient_address=_first_address(campaign.channel))
        .values("recipient_id", "recipient_address")
    )
    inner, params = select.query.sql_with_params()
    postgres = connection.vendor == "postgresql"
    key = "gen_random_uuid()" if postgres else "lower(hex(randomblob(16)))"
    table = Message._meta.db_table
    sql = (
        f"INSERT INTO {table} (company_id, customer_id, campaign_id, channel, direction, status, address, "
        "subject, text, parts, key, event, provider_id, error, attempts, created_at) "
        "SELECT %s, audience.recipient_id, %s, %s, 'out', 'created', audience.recipient_address, %s, %s, 0, "
        f"{key}, '', '', '', 0, %s "
        f"FROM ({inner}) AS audience ORDER BY audience.recipient_id "
        "ON CONFLICT (campaign_id, customer_id, channel) DO NOTHING"
    )
    values = [company.pk, campaign.pk, campaign.channel, campaign.subject, campaign.text, timezone.now()]
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(sql, [*values, *params])
        made = Message.objects.filter(campaign=campaign).count()
        counts = {
            "recipients": made,
            "audience_count": reached.reachable + reached.left_out_count,
            "left_out": {reason: count for reason, count in reached.left_out.items() if count},
            "prepared_at": timezone.now(),
            "heartbeat_at": timezone.now(),
        }
        Campaign.objects.filter(pk=campaign.pk).update(**counts)
        # Paused or cancelled while it was being prepared: it stays so.
        Campaign.objects.filter(pk=campaign.pk, status=Campaign.Status.PREPARING).update(status=Campaign.Status.SENDING)
    return made


def quiet_until(company: Company, prefs: MessagingSettings, now: datetime) -> datetime | None:
    """When the company's quiet hours end, if `now` is inside them; None outside them."""
    if not prefs.quiet_hours or prefs.quiet_from == prefs.quiet_until:
        return None
    local = now.astimezone(ZoneInfo(company.time_zone))
    start, end, clock = prefs.quiet_from, prefs.quiet_until, local.time()
    inside = (start <= clock or clock < end) if start > end else (start <= clock < end)
    if not inside:
        return None
    day = local.date() if clock < end else local.date() + timedelta(days=1)
    return datetime.combine(day, end, tzinfo=local.tzinfo)


def _claim(campaign: Campaign, limit: int) -> list[int]:
    """Reserves a batch: created → sending, with no claimed_at yet. Each message is then claimed
    for its send on its own (claimed_at set), so a reservation a dead worker left can go back to
    the queue, while a message whose send began is never sent again."""
    now = timezone.now()
    with transaction.atomic():
        waiting = (
            Message.objects.filter(campaign=campaign, status=Message.Status.CREATED)
            .filter(Q(retry_at=None) | Q(retry_at__lte=now))
            .order_by("pk")
            .select_for_update(skip_locked=True)
        )
        ids = list(waiting.values_list("pk", flat=True)[:limit])
        Message.objects.filter(pk__in=ids, status=Message.Status.CREATED).update(
            status=Message.Status.SENDING, claimed_at=None
        )
    return ids


HEARTBEAT_EVERY = 10  # seconds between two signs of life of a worker in a batch


def _claim_send(message: Message, text: str, parts: int) -> bool:
    """Claims one reserved message for its send (claimed_at set), with its text as it goes: the
    point after which it is never sent again. One statement per message, so it is plain SQL."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {Message._meta.db_table} SET claimed_at = %s, text = %s, parts = %s "
            "WHERE id = %s AND company_id = %s AND status = %s AND claimed_at IS NULL",
            [timezone.now(), text, parts, message.pk, message.company_id, Message.Status.SENDING],
        )
        return cursor.rowcount == 1


def send_batch(company: Company, campaign: Campaign, ids: list[int]) -> None:
    """Sends reserved messages: each rendered for its recipient, checked again (a customer may
    have opted out since the rows were made), claimed for its send with a conditional update,
    sent, and its outcome recorded. An SMS is handed to the provider in a second thread while
    the next one is claimed and the previous one's outcome written, so at most two sends are
    between their claim and their outcome at any moment."""
    messages = list(
        Message.objects.filter(company=company, pk__in=ids, status=Message.Status.SENDING, claimed_at=None)
        .select_related("customer")
        .order_by("pk")
    )
    links = links_for(company, [m.customer for m in messages]) if "{link}" in campaign.text else {}
    mail = get_connection() if campaign.channel == Channel.EMAIL else None
    provider = sms_backend(company) if campaign.channel == Channel.SMS else None
    sender = services.email_sender(company)
    beat, in_flight = time.monotonic(), None
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="sms") as provider_thread:
        for message in messages:
            customer = message.customer
            text = render(campaign.text, customer, links.get(customer.pk, ""))
            parts = sms.count_parts(text) if campaign.channel == Channel.SMS else 0
            if not _claim_send(message, text, parts):
                continue  # another worker took it after a reset of this batch
            message.text, message.parts = text, parts
            if customer.erased_at or customer.is_blocked or not getattr(customer, f"{campaign.channel}_consent"):
                services.finish(message, Message.Status.FAILED, error=_("The customer could no longer receive it."))
            elif provider is not None:
                attempt = provider_thread.submit(services.attempt_sms, provider, message, sender=company.name)
                if in_flight is not None:
                    services.record_attempt(in_flight[0], in_flight[1].result())
                in_flight = (message, attempt)
            else:
                services.send_claimed(company, message, connection=mail, sender=sender)
            if time.monotonic() - beat > HEARTBEAT_EVERY:
                Campaign.objects.filter(pk=campaign.pk).update(heartbeat_at=timezone.now())
                beat = time.monotonic()
        if in_flight is not None:
            services.record_attempt(in_flight[0], in_flight[1].result())


def refresh_counts(campaign: Campaign) -> None:
    """The campaign's counts from its messages: one grouped read of its index range."""
    rows = (
        Message.objects.filter(campaign=campaign)
        .order_by()
        .values("status")
        .annotate(n=Count("pk"), parts=Sum("parts"))
        .values_list("status", "n", "parts")
    )
    by_status, parts = {}, 0
    for status, count, status_parts in rows:
        by_status[status] = count
        if status != Message.Status.CANCELLED:
            parts += status_parts or 0
    S = Message.Status
    Campaign.objects.filter(pk=campaign.pk).update(
        recipients=sum(by_status.values()),
        sent=by_status.get(S.SENT, 0),
        delivered=by_status.get(S.DELIVERED, 0),
        failed=by_status.get(S.FAILED, 0),
        unknown=by_status.get(S.UNKNOWN, 0),
        cancelled=by_status.get(S.CANCELLED, 0),
        parts=parts if campaign.channel == Channel.SMS else 0,
    )


COUNTS_EVERY = 2.0  # seconds between two refreshes of a running campaign's counts


def run_campaign(company: Company, campaign_id: int, *, seconds: float = TASK_SECONDS, batch: int = BATCH) -> str:
    """Makes the recipients if not made yet, then sends batch after batch for about `seconds`.
    Returns what is next: "done", "again" (queue another run), "wait" (quiet hours, a retry
    later) or "stopped" (paused, cancelled, gone)."""
    started = time.monotonic()
    campaign = Campaign.objects.filter(company=company, pk=campaign_id).first()
    if campaign is None:
        return "stopped"
    if campaign.prepared_at is None and campaign.status in (Campaign.Status.PREPARING, Campaign.Status.SENDING):
        make_recipients(company, campaign)
    prefs, counted = settings_for(company), 0.0
    while time.monotonic() - started < seconds:
        campaign.refresh_from_db(fields=["status", "send_after"])
        if campaign.status != Campaign.Status.SENDING:
            refresh_counts(campaign)
            return "stopped"
        if campaign.channel != Channel.EMAIL:
            until = quiet_until(company, prefs, timezone.now())
            if until is not None:
                Campaign.objects.filter(pk=campaign.pk).update(send_after=until, heartbeat_at=timezone.now())
                return "wait"
        ids = _claim(campaign, batch)
        if ids:
            send_batch(company, campaign, ids)
            if time.monotonic() - counted > COUNTS_EVERY:  # the progress bar, without a read per batch
                refresh_counts(campaign)
                counted = time.monotonic()
            Campaign.objects.filter(pk=campaign.pk).update(heartbeat_at=timezone.now(), send_after=None)
            continue
        open_rows = Message.objects.filter(
            campaign=campaign, status__in=(Message.Status.CREATED, Message.Status.SENDING)
        )
        if open_rows.exists():  # retries due later, or another worker's batch in hand
            Campaign.objects.filter(pk=campaign.pk).update(heartbeat_at=timezone.now())
            refresh_counts(campaign)
            return "wait"
        Campaign.objects.filter(pk=campaign.pk, status=Campaign.Status.SENDING).update(
            status=Campaign.Status.DONE, finished_at=timezone.now()
        )
        refresh_counts(campaign)
        return "done"
    refresh_counts(campaign)
    return "again"


def resume_campaigns() -> int:
    """Across companies, every minute: campaigns whose worker stopped, whose quiet hours ended or
    whose retries are due are queued again (a second run alongside one still going claims other
    rows, never the same); recently finished ones get their delivery counts refreshed."""
    now = timezone.now()
    stale = Q(heartbeat_at=None) | Q(heartbeat_at__lt=now - STOPPED_AFTER)
    running = Campaign.objects.filter(
        Q(status=Campaign.Status.PREPARING, created_at__lt=now - STOPPED_AFTER)
        | Q(status=Campaign.Status.SENDING) & (Q(send_after=None) & stale | Q(send_after__lte=now))
    )
    queued = 0
    for campaign in running.only("pk", "company_id", "heartbeat_at")[:500]:
        if campaign.heartbeat_at is None or campaign.heartbeat_at < now - STOPPED_AFTER:
            # Its worker is gone: the batch it had reserved but not begun goes back to the queue.
            Message.objects.filter(campaign=campaign, status=Message.Status.SENDING, claimed_at=None).update(
                status=Message.Status.CREATED
            )
        _queue(campaign)
        queued += 1
    for campaign in Campaign.objects.filter(finished_at__gte=now - REFRESH_FOR).only("pk", "channel")[:500]:
        refresh_counts(campaign)
    return queued
