"""The quick order link on a phone (390 × 844): a long catalog, a cart button that stays at the
bottom of the screen with the item count and total, and a page that never scrolls sideways."""

from decimal import Decimal

import pytest
from playwright.sync_api import Browser, expect

from orders import services as order_services
from orders.models import Product
from quicklinks import services
from tests.factories import make_customer

pytestmark = pytest.mark.usefixtures("in_company_a")


def no_sideways_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_on_a_phone_the_cart_button_follows_the_catalog(transactional_db, live_server, world, browser: Browser):
    company = world.company_a
    roses = order_services.create_category(company, name="Roses with a rather long category name", position=1)
    order_services.create_category(company, name="Vases", position=2)
    Product.objects.bulk_create(
        Product(
            company=company,
            name=f"Bouquet number {i:02d} with an unusually long name to wrap",
            sku=f"BQ-{i:02d}",
            price=Decimal("1250.00"),
            currency="RUB",
            category=roses if i % 2 else None,
        )
        for i in range(30)
    )
    anna = make_customer(company, name="Anna Smirnova", phones=["+79161234567"], preferred_language="en")
    link = services.issue_link(company, customer=anna, actor=world.owner_a)
    url = f"{live_server.url}/q/{services.token_for(link)}/"

    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="en-US", is_mobile=True)
    shop = context.new_page()
    try:
        shop.goto(url)
        expect(shop.get_by_role("heading", name="Catalog")).to_be_visible()
        assert no_sideways_scroll(shop)
        expect(shop.get_by_test_id("sticky-cart")).to_have_count(0)  # nothing in the cart yet

        card = shop.locator(".product-card").nth(5)
        card.get_by_label("Quantity").fill("2")
        card.get_by_role("button", name="Add to cart").click()
        button = shop.get_by_test_id("sticky-cart")
        expect(button).to_be_in_viewport()
        expect(button.get_by_test_id("sticky-cart-count")).to_have_text("2 items")
        expect(button.get_by_test_id("sticky-cart-total")).to_have_text("RUB\xa02,500.00")

        # Further down the catalog and on its next page the button is still on screen.
        shop.mouse.wheel(0, 3000)
        expect(button).to_be_in_viewport()
        shop.get_by_role("link", name="Next").click()
        expect(shop).to_have_url(f"{url}?page=2#catalog")
        shop.locator(".product-card").first.get_by_role("button", name="Add to cart").click()
        expect(shop).to_have_url(f"{url}?page=2#product-{Product.objects.get(sku='BQ-24').pk}")
        expect(button.get_by_test_id("sticky-cart-count")).to_have_text("3 items")
        expect(button.get_by_test_id("sticky-cart-total")).to_have_text("RUB\xa03,750.00")
        assert no_sideways_scroll(shop)

        # The button jumps to the cart, which has both lines.
        button.click()
        expect(shop.locator("#cart")).to_be_in_viewport()
        expect(shop.locator(".cart-line")).to_have_count(2)
        assert no_sideways_scroll(shop)
    finally:
        context.close()
