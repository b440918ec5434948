"""A customer's quick order link in a real browser: staff generate it on the card → the customer
opens it with no account → adds two products → changes a quantity → checks out → staff see the
order with the right total; then staff revoke it and the same URL says it is no longer valid."""

import re
from decimal import Decimal

import pytest
from django.test import override_settings
from playwright.sync_api import Page, expect

from orders.models import Order, Product
from tests.e2e.conftest import BrowserProblems
from tests.factories import make_customer

pytestmark = pytest.mark.usefixtures("in_company_a")


def test_order_through_the_link_then_revoke_it(transactional_db, live_server, world, page: Page):
    company = world.company_a
    Product.objects.create(company=company, name="Red roses", price=Decimal("250.00"), currency="RUB")
    Product.objects.create(company=company, name="Glass vase", price=Decimal("1200.00"), currency="RUB")
    anna = make_customer(
        company,
        name="Anna Smirnova",
        phones=["+7 916 123-45-67"],
        discount_percent=Decimal("10"),
        preferred_language="en",
    )
    base = live_server.url

    with override_settings(SITE_URL=base):
        # Staff generate the link on the card.
        page.goto(f"{base}/login/")
        page.locator("#id_username").fill("owner@a.example")
        page.locator("#id_password").fill("secret-password")
        page.get_by_role("button", name="Sign in").click()
        page.goto(f"{base}/customers/{anna.pk}/")
        page.get_by_role("button", name="Generate quick order link").click()
        link = page.locator("#quicklink-url")
        expect(link).to_have_value(re.compile(rf"^{re.escape(base)}/q/"))
        url = link.input_value()

        # The customer opens it in a browser with no session at all.
        customer = page.context.browser.new_context(locale="en-US")
        shop = customer.new_page()
        shop_problems = BrowserProblems(shop)  # the page fixture watches only the staff's page
        shop.goto(url)
        expect(shop.get_by_role("heading", name="Catalog")).to_be_visible()
        cards = shop.locator(".product-card")
        roses, vase = cards.filter(has_text="Red roses"), cards.filter(has_text="Glass vase")
        expect(roses.get_by_test_id("price")).to_have_text("RUB\xa0225.00")  # 250 less 10 %
        roses.get_by_role("button", name="Add to cart").click()
        vase = shop.locator(".product-card").filter(has_text="Glass vase")
        vase.get_by_role("button", name="Add to cart").click()
        total = shop.get_by_test_id("cart-total")
        expect(total).to_have_text("RUB\xa01,305.00")  # 225 + 1,080

        # Three roses instead of one.
        line = shop.locator(".cart-line").filter(has_text="Red roses")
        line.get_by_label("Quantity").fill("3")
        line.get_by_role("button", name="Update").click()
        expect(total).to_have_text("RUB\xa01,755.00")  # 3 × 225 + 1,080

        shop.locator("#comment").fill("Please call before delivery")
        shop.get_by_role("button", name="Place order").click()
        order = Order.objects.get(company=company)
        expect(shop.get_by_test_id("confirmation")).to_have_text(f"Thank you! Your order #{order.number} is placed.")
        assert (order.source, order.customer_id, order.total) == ("quick_link", anna.pk, Decimal("1755.00"))
        assert order.comment == "Please call before delivery"
        shop_problems.wait_for_requests()
        assert not shop_problems.report(), "\n".join(shop_problems.report())  # before the deliberate 404 below

        # Staff see it on the orders page with the customer, the items and the total.
        page.goto(f"{base}/orders/")
        row = page.locator("tbody tr").filter(has_text="Anna Smirnova")
        expect(row).to_contain_text("Red roses")
        expect(row).to_contain_text("Glass vase")
        expect(row).to_contain_text("1,755.00")
        expect(row).to_contain_text("Quick link")

        # Revoking on the card stops the link at once.
        page.goto(f"{base}/customers/{anna.pk}/")
        page.once("dialog", lambda dialog: dialog.accept())
        page.get_by_role("button", name="Revoke").click()
        expect(page.get_by_role("button", name="Generate quick order link")).to_be_visible()
        response = shop.goto(url)
        assert response.status == 404
        expect(shop.locator("body")).to_contain_text("no longer valid")
        expect(shop.locator("body")).not_to_contain_text("Alpha Flowers")
        customer.close()
