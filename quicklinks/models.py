import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from companies.models import TenantModel
from customers.models import Customer


def new_nonce() -> str:
    return secrets.token_hex(16)


class QuickLink(TenantModel):
    """A customer's personal order link.

    The URL's token is an HMAC of (id, nonce) under the server's SECRET_KEY (see services), so a
    copy of the database alone yields no working link. Regenerating replaces the nonce, which
    stops the old URL at once; revoking marks the link revoked.
    """

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    nonce = models.CharField(max_length=32, default=new_nonce)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        verbose_name = _("quick order link")
        verbose_name_plural = _("quick order links")
        constraints = [models.UniqueConstraint(fields=["company", "customer"], name="quicklink_customer_uniq")]

    def __str__(self) -> str:
        return f"{self.customer_id}"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
