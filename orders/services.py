"""Every write to orders: placing them, moving them through statuses, labelling them.

The customer's figures (orders count and sum, first and last order, last activity) are kept in
step in the same transaction, recomputed from that customer's orders under a row lock; so are the
company's orders per day and status (OrderDay), which the start page reads.
"""

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.services import CUSTOMER, Action, record
from companies.models import Company, ExchangeRate
from customers.models import Customer, Label
from customers.services import find_or_create_customer
from customers.services.figures import refresh_customer_stats
from orders.images import OUTPUT_EXTENSION, PreparedImage, prepare_product_image
from orders.models import MAX_QUANTITY, Category, Order, OrderDay, OrderItem, OrderLabel, OrderStatusChange, Product
from orders.signals import order_placed, order_status_changed

CENT = Decimal("0.01")

# Where an order may go from each status; cancelling is possible until it ships.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    Order.Status.NEW: (Order.Status.CONFIRMED, Order.Status.CANCELLED),
    Order.Status.CONFIRMED: (Order.Status.IN_PRODUCTION, Order.Status.CANCELLED),
    Order.Status.IN_PRODUCTION: (Order.Status.SHIPPED, Order.Status.CANCELLED),
    Order.Status.SHIPPED: (Order.Status.COMPLETED,),
    Order.Status.COMPLETED: (),
    Order.Status.CANCELLED: (),
}


@dataclass(frozen=True)
class Line:
    """One line of an order: a catalog product, or (staff only) a free line with its own price."""

    quantity: int
    product_id: int | None = None
    name: str = ""
    unit_price: Decimal | None = None  # free lines only, in the order's currency


def money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def rates_of(company: Company) -> dict[str, Decimal]:
    """Units of the base currency per unit of each currency the company has a rate for."""
    rates = dict(ExchangeRate.objects.filter(company=company).values_list("currency", "rate"))
    rates[company.base_currency] = Decimal("1")
    return rates


def rate_for(company: Company, currency: str, rates: dict[str, Decimal] | None = None) -> Decimal:
    rates = rates if rates is not None else rates_of(company)
    if currency not in rates:
        raise ValidationError(
            _("There is no exchange rate for %(currency)s yet; an admin can add it under Exchange rates."),
            params={"currency": currency},
            code="missing_rate",
        )
    return rates[currency]


def personal_price(product: Product, *, discount_percent: Decimal, currency: str, rates: dict[str, Decimal]) -> Decimal:
    """The product's price for a customer: their discount off the base price, in `currency`."""
    company = product.company
    in_base = product.price * rate_for(company, product.currency, rates)
    converted = in_base / rate_for(company, currency, rates)
    return money(converted * (Decimal("100") - discount_percent) / Decimal("100"))


def place_order(
    company: Company,
    *,
    lines: Sequence[Line],
    source: str,
    customer: Customer | None = None,
    name: str = "",
    phones: Iterable[str] = (),
    emails: Iterable[str] = (),
    currency: str = "",
    payment_method: str = "",
    delivery_method: str = "",
    comment: str = "",
    actor=None,
    checkout_key: uuid.UUID | None = None,
) -> Order:
    """The one path for an order. Identifies the customer by phone or email unless given one,
    prices every catalog line from the catalog (nothing the browser says about prices counts),
    and keeps the customer's figures in step.

    With a `checkout_key`, placing is idempotent: an order of this customer with that key is
    returned as it is. Requests sent together queue on the customer's row lock, so the later ones
    find the first one's order; the unique constraint on the key holds even without the lock."""
    lines = [line for line in lines if line.quantity != 0 or line.product_id or line.name]
    _check_lines(lines, allow_free=source == Order.Source.STAFF)
    with transaction.atomic():
        if customer is None:
            customer, _created = find_or_create_customer(
                company, name=name, phones=phones, emails=emails, source=_channel_for(source)
            )
        customer = Customer.objects.select_for_update().get(company=company, pk=customer.pk)
        if checkout_key is not None:
            placed = Order.objects.filter(company=company, customer=customer, checkout_key=checkout_key).first()
            if placed is not None:
                return placed
        if source == Order.Source.QUICK_LINK and customer.is_blocked:
            raise ValidationError(_("This link does not take orders at the moment."), code="blocked")
        currency = currency or customer.preferred_currency or company.base_currency
        rates = rates_of(company)
        rate = rate_for(company, currency, rates)
        items = _priced_items(company, lines, customer=customer, currency=currency, rates=rates)
        total = sum((item.line_total for item in items), Decimal("0"))
        order = Order(
            company=company,
            number=_next_order_number(company),
            customer=customer,
            source=source,
            currency=currency,
            rate=rate,
            discount_percent=customer.discount_percent,
            items_count=sum(item.quantity for item in items),
            total=total,
            total_base=money(total * rate),
            payment_method=payment_method,
            delivery_method=delivery_method,
            comment=comment.strip(),
            created_by=actor,
            checkout_key=checkout_key,
            **_contact_in_order(customer, name=name, emails=emails),
        )
        order.full_clean(exclude=["company", "customer", "created_by"])
        order.save()
        for item in items:
            item.order = order
        OrderItem.objects.bulk_create(items)
        OrderStatusChange.objects.create(company=company, order=order, to_status=order.status, actor=actor)
        refresh_customer_stats(customer)
        count_order_day(company, order=order, status=order.status, sign=1)
        _audit_placed(company, order, actor=actor)
        order_placed.send(Order, company=company, order=order)
    return order


def _priced_items(company: Company, lines: Sequence[Line], *, customer: Customer, currency: str, rates) -> list:
    """The order's items: catalog lines at the customer's personal price (whatever the browser
    said), free lines (staff only) at the price typed."""
    products = {
        p.pk: p
        for p in Product.objects.filter(
            company=company, pk__in=[line.product_id for line in lines if line.product_id]
        ).select_related("company")
    }
    items = []
    for line in lines:
        if line.product_id:
            product = products.get(line.product_id)
            if product is None or not product.is_active:
                raise ValidationError(
                    _("A product in the order is no longer available; remove it and try again."), code="product"
                )
            unit_price = personal_price(
                product, discount_percent=customer.discount_percent, currency=currency, rates=rates
            )
            item = OrderItem(company=company, product=product, name=product.name, sku=product.sku)
        else:
            unit_price = money(line.unit_price)
            item = OrderItem(company=company, name=line.name.strip()[:255])
        item.quantity, item.unit_price, item.line_total = line.quantity, unit_price, money(unit_price * line.quantity)
        items.append(item)
    return items


def _next_order_number(company: Company) -> int:
    """The company's next order number, taken under a lock of its row (numbers never repeat)."""
    locked = Company.objects.select_for_update().get(pk=company.pk)
    locked.last_order_number += 1
    locked.save(update_fields=["last_order_number"])
    return locked.last_order_number


def _contact_in_order(customer: Customer, *, name: str, emails: Iterable[str]) -> dict:
    """The name, email and phone the order keeps, as given or from the customer's card."""
    contact_phone = customer.phones.values_list("number", flat=True).first() or ""
    contact_email = customer.emails.values_list("email", flat=True).first() or ""
    return {
        "customer_name": (name.strip() or customer.full_name)[:255],
        "customer_email": (next(iter(emails), "") or contact_email).strip().lower()[:255],
        "customer_phone": contact_phone,
    }


def _audit_placed(company: Company, order: Order, *, actor) -> None:
    # A quick-link order is the customer's own doing.
    by = CUSTOMER if actor is None and order.source == Order.Source.QUICK_LINK else actor
    record(
        company,
        actor=by,
        action=Action.ORDER_PLACED,
        target=order,
        label=f"#{order.number}",
        source=order.source,
        total=str(order.total),
        currency=order.currency,
        customer=order.customer_id,
    )


def _channel_for(source: str) -> str:
    return {
        Order.Source.QUICK_LINK: Customer.Channel.QUICK_LINK,
        Order.Source.MESSAGE: Customer.Channel.MESSAGE,
        Order.Source.IMPORT: Customer.Channel.IMPORT,
    }.get(source, Customer.Channel.ORDER)


def _check_lines(lines: Sequence[Line], *, allow_free: bool) -> None:
    if not lines:
        raise ValidationError(_("An order needs at least one item."), code="empty")
    for line in lines:
        if not isinstance(line.quantity, int) or not 1 <= line.quantity <= MAX_QUANTITY:
            raise ValidationError(
                _("A quantity must be a whole number from 1 to %(max)d."), params={"max": MAX_QUANTITY}, code="quantity"
            )
        if line.product_id:
            continue
        if not allow_free:
            raise ValidationError(_("Choose products from the catalog."), code="free_line")
        if not line.name.strip() or line.unit_price is None or line.unit_price < 0:
            raise ValidationError(_("A free line needs a name and a price of zero or more."), code="free_line")


def order_day(company: Company, order: Order):
    return timezone.localtime(order.created_at, ZoneInfo(company.time_zone)).date()


def count_order_day(company: Company, *, order: Order, status: str, sign: int) -> None:
    """Adds the order to (sign 1) or takes it from (sign -1) its day's row for `status`."""
    day = order_day(company, order)
    change = {"orders": F("orders") + sign, "total_base": F("total_base") + sign * order.total_base}
    rows = OrderDay.objects.filter(company=company, day=day, status=status)
    if rows.update(**change):
        return
    try:
        with transaction.atomic():  # a savepoint: another order of that day may create the row first
            OrderDay.objects.create(
                company=company, day=day, status=status, orders=sign, total_base=sign * order.total_base
            )
    except IntegrityError:
        rows.update(**change)


def rebuild_order_days(company: Company) -> int:
    """Recomputes the company's OrderDay rows from its orders (days in its current time zone);
    returns how many rows there are."""
    rows = (
        Order.objects.filter(company=company)
        .annotate(day=TruncDate("created_at", tzinfo=ZoneInfo(company.time_zone)))
        .values("day", "status")
        .annotate(n=Count("pk"), total=Sum("total_base"))
        .order_by()
    )
    days = [
        OrderDay(company=company, day=row["day"], status=row["status"], orders=row["n"], total_base=row["total"])
        for row in rows
    ]
    with transaction.atomic():
        OrderDay.objects.filter(company=company).delete()
        OrderDay.objects.bulk_create(days, batch_size=5_000)
    return len(days)


def change_order_status(company: Company, *, order: Order, status: str, actor) -> Order:
    with transaction.atomic():
        order = Order.objects.select_for_update().get(company=company, pk=order.pk)
        if status not in TRANSITIONS.get(order.status, ()):
            raise ValidationError(
                _("An order that is %(current)s cannot become %(new)s."),
                params={
                    "current": order.get_status_display().lower(),
                    "new": str(dict(Order.Status.choices).get(status, status)).lower(),
                },
                code="transition",
            )
        # Lock the customer before the order's figures change, as place_order does.
        Customer.objects.select_for_update().filter(company=company, pk=order.customer_id).first()
        previous = order.status
        order.status = status
        order.save(update_fields=["status"])
        count_order_day(company, order=order, status=previous, sign=-1)
        count_order_day(company, order=order, status=status, sign=1)
        OrderStatusChange.objects.create(
            company=company, order=order, from_status=previous, to_status=status, actor=actor
        )
        if Order.Status.CANCELLED in (previous, status):
            refresh_customer_stats(order.customer)
        changes = [{"field": "status", "old": previous, "new": status}]
        record(
            company,
            actor=actor,
            action=Action.ORDER_STATUS_CHANGED,
            target=order,
            label=f"#{order.number}",
            changes=changes,
        )
        order_status_changed.send(Order, company=company, order=order, previous=previous)
    return order


@transaction.atomic
def add_order_label(company: Company, *, order: Order, label: Label, actor=None) -> None:
    if order.company_id != company.pk or label.company_id != company.pk:
        raise ValueError("an object of another company was passed to a service")
    _link, added = OrderLabel.objects.get_or_create(company=company, order=order, label=label)
    if added:
        record(
            company,
            actor=actor,
            action=Action.ORDER_LABEL_ADDED,
            target=order,
            label=f"#{order.number}",
            name=label.name,
        )


@transaction.atomic
def remove_order_label(company: Company, *, order: Order, label: Label, actor=None) -> None:
    removed, _by_model = OrderLabel.objects.filter(company=company, order=order, label=label).delete()
    if removed:
        record(
            company,
            actor=actor,
            action=Action.ORDER_LABEL_REMOVED,
            target=order,
            label=f"#{order.number}",
            name=label.name,
        )


PRODUCT_FIELDS = ("name", "sku", "category", "description", "price", "currency", "is_active")


def save_product(
    company: Company,
    *,
    values: dict,
    product: Product | None = None,
    image: PreparedImage | bool | None = None,
    actor=None,
) -> Product:
    """Creates a catalog product, or updates `product`, from `values` (PRODUCT_FIELDS); SKUs are
    unique in the company.

    `image` is a PreparedImage (store it and its thumbnail), False (remove the image) or None
    (keep it). Files replaced or removed are deleted once the change is committed; files written
    for a change that fails are deleted at once, so no file is left behind either way.
    """
    unknown = set(values) - set(PRODUCT_FIELDS)
    if unknown:
        raise ValueError(f"not product fields: {sorted(unknown)}")
    category = values.get("category")
    if category is not None and category.company_id != company.pk:
        raise ValueError("an object of another company was passed to a service")
    storage = Product._meta.get_field("image").storage
    stored = []
    try:
        with transaction.atomic():
            if product is None:
                product, before = Product(company=company), {}
            else:
                product = Product.objects.select_for_update().get(company=company, pk=product.pk)
                before = {name: _as_text(getattr(product, name)) for name in values}
            for name, value in values.items():
                setattr(product, name, value)
            if product.sku and Product.objects.filter(company=company, sku=product.sku).exclude(pk=product.pk).exists():
                raise ValidationError({"sku": _("Another product already has the SKU %(sku)s.") % {"sku": product.sku}})
            product.full_clean(exclude=["company", "image", "thumbnail"])
            old_files = [product.image.name, product.thumbnail.name] if image is not None else []
            if image is False:
                product.image = product.thumbnail = ""
                product.thumbnail_width = product.thumbnail_height = None
            elif isinstance(image, PreparedImage):
                store_product_image(product, image)
                stored = [product.image.name, product.thumbnail.name]
            product.save()
            transaction.on_commit(lambda: _delete_files(storage, old_files))
            changes = [
                {"field": name, "old": old, "new": _as_text(getattr(product, name))}
                for name, old in before.items()
                if old != _as_text(getattr(product, name))
            ]
            if image is not None and before:
                changes.append({"field": "image", "old": "", "new": "removed" if image is False else "new"})
            action = Action.PRODUCT_EDITED if before else Action.PRODUCT_CREATED
            record(company, actor=actor, action=action, target=product, changes=changes)
    except Exception:
        _delete_files(storage, stored)
        raise
    return product


def store_product_image(product: Product, image: PreparedImage) -> None:
    """Writes an image and its thumbnail under fresh names and points the product at them; the
    caller saves the product (and deletes the files it replaced)."""
    stem = uuid.uuid4().hex  # never the uploaded name
    product.image.save(f"{stem}.{OUTPUT_EXTENSION}", ContentFile(image.image), save=False)
    product.thumbnail.save(f"{stem}-thumb.{OUTPUT_EXTENSION}", ContentFile(image.thumbnail), save=False)
    product.thumbnail_width, product.thumbnail_height = image.thumbnail_size


def reencode_product_image(company: Company, *, product: Product) -> None:
    """Stores an image uploaded before images were re-encoded the way new uploads are (upright,
    bounded, no metadata, with a thumbnail) and deletes the original; a ValidationError if the
    stored file cannot be read, which then stays as it is."""
    if product.company_id != company.pk:
        raise ValueError("an object of another company was passed to a service")
    old_files = [product.image.name, product.thumbnail.name]
    with product.image.open("rb") as original:
        prepared = prepare_product_image(original)
    store_product_image(product, prepared)
    storage = Product._meta.get_field("image").storage
    with transaction.atomic():
        Product.objects.filter(company=company, pk=product.pk).update(
            image=product.image.name,
            thumbnail=product.thumbnail.name,
            thumbnail_width=product.thumbnail_width,
            thumbnail_height=product.thumbnail_height,
        )
        transaction.on_commit(lambda: _delete_files(storage, old_files))


def _delete_files(storage, names: Iterable[str]) -> None:
    for name in names:
        if name:
            storage.delete(name)


@transaction.atomic
def create_category(company: Company, *, name: str, position: int = 0, actor=None) -> Category:
    name = _category_name(company, name)
    category = Category.objects.create(company=company, name=name, position=position)
    record(company, actor=actor, action=Action.CATEGORY_CREATED, target=category)
    return category


@transaction.atomic
def rename_category(company: Company, *, category: Category, name: str, position: int, actor=None) -> Category:
    if category.company_id != company.pk:
        raise ValueError("an object of another company was passed to a service")
    before = {"name": category.name, "position": str(category.position)}
    category.name = _category_name(company, name, exclude=category.pk)
    category.position = position
    category.save(update_fields=["name", "position"])
    after = {"name": category.name, "position": str(category.position)}
    changes = [{"field": key, "old": before[key], "new": after[key]} for key in before if before[key] != after[key]]
    record(company, actor=actor, action=Action.CATEGORY_EDITED, target=category, changes=changes)
    return category


@transaction.atomic
def delete_category(company: Company, *, category: Category, actor=None) -> int:
    """Deletes the category; its products stay in the catalog, uncategorised. Returns how many."""
    if category.company_id != company.pk:
        raise ValueError("an object of another company was passed to a service")
    moved = Product.objects.filter(company=company, category=category).update(category=None)
    record(company, actor=actor, action=Action.CATEGORY_DELETED, target=category, count=moved)
    category.delete()
    return moved


def _category_name(company: Company, name: str, *, exclude: int | None = None) -> str:
    name = " ".join(name.split())
    if not name:
        raise ValidationError({"name": _("Enter a name.")})
    # Compared in Python: SQLite folds the case of ASCII letters only, and a company has few categories.
    others = Category.objects.filter(company=company).exclude(pk=exclude).values_list("name", flat=True)
    if any(other.casefold() == name.casefold() for other in others):
        raise ValidationError({"name": _("There is already a category called %(name)s.") % {"name": name}})
    return name


@transaction.atomic
def set_product_active(company: Company, *, product: Product, active: bool, actor=None) -> Product:
    changes = [{"field": "is_active", "old": str(product.is_active), "new": str(active)}]
    product.is_active = active
    product.save(update_fields=["is_active", "updated_at"])
    record(company, actor=actor, action=Action.PRODUCT_EDITED, target=product, changes=changes)
    return product


def _as_text(value) -> str:
    return "" if value is None else str(value)
