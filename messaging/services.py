"""Sending messages to customers. A message is a row before anything is sent; the worker claims
it with a conditional update (created → sending), calls the provider with the message's key, and
records what came of it, so that a retried or duplicated task never sends twice."""

import hashlib
import hmac
import logging
from dataclasses import dataclass
from datetime import timedelta
from email.utils import formataddr, parseaddr

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django_scopes import scope, scopes_disabled

from audit.services import Action, record
from companies.fields import fits_an_id
from companies.models import Company, User
from customers.models import Customer
from customers.services import set_consent
from messaging import push, sms
from messaging.backends import Sent, SmsError, SmsUnknown, sms_backend
from messaging.models import Channel, Message, MessagingSettings, PushSubscription
from quicklinks.services import links_for

logger = logging.getLogger(__name__)


def _address(customer: Customer, channel: str) -> str:
    """Where a message on `channel` goes, or a ValidationError saying why it cannot go."""
    if customer.erased_at:
        raise ValidationError(_("This customer's personal data was erased; nothing can be sent to them."))
    if customer.is_blocked:
        raise ValidationError(_("This customer is blocked; unblock them to send messages."))
    if not getattr(customer, f"{channel}_consent"):
        raise ValidationError(_("This customer has opted out of this channel."))
    if channel == Channel.PUSH:
        if not customer.push_subscriptions.exists():
            raise ValidationError(_("This customer has not turned on notifications on their quick order link."))
        return ""  # every browser they turned notifications on in
    contacts = customer.phones if channel == Channel.SMS else customer.emails
    field = "number" if channel == Channel.SMS else "email"
    address = contacts.order_by("position", "pk").values_list(field, flat=True).first()
    if not address:
        raise ValidationError(
            _("This customer has no phone number.") if channel == Channel.SMS else _("This customer has no email.")
        )
    return address


def check_text(channel: str, text: str) -> str:
    text = text.strip()
    if not text:
        raise ValidationError({"text": _("Write the message.")})
    if channel == Channel.SMS and sms.count_parts(text) > settings.SMS_MAX_PARTS:
        raise ValidationError(
            {
                "text": ngettext(
                    "An SMS may have at most %(max)d part; this one needs %(parts)d.",
                    "An SMS may have at most %(max)d parts; this one needs %(parts)d.",
                    settings.SMS_MAX_PARTS,
                )
                % {"max": settings.SMS_MAX_PARTS, "parts": sms.count_parts(text)}
            }
        )
    return text


def send_to_customer(
    company: Company, *, customer: Customer, channel: str, text: str, actor, subject: str = "", event: str = ""
) -> Message:
    """One message to one customer, sent by the worker once this transaction commits. Refused with
    the reason (nothing is created) when the customer cannot receive it on `channel`. With an
    `event` (an automatic message's occasion), a second call for the same event returns the first
    message and sends nothing."""
    if channel not in Channel.values:
        raise ValidationError({"channel": _("Choose SMS, email or push.")})
    if customer.company_id != company.pk:
        raise ValueError("an object of another company was passed to a service")
    text = check_text(channel, text)
    with transaction.atomic():
        customer = Customer.objects.select_for_update().get(company=company, pk=customer.pk)
        if event and (sent := Message.objects.filter(company=company, event=event).first()):
            return sent
        default_subject = _("A message from %(company)s") % {"company": company.name}
        message = Message.objects.create(
            company=company,
            customer=customer,
            channel=channel,
            address=_address(customer, channel),
            subject=(subject.strip() or default_subject)[:255] if channel == Channel.EMAIL else "",
            text=text,
            parts=sms.count_parts(text) if channel == Channel.SMS else 0,
            actor=actor if isinstance(actor, User) else None,
            event=event,
        )
        record(
            company,
            actor=actor,
            action=Action.MESSAGE_SENT,
            target=customer,
            label=f"#{customer.pk}",
            channel=channel,
            message=message.pk,
            parts=message.parts,
        )
        transaction.on_commit(lambda: _queue(message))
    return message


UNSUBSCRIBE_SALT = "messaging.unsubscribe"


def unsubscribe_url(customer: Customer) -> str:
    """The customer's link to stop emails: signed with the server's secret, from SITE_URL."""
    token = signing.dumps([customer.company_id, customer.pk], salt=UNSUBSCRIBE_SALT, compress=True)
    return settings.SITE_URL + reverse("messaging:unsubscribe", args=[token])


def customer_for_unsubscribe(token: str) -> Customer | None:
    """The customer an unsubscribe link names, in its company's scope; None for a forged or stale one."""
    try:
        company_id, customer_id = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    company = (
        Company.objects.filter(pk=company_id, deletion_requested_at=None).first() if fits_an_id(company_id) else None
    )
    if company is None or not fits_an_id(customer_id):
        return None
    with scope(company=company):
        return Customer.objects.select_related("company").filter(company=company, pk=customer_id).first()


def unsubscribe(customer: Customer) -> bool:
    """Records the customer's opt-out of email from the link; False if it was recorded already."""
    if not customer.email_consent:
        return False
    with scope(company=customer.company):
        set_consent(
            customer.company, customer=customer, channel="email", given=False, source="unsubscribed", actor=None
        )
    return True


def _queue(message: Message) -> None:
    from messaging.tasks import deliver_message  # tasks import this module

    deliver_message.delay(message.company_id, message.pk)


def email_sender(company: Company) -> str:
    """From: the company's sender name (its name unless set) at the site's address."""
    name = MessagingSettings.objects.filter(company=company).values_list("email_sender", flat=True).first()
    return formataddr((name or company.name, parseaddr(settings.DEFAULT_FROM_EMAIL)[1]))


def _email(company: Company, message: Message, *, connection=None, sender: str = "") -> EmailMessage:
    """The email with the link to stop emails, in the text and as List-Unsubscribe (one click)."""
    link = unsubscribe_url(message.customer)
    with translation.override(company.language or None):
        footer = _("To stop receiving emails from %(company)s, open %(link)s") % {"company": company.name, "link": link}
    headers = {"List-Unsubscribe": f"<{link}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
    return EmailMessage(
        subject=message.subject,
        body=f"{message.text}\n\n--\n{footer}",
        from_email=sender or email_sender(company),
        to=[message.address],
        headers=headers,
        connection=connection,
    )


MAX_ATTEMPTS = 5
LOST_AFTER = timedelta(minutes=10)  # a waiting message no worker took: its task was lost


def send_due_messages(limit: int = 1000) -> int:
    """Queues the messages waiting to be tried again, and those whose task the queue lost (the
    claim makes a second task for one message harmless). Across companies; returns how many.
    A campaign's messages are its worker's to send (see campaigns.resume_campaigns)."""
    now = timezone.now()
    due = Message.objects.filter(status=Message.Status.CREATED, campaign=None).filter(
        Q(retry_at__lte=now) | Q(retry_at=None, created_at__lt=now - LOST_AFTER)
    )
    queued = 0
    for message in due.only("pk", "company_id").order_by("created_at")[:limit]:
        _queue(message)
        queued += 1
    return queued


def deliver(company: Company, message_id: int) -> str:
    """Sends one created message; returns its status. A message another worker claimed, or one
    already sent, is left alone."""
    now = timezone.now()
    claimed = Message.objects.filter(company=company, pk=message_id, status=Message.Status.CREATED).update(
        status=Message.Status.SENDING, claimed_at=now
    )
    message = Message.objects.select_related("customer").get(company=company, pk=message_id)
    if not claimed:
        return message.status
    return send_claimed(company, message)


def send_claimed(company: Company, message: Message, *, connection=None, sender: str = "", backend=None) -> str:
    """Sends a message this worker claimed (status "sending") and records what came of it; a batch
    passes the company's SMS `backend` and mail `connection` it made once."""
    if message.channel == Channel.SMS:
        return record_attempt(message, attempt_sms(backend or sms_backend(company), message, sender=company.name))
    if message.channel == Channel.PUSH:
        return _send_push(company, message)
    try:
        _email(company, message, connection=connection, sender=sender).send()
    except OSError as error:  # the mail server cannot be reached
        return record_attempt(message, Attempt(error=error))
    return record_attempt(message, Attempt(sent=Sent(provider_id="")))


@dataclass(frozen=True)
class Attempt:
    """What came of handing a message to its provider: what it took, or the error."""

    sent: Sent | None = None
    error: Exception | None = None


def attempt_sms(backend, message: Message, *, sender: str) -> Attempt:
    """Hands a claimed SMS to the provider. Touches no database, so a batch can run it in a thread
    while the next message is claimed."""
    try:
        return Attempt(sent=backend.send(to=message.address, text=message.text, key=str(message.key), sender=sender))
    except (SmsUnknown, SmsError, OSError) as error:
        return Attempt(error=error)


def record_attempt(message: Message, attempt: Attempt) -> str:
    """The message's outcome from its attempt; returns its status now."""
    error = attempt.error
    if isinstance(error, SmsUnknown):
        logger.warning("message %s: no answer from the provider: %s", message.pk, error)
        return finish(message, Message.Status.UNKNOWN, error=str(error)[:500])
    if isinstance(error, SmsError):
        logger.warning("message %s: the provider refused it: %s", message.pk, error)
        if error.temporary and message.attempts + 1 < MAX_ATTEMPTS:
            # Not sent (the gateway said so): waiting again, tried after 1, 2, 4, 8 minutes.
            retry_at = timezone.now() + timedelta(minutes=2**message.attempts)
            Message.objects.filter(pk=message.pk, status=Message.Status.SENDING).update(
                status=Message.Status.CREATED,
                claimed_at=None,
                attempts=F("attempts") + 1,
                retry_at=retry_at,
                error=str(error)[:500],
            )
            return Message.Status.CREATED
        return finish(message, Message.Status.FAILED, error=str(error)[:500], attempts=F("attempts") + 1)
    if error is not None:  # OSError: the mail server or the SMS file cannot be reached
        logger.warning("message %s: not sent: %s", message.pk, error)
        return finish(message, Message.Status.FAILED, error=str(error)[:500])
    sent = attempt.sent
    status = Message.Status.DELIVERED if sent.delivered else Message.Status.SENT
    fields = {"provider_id": sent.provider_id[:100], "sent_at": timezone.now()}
    if sent.delivered:
        fields["delivered_at"] = fields["sent_at"]
    return finish(message, status, **fields)


def _send_push(company: Company, message: Message) -> str:
    """To every browser the customer turned notifications on in; tapping it opens their link."""
    subscriptions = list(PushSubscription.objects.filter(company=company, customer_id=message.customer_id))
    if not subscriptions:
        return finish(message, Message.Status.FAILED, error=_("The customer has turned notifications off."))
    url = links_for(company, [message.customer]).get(message.customer_id, settings.SITE_URL)
    outcome = push.send(subscriptions, title=company.name, body=message.text, url=url)
    if outcome.delivered:
        return finish(message, Message.Status.SENT, sent_at=timezone.now())
    error = "; ".join(outcome.errors) or _("The customer has turned notifications off.")
    return finish(message, Message.Status.FAILED, error=error[:500])


STALLED_AFTER = timedelta(minutes=10)


def resolve_stalled_messages() -> int:
    """Sends a dead worker left in "sending": the provider is asked by the message's key; what went
    is recorded as sent, what did not goes back to the queue, and when the provider cannot tell the
    message is marked unknown for staff to see — never sent again blindly. Across companies;
    returns how many were resolved."""
    stalled = Message.objects.filter(
        status=Message.Status.SENDING, claimed_at__lt=timezone.now() - STALLED_AFTER, channel=Channel.SMS
    )
    resolved, backends = 0, {}
    for message in stalled.only("pk", "company_id", "key", "campaign_id").iterator(chunk_size=500):
        if message.company_id not in backends:
            backends[message.company_id] = sms_backend(Company(pk=message.company_id))
        backend = backends[message.company_id]
        if not backend.can_look_up:
            resolved += finish(message, Message.Status.UNKNOWN, error=_UNKNOWN) == Message.Status.UNKNOWN
            continue
        sent = backend.lookup(str(message.key))
        if sent is None:
            if Message.objects.filter(pk=message.pk, status=Message.Status.SENDING).update(
                status=Message.Status.CREATED, claimed_at=None
            ):
                if message.campaign_id is None:  # a campaign's runner takes its own back
                    _queue(message)
                resolved += 1
            continue
        status = Message.Status.DELIVERED if sent.delivered else Message.Status.SENT
        resolved += finish(message, status, provider_id=sent.provider_id[:100], sent_at=timezone.now()) == status
    return resolved


_UNKNOWN = "The worker stopped while sending and the provider cannot say whether it went; it is not resent."


CALLBACK_SALT = b"messaging.smsru.callback"


def callback_secret(company: Company) -> str:
    """The path secret of a company's own SMS.ru callback URL: its id and an HMAC of it."""
    digest = hmac.new(settings.SECRET_KEY.encode() + CALLBACK_SALT, str(company.pk).encode(), hashlib.sha256)
    return f"{company.pk}-{digest.hexdigest()[:32]}"


def callback_url(company: Company) -> str:
    return settings.SITE_URL + reverse("messaging:smsru_callback", args=[callback_secret(company)])


def company_for_callback(secret: str) -> int | None:
    """The company whose callback URL carries `secret`, or None."""
    company_id, _dash, _digest = secret.partition("-")
    if not company_id.isdigit() or not fits_an_id(int(company_id)):
        return None
    expected = callback_secret(Company(pk=int(company_id)))
    return int(company_id) if constant_time_compare(secret, expected) else None


def record_delivery(provider_id: str, status: str, *, company_id: int | None = None) -> bool:
    """What the gateway says of a message it took (its callback, or a poll): delivered or failed.
    Found by the gateway's id, across companies (or in the company whose own account reported
    it); False for an id we never sent."""
    with scopes_disabled():  # the gateway's id is what names the message, whichever company's
        messages = Message.objects.filter(channel=Channel.SMS, provider_id=provider_id).exclude(provider_id="")
        if company_id is not None:
            messages = messages.filter(company_id=company_id)
        message = messages.first()
        if message is None:
            return False
        fields = {"status": status}
        if status == Message.Status.DELIVERED:
            fields["delivered_at"] = timezone.now()
        Message.objects.filter(pk=message.pk, status__in=(Message.Status.SENT, Message.Status.UNKNOWN)).update(**fields)
    return True


def poll_deliveries(limit: int = 500) -> int:
    """Asks the gateways about SMS sent in the last day that they have not said were delivered, for
    gateways that can be asked (and whose callback may not be set up), each company's through its
    own account. Returns how many changed."""
    since = timezone.now() - timedelta(days=1)
    changed, backends, unwell = 0, {}, set()
    with scopes_disabled():
        waiting = Message.objects.filter(channel=Channel.SMS, status=Message.Status.SENT, sent_at__gte=since).exclude(
            provider_id=""
        )
        for company_id, provider_id in waiting.values_list("company_id", "provider_id").order_by("sent_at")[:limit]:
            if company_id in unwell:
                continue
            if company_id not in backends:
                backends[company_id] = sms_backend(Company(pk=company_id))
            backend = backends[company_id]
            if not hasattr(backend, "delivery"):
                continue
            try:
                outcome = backend.delivery(provider_id)
            except (SmsError, SmsUnknown) as error:
                logger.warning("asking about SMS %s: %s", provider_id, error)
                unwell.add(company_id)  # that gateway is unwell: ask again at the next round
                continue
            if outcome:
                changed += record_delivery(provider_id, outcome)
    return changed


def finish(message: Message, status: str, **fields) -> str:
    """Records the outcome of a send still claimed; returns the status the message has now."""
    if Message.objects.filter(pk=message.pk, status=Message.Status.SENDING).update(status=status, **fields):
        return status
    return Message.objects.filter(pk=message.pk).values_list("status", flat=True).first()
