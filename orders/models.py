from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from companies.models import CURRENCY_CHOICES, TenantModel
from customers.models import Customer, Label

MAX_QUANTITY = 10_000


class Category(TenantModel):
    """A shelf of the catalog; products without one are shown under "All" only."""

    name = models.CharField(_("name"), max_length=100)
    position = models.PositiveIntegerField(_("position"), default=0, help_text=_("Smaller numbers come first."))

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ["position", "name", "id"]
        constraints = [
            models.UniqueConstraint("company", Lower("name"), name="category_company_name_uniq"),
        ]
        indexes = [models.Index(fields=["company", "position", "name"], name="category_position_idx")]

    def __str__(self) -> str:
        return self.name


class Product(TenantModel):
    category = models.ForeignKey(
        Category,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="products",
        verbose_name=_("category"),
    )
    name = models.CharField(_("name"), max_length=255)
    sku = models.CharField(_("SKU"), max_length=64, blank=True)
    description = models.TextField(_("description"), max_length=5000, blank=True)
    price = models.DecimalField(
        _("base price"), max_digits=12, decimal_places=2, validators=[MinValueValidator(Decimal("0"))]
    )
    currency = models.CharField(_("currency"), max_length=3, choices=CURRENCY_CHOICES)
    is_active = models.BooleanField(_("active"), default=True)
    # Both files are written by orders.images from the upload, re-encoded; never the upload itself.
    image = models.ImageField(_("image"), upload_to="products/%Y/%m/", blank=True)
    thumbnail = models.ImageField(upload_to="products/%Y/%m/", blank=True, editable=False)
    thumbnail_width = models.PositiveSmallIntegerField(null=True, blank=True, editable=False)
    thumbnail_height = models.PositiveSmallIntegerField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "sku"], condition=~models.Q(sku=""), name="product_company_sku_uniq"
            ),
            models.CheckConstraint(condition=models.Q(price__gte=0), name="product_price_not_negative"),
        ]
        indexes = [
            models.Index(fields=["company", "is_active", "name"], name="product_active_name_idx"),
            models.Index(fields=["company", "category", "is_active", "name"], name="product_category_idx"),
        ]

    def __str__(self) -> str:
        return self.name


class Order(TenantModel):
    class Status(models.TextChoices):
        NEW = "new", _("New")
        CONFIRMED = "confirmed", _("Confirmed")
        IN_PRODUCTION = "in_production", _("In production")
        SHIPPED = "shipped", _("Shipped")
        COMPLETED = "completed", _("Completed")
        CANCELLED = "cancelled", _("Cancelled")

    class Source(models.TextChoices):
        STAFF = "staff", _("Staff")
        QUICK_LINK = "quick_link", _("Quick link")
        MESSAGE = "message", _("Portal message")
        IMPORT = "import", _("Import")

    class Payment(models.TextChoices):
        CASH = "cash", _("Cash")
        CARD = "card", _("Card")
        TRANSFER = "transfer", _("Bank transfer")
        ONLINE = "online", _("Online payment")

    class Delivery(models.TextChoices):
        PICKUP = "pickup", _("Pickup")
        COURIER = "courier", _("Courier")
        POST = "post", _("Post")

    number = models.PositiveIntegerField(_("number"))
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="orders", verbose_name=_("customer"))
    # The customer's details as given in this order, kept even if the customer changes later.
    customer_name = models.CharField(_("name in the order"), max_length=255, blank=True)
    customer_email = models.CharField(_("email in the order"), max_length=255, blank=True)
    customer_phone = models.CharField(_("phone in the order"), max_length=20, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.NEW)
    source = models.CharField(_("source"), max_length=16, choices=Source.choices, default=Source.STAFF)
    currency = models.CharField(_("currency"), max_length=3, choices=CURRENCY_CHOICES)
    # Units of the company's base currency per unit of `currency`, as in force when placed.
    rate = models.DecimalField(_("rate"), max_digits=14, decimal_places=6)
    discount_percent = models.DecimalField(
        _("discount, %"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )
    items_count = models.PositiveIntegerField(_("items"), default=0)
    total = models.DecimalField(_("total"), max_digits=14, decimal_places=2)
    total_base = models.DecimalField(_("total in company currency"), max_digits=14, decimal_places=2)
    payment_method = models.CharField(_("payment"), max_length=16, choices=Payment.choices, blank=True)
    delivery_method = models.CharField(_("delivery"), max_length=16, choices=Delivery.choices, blank=True)
    comment = models.TextField(_("comment"), max_length=2000, blank=True)
    labels = models.ManyToManyField(Label, through="OrderLabel", related_name="orders", blank=True)
    created_at = models.DateTimeField(_("placed"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The quick-link checkout this order came from: the same cart sent twice (a double click, a
    # browser's retry) finds this order instead of placing a second one.
    checkout_key = models.UUIDField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["company", "number"], name="order_company_number_uniq"),
            models.UniqueConstraint(
                fields=["company", "checkout_key"],
                condition=models.Q(checkout_key__isnull=False),
                name="order_checkout_key_uniq",
            ),
            models.CheckConstraint(condition=models.Q(total__gte=0), name="order_total_not_negative"),
        ]
        indexes = [
            models.Index(F("company"), F("created_at").desc(), F("id").desc(), name="order_newest_idx"),
            models.Index(
                F("company"), F("customer"), F("created_at").desc(), F("id").desc(), name="order_customer_idx"
            ),
            models.Index(F("company"), F("status"), F("created_at").desc(), F("id").desc(), name="order_status_idx"),
            models.Index(F("company"), F("source"), F("created_at").desc(), F("id").desc(), name="order_source_idx"),
            models.Index(fields=["company", "total_base", "id"], name="order_total_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.number}"

    def get_absolute_url(self) -> str:
        return reverse("orders:detail", args=[self.pk])

    @property
    def counts_for_customer(self) -> bool:
        """Cancelled orders do not count in the customer's figures."""
        return self.status != self.Status.CANCELLED


class OrderItem(TenantModel):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="items")
    product = models.ForeignKey(Product, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    name = models.CharField(_("item"), max_length=255)
    sku = models.CharField(_("SKU"), max_length=64, blank=True)
    quantity = models.PositiveIntegerField(
        _("quantity"), validators=[MinValueValidator(1), MaxValueValidator(MAX_QUANTITY)]
    )
    unit_price = models.DecimalField(_("price"), max_digits=12, decimal_places=2)
    line_total = models.DecimalField(_("sum"), max_digits=14, decimal_places=2)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(quantity__gte=1), name="order_item_quantity_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.name} × {self.quantity}"


class OrderStatusChange(TenantModel):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="status_changes")
    from_status = models.CharField(max_length=16, choices=Order.Status.choices, blank=True)
    to_status = models.CharField(max_length=16, choices=Order.Status.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.order_id}: {self.from_status} → {self.to_status}"


class OrderLabel(TenantModel):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="+")
    label = models.ForeignKey(Label, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["company", "order", "label"], name="order_label_uniq")]

    def __str__(self) -> str:
        return f"{self.order_id}:{self.label_id}"


class OrderDay(TenantModel):
    """The orders placed on one day (in the company's time zone) that are now in one status: how
    many, and their totals in the company currency. The start page reads weeks of revenue and the
    orders waiting for action from these few rows instead of aggregating every order.

    Kept in step by orders.services (place_order, change_order_status) in the order's own
    transaction; rebuild_order_days recomputes them from the orders (after a bulk load, or when
    the company's time zone changes)."""

    day = models.DateField()
    status = models.CharField(max_length=16, choices=Order.Status.choices)
    orders = models.IntegerField(default=0)
    total_base = models.DecimalField(max_digits=18, decimal_places=2, default=Decimal("0"))

    class Meta:
        constraints = [models.UniqueConstraint(fields=["company", "day", "status"], name="order_day_uniq")]

    def __str__(self) -> str:
        return f"{self.day} {self.status}: {self.orders}"
