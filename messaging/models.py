import uuid
from datetime import time
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from companies.models import Company, TenantModel


class Channel(models.TextChoices):
    SMS = "sms", _("SMS")
    EMAIL = "email", _("Email")
    PUSH = "push", _("Push")


class Campaign(TenantModel):
    """One text to many customers on one channel. Its audience is kept as it was asked for; the
    worker turns it into one Message per recipient (set-based, before anything is sent) and sends
    those in batches. The counts are refreshed from the messages after each batch."""

    class Status(models.TextChoices):
        PREPARING = "preparing", _("Preparing")
        SENDING = "sending", _("Sending")
        PAUSED = "paused", _("Paused")
        DONE = "done", _("Done")
        CANCELLED = "cancelled", _("Cancelled")

    class Audience(models.TextChoices):
        ALL = "all", _("All customers")
        FILTER = "filter", _("Filtered list")
        SEGMENT = "segment", _("Segment")
        SELECTION = "selection", _("Selected customers")

    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices)
    subject = models.CharField(_("subject"), max_length=255, blank=True)
    text = models.TextField(_("text"))
    audience = models.CharField(_("audience"), max_length=16, choices=Audience.choices)
    query = models.TextField(blank=True)  # a filter's query string (a segment's when it was sent)
    ids = models.JSONField(default=list, blank=True)
    segment = models.ForeignKey("segments.Segment", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    description = models.CharField(_("audience"), max_length=500)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PREPARING)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("sent by")
    )
    price_per_part = models.DecimalField(max_digits=8, decimal_places=2, default=Decimal("0"))
    # Counted when the recipients are made: the audience's size and who was left out, and why.
    audience_count = models.PositiveIntegerField(_("audience"), default=0)
    left_out = models.JSONField(default=dict, blank=True)
    # Refreshed from the messages (refresh_counts).
    recipients = models.PositiveIntegerField(_("recipients"), default=0)
    sent = models.PositiveIntegerField(_("sent"), default=0)
    delivered = models.PositiveIntegerField(_("delivered"), default=0)
    failed = models.PositiveIntegerField(_("failed"), default=0)
    unknown = models.PositiveIntegerField(_("unknown"), default=0)
    cancelled = models.PositiveIntegerField(_("cancelled"), default=0)
    parts = models.PositiveIntegerField(_("SMS parts"), default=0)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    prepared_at = models.DateTimeField(null=True, blank=True)  # when its recipients were made
    heartbeat_at = models.DateTimeField(null=True, blank=True)  # the last batch a worker finished
    send_after = models.DateTimeField(_("waits until"), null=True, blank=True)  # quiet hours
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        indexes = [
            models.Index(F("company"), F("created_at").desc(), F("id").desc(), name="campaign_history_idx"),
            # The sweeper of campaigns whose worker stopped, across companies.
            models.Index(fields=["status", "heartbeat_at"], name="campaign_running_idx"),
        ]
        constraints = [models.CheckConstraint(condition=~Q(text=""), name="campaign_text_not_empty")]

    def __str__(self) -> str:
        return f"{self.get_channel_display()}: {self.description}"

    def get_absolute_url(self) -> str:
        return reverse("messaging:campaign", args=[self.pk])

    @property
    def left_out_count(self) -> int:
        return sum(self.left_out.values())

    @property
    def done_count(self) -> int:
        """Recipients the campaign is finished with, whatever came of it."""
        return self.sent + self.delivered + self.failed + self.unknown + self.cancelled

    @property
    def progress(self) -> int:
        return round(100 * self.done_count / self.recipients) if self.recipients else 100

    @property
    def is_running(self) -> bool:
        return self.status in (self.Status.PREPARING, self.Status.SENDING)


class Message(TenantModel):
    """One message to (or from) one customer on one channel: for a campaign, one row per recipient
    and channel, made before anything is sent. Its status moves created → sending → sent →
    delivered (or failed, or unknown when a worker died while sending and the provider cannot
    say), each step a conditional update, so that no message is ever sent twice."""

    class Direction(models.TextChoices):
        OUT = "out", _("sent to the customer")
        IN = "in", _("from the customer")

    class Status(models.TextChoices):
        CREATED = "created", _("Waiting")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        DELIVERED = "delivered", _("Delivered")
        FAILED = "failed", _("Failed")
        UNKNOWN = "unknown", _("Unknown")
        RECEIVED = "received", _("Received")
        CANCELLED = "cancelled", _("Cancelled")  # a campaign's message not sent: the campaign was cancelled

    # Indexed by message_card_idx, which leads with it: one index less to write per message.
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+", db_index=False)
    customer = models.ForeignKey("customers.Customer", on_delete=models.CASCADE, related_name="messages")
    # Indexed by message_campaign_idx, which leads with it.
    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, null=True, blank=True, related_name="messages", db_index=False
    )
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices)
    direction = models.CharField(max_length=3, choices=Direction.choices, default=Direction.OUT)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.CREATED)
    # The phone or email it went to, as it was then.
    address = models.CharField(_("to"), max_length=255, blank=True)
    subject = models.CharField(_("subject"), max_length=255, blank=True)
    text = models.TextField(_("text"))
    parts = models.PositiveSmallIntegerField(_("SMS parts"), default=0)
    # Sent to the provider with the message, so that a retried send can ask whether it went.
    key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # What an automatic message was sent for ("order:12:shipped", "birthday:7:2026"): once each.
    event = models.CharField(max_length=64, blank=True)
    provider_id = models.CharField(max_length=100, blank=True)
    error = models.CharField(_("error"), max_length=500, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)  # sends the provider refused for a while
    retry_at = models.DateTimeField(null=True, blank=True)  # when a refused-for-now send is tried again
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        indexes = [
            # The card's Messages tab, newest first.
            models.Index(F("company"), F("customer"), F("created_at").desc(), F("id").desc(), name="message_card_idx"),
            # The sweeper of sends a dead worker left behind, across companies. Not on claimed_at:
            # then claiming a send (claimed_at, text, parts) changes no indexed column and is a
            # HOT update, which the table's fillfactor leaves room for (migration 0006).
            models.Index(fields=["id"], name="message_claim_idx", condition=Q(status="sending")),
            # Sends to try again, and messages whose queued task was lost.
            models.Index(fields=["created_at"], name="message_waiting_idx", condition=Q(status="created")),
            # A campaign's batches and counts, and its recipients by status.
            models.Index(fields=["campaign", "status", "id"], name="message_campaign_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(text=""), name="message_text_not_empty"),
            # One message per recipient and channel of a campaign, however often its rows are made.
            models.UniqueConstraint(fields=["campaign", "customer", "channel"], name="message_campaign_once"),
            models.UniqueConstraint(fields=["company", "event"], condition=~Q(event=""), name="message_event_once"),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} → {self.address or self.customer_id}: {self.get_status_display()}"


class MessagingSettings(TenantModel):
    """A company's choices for what it sends: the price of an SMS part (for the cost shown before a
    campaign), its quiet hours, and the name its emails come from."""

    sms_price = models.DecimalField(
        _("price of one SMS part"),
        max_digits=8,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("1000"))],
        help_text=_("What your SMS provider charges for one part, to estimate a campaign's cost."),
    )
    quiet_hours = models.BooleanField(
        _("quiet hours"), default=True, help_text=_("Campaign SMS and push wait until morning.")
    )
    quiet_from = models.TimeField(_("from"), default=time(21, 0))
    quiet_until = models.TimeField(_("until"), default=time(9, 0))
    email_sender = models.CharField(
        _("email sender name"), max_length=100, blank=True, help_text=_("The company's name when left empty.")
    )
    sms_provider = models.CharField(
        _("SMS provider"),
        max_length=16,
        choices=[("", _("The service's own")), ("smsru", "SMS.ru")],
        blank=True,
    )
    smsru_api_id = models.TextField(blank=True)  # encrypted (messaging.secrets); never shown back
    smsru_sender = models.CharField(
        _("SMS sender name"),
        max_length=11,
        blank=True,
        help_text=_("As approved in your SMS.ru account; the company's name when left empty."),
    )

    class Meta:
        verbose_name = _("messaging settings")
        verbose_name_plural = _("messaging settings")
        constraints = [
            models.UniqueConstraint(fields=["company"], name="messaging_settings_company_uniq"),
            models.CheckConstraint(condition=Q(sms_price__gte=0), name="messaging_settings_price_not_negative"),
        ]

    def __str__(self) -> str:
        return str(self.company_id)


class AutoMessage(TenantModel):
    """A message the company sends by itself when something happens, switched on per event."""

    class Event(models.TextChoices):
        QUICK_LINK_ORDER = "quicklink_order", _("Order received through the quick order link")
        ORDER_CONFIRMED = "order_confirmed", _("Order confirmed")
        ORDER_IN_PRODUCTION = "order_in_production", _("Order in production")
        ORDER_SHIPPED = "order_shipped", _("Order shipped")
        ORDER_COMPLETED = "order_completed", _("Order completed")
        ORDER_CANCELLED = "order_cancelled", _("Order cancelled")
        BIRTHDAY = "birthday", _("Birthday greeting")

    event = models.CharField(_("event"), max_length=32, choices=Event.choices)
    enabled = models.BooleanField(_("on"), default=False)
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices, default=Channel.SMS)
    text = models.TextField(_("text"), max_length=2000)

    class Meta:
        verbose_name = _("automatic message")
        verbose_name_plural = _("automatic messages")
        constraints = [
            models.UniqueConstraint(fields=["company", "event"], name="automessage_company_event_uniq"),
            models.CheckConstraint(condition=~Q(text=""), name="automessage_text_not_empty"),
        ]

    def __str__(self) -> str:
        return self.get_event_display()


class MessageTemplate(TenantModel):
    """A saved text staff pick when writing to one customer or many."""

    name = models.CharField(_("name"), max_length=100)
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices, default=Channel.SMS)
    subject = models.CharField(_("email subject"), max_length=255, blank=True)
    text = models.TextField(_("text"), max_length=2000)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("message template")
        verbose_name_plural = _("message templates")
        constraints = [
            models.UniqueConstraint(fields=["company", "name"], name="template_company_name_uniq"),
            models.CheckConstraint(condition=~Q(text=""), name="template_text_not_empty"),
        ]

    def __str__(self) -> str:
        return self.name


class PushSubscription(TenantModel):
    """One browser of a customer that turned on notifications on their quick order link: the push
    service's endpoint and the keys the payload is encrypted to (RFC 8291). A customer may have
    several; one the push service says is gone (404, 410) is deleted."""

    customer = models.ForeignKey("customers.Customer", on_delete=models.CASCADE, related_name="push_subscriptions")
    endpoint = models.URLField(max_length=1000)
    p256dh = models.CharField(max_length=100)
    auth = models.CharField(max_length=50)
    user_agent = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(_("turned on"), auto_now_add=True)

    class Meta:
        verbose_name = _("push subscription")
        verbose_name_plural = _("push subscriptions")
        constraints = [models.UniqueConstraint(fields=["company", "endpoint"], name="push_company_endpoint_uniq")]

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.endpoint[:60]}"

    @property
    def info(self) -> dict:
        return {"endpoint": self.endpoint, "keys": {"p256dh": self.p256dh, "auth": self.auth}}
