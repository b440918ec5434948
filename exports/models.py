from datetime import timedelta

from django.conf import settings
from django.core.files.storage import storages
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from companies.models import TenantModel

LINK_LIFETIME = timedelta(days=7)


def export_storage():
    """Export files live outside MEDIA_ROOT: they are served only through the download view."""
    return storages["exports"]


class Export(TenantModel):
    """One Excel export of customers: who asked, for which audience, and how far the worker got."""

    STORED_FILES = {"file_name": "exports"}  # the built file, in export_storage()

    class Status(models.TextChoices):
        PENDING = "pending", _("Queued")
        RUNNING = "running", _("Building")
        DONE = "done", _("Ready")
        FAILED = "failed", _("Failed")
        EXPIRED = "expired", _("Expired")

    class Audience(models.TextChoices):
        ALL = "all", _("All customers")
        FILTER = "filter", _("Filtered list")
        SEGMENT = "segment", _("Segment")
        SELECTION = "selection", _("Selected customers")
        ARCHIVE = "archive", _("All company data")
        ACTIVITY = "activity", _("Activity log")
        CAMPAIGN = "campaign", _("Campaign recipients")

    LIST_AUDIENCES = ("all", "filter", "segment", "selection")  # what the customer list's menu exports

    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("requested by")
    )
    email = models.EmailField(_("link sent to"))
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES)
    audience = models.CharField(_("audience"), max_length=16, choices=Audience.choices)
    # The audience as it was asked for: a filter's query string (a segment's at that moment), or ids.
    query = models.TextField(blank=True)
    ids = models.JSONField(default=list, blank=True)
    segment = models.ForeignKey("segments.Segment", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    description = models.CharField(_("customers"), max_length=500)
    columns = models.JSONField(default=list)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PENDING)
    rows_total = models.PositiveIntegerField(_("rows to write"), null=True, blank=True)
    rows_written = models.PositiveIntegerField(_("rows"), default=0)
    # The file's name in the "exports" storage (read through export_storage() at each use, so that
    # settings decide where files are, also in tests).
    file_name = models.CharField(max_length=255, blank=True)
    size = models.PositiveBigIntegerField(_("size"), default=0)
    error = models.TextField(_("error"), blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(_("requested"), auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    expires_at = models.DateTimeField(_("link expires"), null=True, blank=True)

    class Meta:
        verbose_name = _("export")
        verbose_name_plural = _("exports")
        indexes = [
            models.Index(fields=["company", "-created_at"], name="export_company_idx"),
            # The sweepers read across companies: running exports, and finished ones by expiry.
            models.Index(fields=["status", "heartbeat_at"], name="export_status_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.description} ({self.created_at:%Y-%m-%d %H:%M})"

    def get_absolute_url(self) -> str:
        return reverse("exports:detail", args=[self.pk])

    def get_download_url(self) -> str:
        return reverse("exports:download", args=[self.pk])

    @property
    def is_archive(self) -> bool:
        """The company's whole data as a zip (owners only), not a customer workbook."""
        return self.audience == self.Audience.ARCHIVE

    @property
    def is_activity(self) -> bool:
        """The activity log's entries, not customers."""
        return self.audience == self.Audience.ACTIVITY

    @property
    def download_name(self) -> str:
        stamp = f"{timezone.localtime(self.created_at):%Y-%m-%d-%H%M}"
        if self.is_archive:
            return f"company-data-{stamp}.zip"
        return f"{'activity' if self.is_activity else 'customers'}-{stamp}.xlsx"

    @property
    def is_expired(self) -> bool:
        return self.status == self.Status.EXPIRED or (
            self.status == self.Status.DONE and self.expires_at is not None and self.expires_at <= timezone.now()
        )

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED, self.Status.EXPIRED)

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        if not self.rows_total:
            return 0
        return min(99, self.rows_written * 100 // self.rows_total)
