"""The quick-link cart lives in the visitor's session: product id → quantity, per link."""

import uuid
from dataclasses import dataclass
from decimal import Decimal

from orders.models import MAX_QUANTITY, Product
from orders.services import money, personal_price, rates_of
from quicklinks.models import QuickLink


@dataclass
class CartLine:
    product: Product
    quantity: int
    unit_price: Decimal

    @property
    def total(self) -> Decimal:
        return money(self.unit_price * self.quantity)


def _key(link: QuickLink) -> str:
    return f"quicklink-cart:{link.pk}"


def _checkout_key(link: QuickLink) -> str:
    return f"quicklink-checkout:{link.pk}"


def read(session, link: QuickLink) -> dict[int, int]:
    raw = session.get(_key(link), {})
    return {int(pk): int(quantity) for pk, quantity in raw.items() if str(pk).isdigit()}


def write(session, link: QuickLink, cart: dict[int, int]) -> None:
    session[_key(link)] = {str(pk): quantity for pk, quantity in cart.items() if quantity > 0}
    session.setdefault(_checkout_key(link), str(uuid.uuid4()))


def clear(session, link: QuickLink) -> None:
    """Empties the cart after its order is placed; the next cart gets a new checkout key."""
    session.pop(_key(link), None)
    session.pop(_checkout_key(link), None)


def checkout_key(session, link: QuickLink) -> str:
    """The key the checkout form sends: one per cart, so sending it twice places one order."""
    return session.get(_checkout_key(link), "")


def set_quantity(session, link: QuickLink, product: Product, quantity: int) -> None:
    cart = read(session, link)
    cart[product.pk] = max(0, min(quantity, MAX_QUANTITY))
    write(session, link, cart)


def currency_of(link: QuickLink) -> str:
    return link.customer.preferred_currency or link.company.base_currency


def priced_products(link: QuickLink, products) -> list[tuple[Product, Decimal]]:
    """Each product at the customer's personal price in their currency (raises on a missing rate)."""
    rates = rates_of(link.company)
    currency = currency_of(link)
    return [
        (p, personal_price(p, discount_percent=link.customer.discount_percent, currency=currency, rates=rates))
        for p in products
    ]


def lines(session, link: QuickLink) -> list[CartLine]:
    """The cart's lines priced now from the catalog; products gone from the catalog drop out."""
    cart = read(session, link)
    products = Product.objects.filter(company=link.company, is_active=True, pk__in=cart).select_related("company")
    return [
        CartLine(product=product, quantity=cart[product.pk], unit_price=price)
        for product, price in priced_products(link, products)
    ]
