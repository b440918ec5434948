import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from companies.models import TenantModel


class Channel(models.TextChoices):
    SMS = "sms", _("SMS")
    EMAIL = "email", _("Email")
    PUSH = "push", _("Push")


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

    customer = models.ForeignKey("customers.Customer", on_delete=models.CASCADE, related_name="messages")
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
            # The sweeper of sends a dead worker left behind, across companies.
            models.Index(fields=["status", "claimed_at"], name="message_claim_idx", condition=Q(status="sending")),
            # Sends to try again, and messages whose queued task was lost.
            models.Index(fields=["created_at"], name="message_waiting_idx", condition=Q(status="created")),
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(text=""), name="message_text_not_empty"),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} → {self.address or self.customer_id}: {self.get_status_display()}"
