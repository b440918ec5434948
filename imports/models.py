"""Excel files brought in: the upload with its column mapping, the report of its rows, what it
changed (so that it can be undone), and the mappings remembered per set of column names."""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from companies.models import TenantModel


class Import(TenantModel):
    """One Excel file brought in: its column mapping, its validation report, and what it changed."""

    STORED_FILES = {"file_name": "exports"}  # the uploaded workbook, in export_storage()

    class Status(models.TextChoices):
        MAPPING = "mapping", _("Waiting for the column mapping")
        VALIDATING = "validating", _("Checking the rows")
        VALIDATED = "validated", _("Checked, waiting for confirmation")
        APPLYING = "applying", _("Importing")
        DONE = "done", pgettext_lazy("import status", "Imported")
        FAILED = "failed", _("Failed")
        UNDOING = "undoing", _("Undoing")
        UNDONE = "undone", _("Undone")

    class OnError(models.TextChoices):
        SKIP = "skip", _("Skip bad rows and import the rest")
        STOP = "stop", _("Import nothing while any row is bad")

    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("imported by")
    )
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES)
    original_name = models.CharField(_("file"), max_length=255)
    file_name = models.CharField(max_length=255, blank=True)  # in export_storage()
    size = models.PositiveBigIntegerField(_("size"), default=0)
    sheet = models.CharField(_("sheet"), max_length=31, blank=True)
    headers = models.JSONField(default=list)
    preview = models.JSONField(default=list)  # the first rows, as text, for the mapping page
    mapping = models.JSONField(default=list)  # one field key (or "") per column
    update_existing = models.BooleanField(_("update customers that already exist"), default=True)
    on_error = models.CharField(_("bad rows"), max_length=8, choices=OnError.choices, default=OnError.SKIP)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.MAPPING)
    rows_total = models.PositiveIntegerField(_("rows"), null=True, blank=True)
    rows_done = models.PositiveIntegerField(default=0)
    to_create = models.PositiveIntegerField(_("to create"), default=0)
    to_update = models.PositiveIntegerField(_("to update"), default=0)
    rejected = models.PositiveIntegerField(_("rejected"), default=0)
    empty_rows = models.PositiveIntegerField(_("empty rows"), default=0)
    created = models.PositiveIntegerField(_("created"), default=0)
    updated = models.PositiveIntegerField(_("updated"), default=0)
    unchanged = models.PositiveIntegerField(_("unchanged"), default=0)
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(_("uploaded"), auto_now_add=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    undone_at = models.DateTimeField(_("undone"), null=True, blank=True)
    undo_conflicts = models.JSONField(default=list, blank=True)

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        indexes = [
            models.Index(fields=["company", "-created_at"], name="import_company_idx"),
            models.Index(fields=["status", "heartbeat_at"], name="import_status_idx"),
        ]

    def __str__(self) -> str:
        return self.original_name

    def get_absolute_url(self) -> str:
        return reverse("imports:detail", args=[self.pk])

    @property
    def is_working(self) -> bool:
        return self.status in (self.Status.VALIDATING, self.Status.APPLYING, self.Status.UNDOING)

    @property
    def percent(self) -> int:
        if not self.rows_total:
            return 0
        return min(100, self.rows_done * 100 // self.rows_total)


class ImportIssue(TenantModel):
    """A row of an import that was refused, and why (the report reads its cells from the file)."""

    source = models.ForeignKey(Import, on_delete=models.CASCADE, related_name="issues")
    row = models.PositiveIntegerField(_("row"))
    reason = models.TextField(_("reason"))

    class Meta:
        ordering = ["row"]
        indexes = [models.Index(fields=["source", "row"], name="import_issue_row_idx")]

    def __str__(self) -> str:
        return f"{self.row}: {self.reason}"


class ImportChange(TenantModel):
    """What one row of an applied import did to one customer, so that the import can be undone."""

    source = models.ForeignKey(Import, on_delete=models.CASCADE, related_name="changes")
    customer = models.ForeignKey("customers.Customer", on_delete=models.CASCADE, related_name="+")
    created = models.BooleanField(default=False)
    # Field name → value as text, before and as set by the import; contacts and labels it added.
    previous = models.JSONField(default=dict, blank=True)
    applied = models.JSONField(default=dict, blank=True)
    added_phones = models.JSONField(default=list, blank=True)
    added_emails = models.JSONField(default=list, blank=True)
    added_labels = models.JSONField(default=list, blank=True)

    class Meta:
        indexes = [models.Index(fields=["source", "customer"], name="import_change_idx")]

    def __str__(self) -> str:
        return f"{self.source_id} → {self.customer_id}"


class ImportMapping(TenantModel):
    """The mapping a company last used for files with the same headers."""

    headers_key = models.CharField(max_length=64)
    mapping = models.JSONField(default=list)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["company", "headers_key"], name="import_mapping_uniq")]

    def __str__(self) -> str:
        return self.headers_key
