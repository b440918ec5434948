from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import F
from django.db.models.functions import ExtractDay, ExtractMonth
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from companies.models import CURRENCY_CHOICES, TenantModel

MAX_PHONES = 5
MAX_EMAILS = 5

hex_color = RegexValidator(r"^#[0-9a-fA-F]{6}$", _("Enter a colour as #rrggbb."))


class Label(TenantModel):
    name = models.CharField(_("name"), max_length=64)
    color = models.CharField(_("colour"), max_length=7, default="#0d6efd", validators=[hex_color])
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("label")
        verbose_name_plural = _("labels")
        ordering = ["name", "id"]
        constraints = [models.UniqueConstraint(fields=["company", "name"], name="label_company_name_uniq")]

    def __str__(self) -> str:
        return self.name

    @property
    def text_color(self) -> str:
        """Black or white, whichever contrasts more with the label's colour by WCAG's formula
        (any colour reaches 4.5:1 with one of them)."""
        luminance = relative_luminance(self.color)
        return "#000000" if (luminance + 0.05) / 0.05 >= 1.05 / (luminance + 0.05) else "#ffffff"


def relative_luminance(color: str) -> float:
    """WCAG 2's relative luminance of a #rrggbb colour: 0 for black, 1 for white."""

    def linear(channel: int) -> float:
        value = channel / 255
        return value / 12.92 if value <= 0.04045 else ((value + 0.055) / 1.055) ** 2.4

    red, green, blue = (linear(int(color[i : i + 2], 16)) for i in (1, 3, 5))
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


# A birthday's month and day as one number (5 March is 305): "birthday in the next days" is one
# range of it, or two across the new year, which customer_birthday_idx serves in date order.
BIRTHDAY_KEY = ExtractMonth("birthday") * 100 + ExtractDay("birthday")


# Leads in the order a salesperson calls them: hot, warm, cold, not yet rated, not interested.
LEAD_RANK = models.Case(
    models.When(temperature="hot", then=models.Value(0)),
    models.When(temperature="warm", then=models.Value(1)),
    models.When(temperature="cold", then=models.Value(2)),
    models.When(temperature="not_interested", then=models.Value(4)),
    default=models.Value(3),
    output_field=models.IntegerField(),
)


class Customer(TenantModel):
    class Gender(models.TextChoices):
        FEMALE = "female", _("Female")
        MALE = "male", _("Male")

    class Status(models.TextChoices):
        CURRENT = "current", _("Current")
        POTENTIAL = "potential", _("Potential")

    class Temperature(models.TextChoices):
        HOT = "hot", _("Hot")
        WARM = "warm", _("Warm")
        COLD = "cold", _("Cold")
        NOT_INTERESTED = "not_interested", _("Not interested")

    class Channel(models.TextChoices):
        MANUAL = "manual", _("Added by staff")
        ORDER = "order", _("Order")
        QUICK_LINK = "quick_link", _("Quick order link")
        MESSAGE = "message", _("Message")
        IMPORT = "import", _("Import")
        WEBSITE = "website", _("Website")
        REFERRAL = "referral", _("Referral")
        OTHER = "other", _("Other")

    class ConsentSource(models.TextChoices):
        TOLD_STAFF = "told_staff", _("Told staff (phone or in person)")
        ORDER_FORM = "order_form", _("Order form")
        WRITTEN = "written", _("Signed in writing")
        IMPORT = "import", _("Imported")
        UNSUBSCRIBED = "unsubscribed", _("Unsubscribe link")

    full_name = models.CharField(_("full name"), max_length=255)
    other_channels = models.CharField(
        _("other contact channels"), max_length=100, blank=True, help_text=_("Telegram, WhatsApp, Instagram…")
    )
    internal_note = models.TextField(_("internal note"), max_length=2000, blank=True)
    labels = models.ManyToManyField(Label, through="CustomerLabel", related_name="customers", blank=True)
    gender = models.CharField(_("gender"), max_length=8, choices=Gender.choices, blank=True)
    birthday = models.DateField(_("birthday"), null=True, blank=True)
    region = models.CharField(_("region"), max_length=100, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    address = models.CharField(_("address"), max_length=255, blank=True)
    tax_id = models.CharField(
        _("tax ID (INN)"),
        max_length=12,
        blank=True,
        validators=[RegexValidator(r"^(\d{10}|\d{12})$", _("A tax ID (INN) has 10 or 12 digits."))],
    )
    contact_person = models.CharField(_("contact person"), max_length=255, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.POTENTIAL)
    temperature = models.CharField(_("temperature"), max_length=16, choices=Temperature.choices, blank=True)
    discount_percent = models.DecimalField(
        _("personal discount, %"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )
    preferred_currency = models.CharField(_("preferred currency"), max_length=3, choices=CURRENCY_CHOICES, blank=True)
    preferred_language = models.CharField(_("preferred language"), max_length=8, choices=settings.LANGUAGES, blank=True)
    is_favourite = models.BooleanField(_("favourite"), default=False)
    is_blocked = models.BooleanField(_("blocked"), default=False)
    blocked_reason = models.CharField(_("reason for blocking"), max_length=255, blank=True)
    acquisition_channel = models.CharField(
        _("acquisition channel"), max_length=16, choices=Channel.choices, default=Channel.MANUAL
    )
    card_number = models.CharField(_("card number"), max_length=32, blank=True)
    # Consent per channel: given (True) or opted out (False), and when and how that was recorded.
    sms_consent = models.BooleanField(_("consents to SMS"), default=True)
    sms_consent_at = models.DateTimeField(_("SMS consent recorded"), null=True, blank=True)
    sms_consent_source = models.CharField(
        _("how SMS consent was given"), max_length=16, choices=ConsentSource.choices, blank=True
    )
    email_consent = models.BooleanField(_("consents to email"), default=True)
    email_consent_at = models.DateTimeField(_("email consent recorded"), null=True, blank=True)
    email_consent_source = models.CharField(
        _("how email consent was given"), max_length=16, choices=ConsentSource.choices, blank=True
    )
    push_consent = models.BooleanField(_("consents to push"), default=True)
    push_consent_at = models.DateTimeField(_("push consent recorded"), null=True, blank=True)
    push_consent_source = models.CharField(
        _("how push consent was given"), max_length=16, choices=ConsentSource.choices, blank=True
    )
    # Set when the personal data was erased on request; the row stays for the company's figures.
    erased_at = models.DateTimeField(_("personal data erased"), null=True, blank=True)
    created_at = models.DateTimeField(_("added"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    # Figures derived from other tables, kept in step by the services that change them (in the
    # same transaction) so that lists can sort and filter by them without aggregating per row.
    orders_count = models.PositiveIntegerField(_("orders"), default=0)
    orders_sum = models.DecimalField(_("orders sum"), max_digits=14, decimal_places=2, default=Decimal("0"))
    first_order_at = models.DateTimeField(_("first order"), null=True, blank=True)
    last_order_at = models.DateTimeField(_("last order"), null=True, blank=True)
    messages_count = models.PositiveIntegerField(_("messages"), default=0)
    last_activity_at = models.DateTimeField(_("last activity"), null=True, blank=True)
    points_balance = models.IntegerField(_("points"), default=0)
    reviews_count = models.PositiveIntegerField(_("reviews"), default=0)
    # Reviews this customer wrote about the company (the reviews app keeps it in step).
    company_reviews_count = models.PositiveIntegerField(_("reviews of the company"), default=0)

    # Upper-cased name, phone digits and emails: one trigram-indexed column for the list search.
    search_document = models.TextField(default="", editable=False)

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        # The trigram search index and the NULLS LAST indexes for "last order" are PostgreSQL-only
        # and live in migrations 0002 and 0003.
        indexes = [
            # The default order. It carries the figures segments filter on, so a page of a segment
            # is found in the index alone, even when the newest customers rarely match (see
            # DeferredJoinPaginator and docs/performance.md).
            models.Index(
                F("company"),
                F("created_at").desc(),
                F("id").desc(),
                include=["last_activity_at", "orders_count", "messages_count", "orders_sum"],
                name="customer_newest_idx",
            ),
            models.Index(fields=["company", "full_name", "id"], name="customer_name_idx"),
            models.Index(fields=["company", "orders_count", "id"], name="customer_orders_count_idx"),
            models.Index(fields=["company", "orders_sum", "id"], name="customer_orders_sum_idx"),
            # Segments by last activity ("less than 3 months ago") and activity count: the default
            # groups are counted from this index alone (PostgreSQL; elsewhere INCLUDE is ignored).
            models.Index(
                fields=["company", "last_activity_at"],
                include=["id", "orders_count", "messages_count", "orders_sum"],
                name="customer_activity_idx",
            ),
            # Potential customers, most promising first (see customers.queries.leads_first).
            models.Index(
                F("company"),
                LEAD_RANK,
                F("created_at").desc(),
                F("id").desc(),
                name="customer_lead_idx",
                condition=models.Q(status="potential"),
            ),
            models.Index(
                F("company"),
                F("created_at").desc(),
                F("id").desc(),
                name="customer_favourite_idx",
                condition=models.Q(is_favourite=True),
            ),
            # "Birthday soon" (the list's criterion and the start page): counted from the index
            # alone (it includes the birthday the key is computed from), listed in date order.
            models.Index(F("company"), BIRTHDAY_KEY, F("id"), include=["birthday"], name="customer_birthday_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(discount_percent__gte=0, discount_percent__lte=100),
                name="customer_discount_range",
            ),
        ]

    def __str__(self) -> str:
        return self.full_name

    def get_absolute_url(self) -> str:
        return reverse("customers:detail", args=[self.pk])


class CustomerPhone(TenantModel):
    """A phone in E.164 form (+79161234567), unique within the company."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="phones")
    number = models.CharField(_("phone"), max_length=20)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        constraints = [models.UniqueConstraint(fields=["company", "number"], name="phone_company_number_uniq")]
        indexes = [models.Index(fields=["customer", "position"], name="phone_customer_idx")]

    def __str__(self) -> str:
        return self.formatted

    @property
    def formatted(self) -> str:
        from customers.phones import format_phone

        return format_phone(self.number)


class CustomerEmail(TenantModel):
    """A lower-cased email address, unique within the company."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="emails")
    email = models.EmailField(_("email"), max_length=255)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        constraints = [models.UniqueConstraint(fields=["company", "email"], name="email_company_email_uniq")]
        indexes = [models.Index(fields=["customer", "position"], name="email_customer_idx")]

    def __str__(self) -> str:
        return self.email


class CustomerLabel(TenantModel):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    label = models.ForeignKey(Label, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["company", "customer", "label"], name="customer_label_uniq"),
        ]
        indexes = [models.Index(fields=["company", "label", "customer"], name="customer_label_by_label_idx")]

    def __str__(self) -> str:
        return f"{self.customer_id}:{self.label_id}"


class Note(TenantModel):
    class Priority(models.IntegerChoices):
        NONE = 0, _("None")
        MEDIUM = 1, _("Medium")
        HIGH = 2, _("High")

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("author")
    )
    text = models.TextField(_("text"), max_length=2000)
    priority = models.PositiveSmallIntegerField(_("priority"), choices=Priority.choices, default=Priority.NONE)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("note")
        verbose_name_plural = _("notes")
        ordering = ["-priority", "-created_at", "-id"]
        indexes = [
            models.Index(fields=["customer", "priority", "created_at"], name="note_customer_idx"),
            # The start page's newest high-priority notes of the company.
            models.Index(
                F("company"),
                F("created_at").desc(),
                F("id").desc(),
                name="note_urgent_idx",
                condition=models.Q(priority=2),
            ),
        ]

    def __str__(self) -> str:
        return self.text[:50]


class DuplicateCandidate(TenantModel):
    """A pair of customers that are probably the same person, for staff to merge or dismiss."""

    class Reason(models.TextChoices):
        IDENTIFICATION = "identification", _("One order or message matched both")
        SAME_PHONE = "same_phone", _("Same phone")
        SAME_EMAIL = "same_email", _("Same email")
        SAME_NAME = "same_name", _("Same name and similar phone")

    first = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    second = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(_("reason"), max_length=16, choices=Reason.choices)
    created_at = models.DateTimeField(_("found"), auto_now_add=True)
    # "Not a duplicate": kept, so that the next scan does not bring the pair back.
    dismissed_at = models.DateTimeField(null=True, blank=True)
    dismissed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["company", "first", "second"], name="duplicate_pair_uniq"),
            models.CheckConstraint(condition=models.Q(first__lt=models.F("second")), name="duplicate_pair_ordered"),
        ]
        indexes = [
            models.Index(
                F("company"),
                F("created_at").desc(),
                name="duplicate_open_idx",
                condition=models.Q(dismissed_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.first_id} ~ {self.second_id}"


class CustomerEvent(TenantModel):
    """Something that happened to a customer and is not a row of its own elsewhere: an edit (which
    fields changed from what to what), a label added or removed, a status change, a merge.
    The card's timeline shows these next to orders, status changes and notes."""

    class Kind(models.TextChoices):
        EDITED = "edited", _("Edited")
        LABEL_ADDED = "label_added", _("Label added")
        LABEL_REMOVED = "label_removed", _("Label removed")
        STATUS_CHANGED = "status_changed", _("Status changed")
        MERGED = "merged", _("Merged")
        MERGE_UNDONE = "merge_undone", _("Merge undone")
        ERASED = "erased", _("Personal data erased")

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                F("company"), F("customer"), F("created_at").desc(), F("id").desc(), name="customer_event_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.kind}"


class CustomerMerge(TenantModel):
    """A merge, kept for 30 days so that it can be undone: the absorbed customer's row and every
    row that went with it (serialized as they were), the rows that moved to the survivor, and the
    survivor's fields before the merge."""

    UNDO_DAYS = 30

    survivor = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="merges")
    absorbed_id = models.BigIntegerField()
    absorbed_name = models.CharField(max_length=255)
    # Serialized rows (django.core.serializers "python" format) deleted with the absorbed customer.
    absorbed_rows = models.JSONField(default=list)
    # {"app_label.model": {"field": [ids]}}: rows re-pointed from the absorbed customer to the survivor.
    moved = models.JSONField(default=dict)
    # The survivor's fields as they were before the merge and as the merge left them: undoing puts
    # back only the fields nobody has changed since.
    survivor_before = models.JSONField(default=dict)
    survivor_after = models.JSONField(default=dict)
    # Labels the survivor gained from the absorbed customer, and the absorbed customer's contacts.
    added_label_ids = models.JSONField(default=list)
    absorbed_contacts = models.JSONField(default=dict)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    undone_at = models.DateTimeField(null=True, blank=True)
    undone_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")

    class Meta:
        indexes = [models.Index(fields=["survivor", "created_at"], name="merge_survivor_idx")]

    def __str__(self) -> str:
        return f"{self.absorbed_id} → {self.survivor_id}"


class ErasedContact(TenantModel):
    """A phone or email of a customer whose data was erased on request, kept only as a keyed hash
    so that a later order or import does not silently bring the person back."""

    class Kind(models.TextChoices):
        PHONE = "phone", _("phone")
        EMAIL = "email", _("email")

    kind = models.CharField(max_length=8, choices=Kind.choices)
    digest = models.CharField(max_length=64)
    erased_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["company", "digest"], name="erased_contact_uniq")]

    def __str__(self) -> str:
        return f"{self.kind} {self.digest[:8]}…"


class ListSettings(TenantModel):
    """How one user likes a company's customer list: which columns, in what order."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    columns = models.JSONField(default=list)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["company", "user"], name="list_settings_uniq")]

    def __str__(self) -> str:
        return f"{self.user_id}: {', '.join(self.columns)}"
