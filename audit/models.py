from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from companies.models import TenantModel


class AuditEntry(TenantModel):
    """One thing someone did in a company: who, when, what, to which object (with its name as it
    was), from which address, and the values it changed. Written by the services; never changed
    afterwards (a database trigger refuses updates, but for the link to a staff account that is
    deleted: the entry keeps its name), deleted only with the company or by the retention sweep
    (AUDIT_RETENTION_DAYS)."""

    class ActorType(models.TextChoices):
        USER = "user", _("Staff member")
        API_KEY = "api_key", _("API key")
        RULE = "rule", _("Automatic rule")
        CUSTOMER = "customer", _("The customer, by their quick order link")
        SYSTEM = "system", _("System")

    class Action(models.TextChoices):
        SIGNED_IN = "auth.signed_in", _("Signed in")
        SIGN_IN_FAILED = "auth.sign_in_failed", _("Failed sign-in")
        COMPANY_SWITCHED = "auth.company_switched", _("Switched to this company")
        MEMBER_ADDED = "member.added", _("Member added")
        MEMBER_ROLE_CHANGED = "member.role_changed", _("Member's role changed")
        MEMBER_REMOVED = "member.removed", _("Member removed")
        CUSTOMER_CREATED = "customer.created", _("Customer created")
        CUSTOMER_EDITED = "customer.edited", _("Customer edited")
        CUSTOMER_DELETED = "customer.deleted", _("Customer deleted")
        CUSTOMER_ERASED = "customer.erased", _("Personal data erased")
        CUSTOMERS_MERGED = "customer.merged", _("Customers merged")
        MERGE_UNDONE = "customer.merge_undone", _("Merge undone")
        FAVOURITES_CHANGED = "customer.favourites", _("Favourites changed")
        LABEL_CREATED = "label.created", _("Label created")
        LABEL_EDITED = "label.edited", _("Label edited")
        LABEL_DELETED = "label.deleted", _("Label deleted")
        LABEL_ADDED = "label.added", _("Label added to customers")
        LABEL_REMOVED = "label.removed", _("Label removed from customers")
        NOTE_ADDED = "note.added", _("Note added")
        NOTE_EDITED = "note.edited", _("Note edited")
        NOTE_DELETED = "note.deleted", _("Note deleted")
        ORDER_PLACED = "order.placed", _("Order placed")
        ORDER_STATUS_CHANGED = "order.status_changed", _("Order status changed")
        ORDER_LABEL_ADDED = "order.label_added", _("Label added to an order")
        ORDER_LABEL_REMOVED = "order.label_removed", _("Label removed from an order")
        PRODUCT_CREATED = "product.created", _("Product created")
        PRODUCT_EDITED = "product.edited", _("Product edited")
        CATEGORY_CREATED = "category.created", _("Category created")
        CATEGORY_EDITED = "category.edited", _("Category edited")
        CATEGORY_DELETED = "category.deleted", _("Category deleted")
        SEGMENT_CREATED = "segment.created", _("Segment saved")
        SEGMENT_EDITED = "segment.edited", _("Segment changed")
        SEGMENT_DELETED = "segment.deleted", _("Segment deleted")
        SEGMENTS_RESTORED = "segment.restored", _("Default segments restored")
        EXPORT_REQUESTED = "export.requested", _("Export requested")
        EXPORT_DOWNLOADED = "export.downloaded", _("Export downloaded")
        IMPORT_UPLOADED = "import.uploaded", _("Import uploaded")
        IMPORT_CONFIRMED = "import.confirmed", _("Import confirmed")
        IMPORT_APPLIED = "import.applied", _("Import applied")
        IMPORT_UNDO_STARTED = "import.undo_started", _("Undo of an import started")
        IMPORT_UNDONE = "import.undone", _("Import undone")
        QUICK_LINK_ISSUED = "quicklink.issued", _("Quick order link issued")
        QUICK_LINK_REGENERATED = "quicklink.regenerated", _("Quick order link regenerated")
        QUICK_LINK_REVOKED = "quicklink.revoked", _("Quick order link revoked")
        MESSAGE_SENT = "message.sent", _("Message sent to a customer")
        CAMPAIGN_STARTED = "campaign.started", _("Campaign started")
        CAMPAIGN_PAUSED = "campaign.paused", _("Campaign paused")
        CAMPAIGN_RESUMED = "campaign.resumed", _("Campaign resumed")
        CAMPAIGN_CANCELLED = "campaign.cancelled", _("Campaign cancelled")
        MESSAGING_SETTINGS_CHANGED = "messaging.settings_changed", _("Messaging settings changed")
        AUTO_MESSAGES_CHANGED = "messaging.auto_changed", _("Automatic messages changed")
        TEMPLATE_SAVED = "messaging.template_saved", _("Message template saved")
        TEMPLATE_DELETED = "messaging.template_deleted", _("Message template deleted")
        PUSH_SUBSCRIBED = "push.subscribed", _("Turned on notifications")
        PUSH_UNSUBSCRIBED = "push.unsubscribed", _("Turned off notifications")
        RATE_SET = "rate.set", _("Exchange rate set")
        RATE_DELETED = "rate.deleted", _("Exchange rate deleted")

    created_at = models.DateTimeField(_("when"), default=timezone.now)
    actor_type = models.CharField(_("who"), max_length=16, choices=ActorType.choices, default=ActorType.SYSTEM)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The actor's name as it was (the account may be renamed or deleted later).
    actor_label = models.CharField(max_length=255, blank=True)
    action = models.CharField(_("action"), max_length=40, choices=Action.choices)
    object_type = models.CharField(max_length=64, blank=True)  # the model's label, "customers.customer"
    object_id = models.PositiveBigIntegerField(null=True, blank=True)
    object_label = models.CharField(_("object"), max_length=255, blank=True)
    ip_address = models.GenericIPAddressField(_("address"), null=True, blank=True)
    # [{"field", "old", "new"}] where values changed; other facts (a count, the audience in words).
    changes = models.JSONField(default=list, blank=True)
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("activity log entry")
        verbose_name_plural = _("activity log")
        ordering = ["-id"]
        indexes = [
            # The log pages newest first by keyset on the id, whole or by action, actor or day.
            models.Index(fields=["company", "-id"], name="audit_company_idx"),
            models.Index(fields=["company", "action", "-id"], name="audit_action_idx"),
            models.Index(fields=["company", "actor", "-id"], name="audit_actor_idx"),
            models.Index(fields=["company", "actor_type", "-id"], name="audit_type_idx"),
            models.Index(fields=["company", "created_at"], name="audit_created_idx"),
            models.Index(fields=["created_at"], name="audit_retention_idx"),  # the sweep, across companies
        ]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor_label or self.get_actor_type_display()}: {self.action}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ValidationError("Activity log entries are never changed.")
        super().save(*args, **kwargs)

    @property
    def who(self) -> str:
        if self.actor_type == self.ActorType.USER:
            return self.actor_label
        return f"{self.get_actor_type_display()}{': ' + self.actor_label if self.actor_label else ''}"
