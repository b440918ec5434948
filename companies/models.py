import zoneinfo
from decimal import Decimal

import phonenumbers
from django.conf import settings
from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager

CURRENCY_CHOICES = [
    ("RUB", _("Russian rouble (RUB)")),
    ("USD", _("US dollar (USD)")),
    ("EUR", _("Euro (EUR)")),
    ("KZT", _("Kazakhstani tenge (KZT)")),
    ("BYN", _("Belarusian rouble (BYN)")),
    ("CNY", _("Chinese yuan (CNY)")),
]


def validate_region(value: str) -> None:
    if value not in phonenumbers.SUPPORTED_REGIONS:
        raise ValidationError(_("%(value)s is not a known phone region code."), params={"value": value})


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(_("%(value)s is not a known time zone."), params={"value": value})


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email, password, **extra_fields):
        if not email:
            raise ValueError("An email address is required")
        user = self.model(email=self.normalize_email(email).lower(), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra_fields)


class User(AbstractUser):
    """A person who signs in: company staff, and portal admins (is_staff) for the Django admin."""

    username = None
    email = models.EmailField(_("email address"), unique=True)
    language = models.CharField(
        _("language"),
        max_length=8,
        choices=settings.LANGUAGES,
        blank=True,
        help_text=_("Leave empty to use the company's language."),
    )

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    objects = UserManager()

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.get_full_name() or self.email


class Company(models.Model):
    """The tenant. Every row of customer data belongs to exactly one company."""

    class Plan(models.TextChoices):
        FREE = "free", _("Free")
        PAID = "paid", _("Paid")

    name = models.CharField(_("name"), max_length=255)
    plan = models.CharField(_("plan"), max_length=16, choices=Plan.choices, default=Plan.FREE)
    default_region = models.CharField(
        _("default phone region"),
        max_length=2,
        default="RU",
        validators=[validate_region],
        help_text=_("Two-letter country code used to read phone numbers written without +."),
    )
    base_currency = models.CharField(_("base currency"), max_length=3, choices=CURRENCY_CHOICES, default="RUB")
    time_zone = models.CharField(
        _("time zone"), max_length=64, default="Europe/Moscow", validators=[validate_time_zone]
    )
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES, default="ru")
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    # The last order number handed out; place_order takes it under a row lock.
    last_order_number = models.PositiveIntegerField(default=0, editable=False)
    members = models.ManyToManyField(User, through="Membership", related_name="companies")
    # Set when a portal admin deletes the company: its staff and quick links lose it at once, and
    # a worker deletes its data (companies.deletion).
    deletion_requested_at = models.DateTimeField(_("deletion requested"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("company")
        verbose_name_plural = _("companies")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_paid(self) -> bool:
        return self.plan == self.Plan.PAID


class TenantModel(models.Model):
    """A row that belongs to one company: the company foreign key (non-null, indexed) and the
    scoped manager, so that a query outside the company's scope raises instead of reading every
    company's rows. Unique constraints and composite indexes of the model start with `company`."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+")

    objects = ScopedManager(company="company")

    class Meta:
        abstract = True


class Membership(models.Model):
    class Role(models.TextChoices):
        OWNER = "owner", _("Owner")
        ADMIN = "admin", _("Admin")
        MANAGER = "manager", _("Manager")

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("user"))
    company = models.ForeignKey(
        Company, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("company")
    )
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.MANAGER)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [models.UniqueConstraint(fields=["company", "user"], name="membership_company_user_uniq")]

    def __str__(self) -> str:
        return f"{self.user} @ {self.company} ({self.get_role_display()})"

    def has_role(self, role: str) -> bool:
        """At least `role`: owners can do everything admins can, admins everything managers can."""
        return ROLE_RANK[self.role] >= ROLE_RANK[role]

    @property
    def is_admin(self) -> bool:
        return self.has_role(self.Role.ADMIN)

    @property
    def is_owner(self) -> bool:
        return self.has_role(self.Role.OWNER)


ROLE_RANK = {Membership.Role.MANAGER: 1, Membership.Role.ADMIN: 2, Membership.Role.OWNER: 3}


def has_role(company: Company, user, role: str) -> bool:
    """The one role check of services: whether `user` is at least `role` in `company`."""
    if user is None or not getattr(user, "pk", None):
        return False
    membership = Membership.objects.filter(company=company, user=user).only("role").first()
    return membership is not None and membership.has_role(role)


class ExchangeRate(TenantModel):
    """The company's own rate: one unit of `currency` is worth `rate` units of its base currency."""

    currency = models.CharField(_("currency"), max_length=3, choices=CURRENCY_CHOICES)
    rate = models.DecimalField(
        _("rate"), max_digits=14, decimal_places=6, validators=[MinValueValidator(Decimal("0.000001"))]
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    updated_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        verbose_name = _("exchange rate")
        verbose_name_plural = _("exchange rates")
        ordering = ["currency"]
        constraints = [
            models.UniqueConstraint(fields=["company", "currency"], name="rate_company_currency_uniq"),
            models.CheckConstraint(condition=models.Q(rate__gt=0), name="rate_positive"),
        ]

    def __str__(self) -> str:
        return f"1 {self.currency} = {self.rate}"
