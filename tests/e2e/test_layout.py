"""The staff pages fit the screen: on a phone (390×844) and on a laptop (1366×768) the customer
list, a customer's card with its Orders tab, the orders list and an order never scroll sideways;
on the phone the first customer is in sight without scrolling and the filter waits behind its
button; on the laptop the card's orders show their status in the visible width."""

from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from customers.models import Label
from orders.models import Product
from orders.services import Line, add_order_label, change_order_status, place_order
from tests.e2e.conftest import sign_in
from tests.factories import make_customer

pytestmark = pytest.mark.usefixtures("in_company_a")

PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1366, "height": 768}


@pytest.fixture
def shop(world):
    """Enough of everything for pagers to show: 25 customers, one of them with 25 orders of
    long product names, labels on both, and contact details as long as real ones get."""
    company = world.company_a
    vip = Label.objects.create(company=company, name="VIP", color="#dc3545")
    wholesale = Label.objects.create(company=company, name="Wholesale buyer", color="#198754")
    bouquet = Product.objects.create(
        company=company, name="Bouquet of thirty-one red roses with eucalyptus", price=Decimal("12500"), currency="RUB"
    )
    vase = Product.objects.create(company=company, name="Tall glass vase", price=Decimal("2400.50"), currency="RUB")
    for number in range(24):
        make_customer(company, name=f"Customer Number {number:02d}", phones=[f"+7 916 000-00-{number:02d}"])
    anna = make_customer(
        company,
        name="Anna-Maria Konstantinopolskaya-Rimskaya",
        phones=["+7 916 123-45-67", "+7 903 765-43-21"],
        emails=["anna-maria.konstantinopolskaya@very-long-domain.example"],
        labels=[vip, wholesale],
        city="Nizhny Novgorod",
    )
    for number in range(25):
        order = place_order(
            company,
            customer=anna,
            lines=[Line(quantity=number + 1, product_id=bouquet.pk), Line(quantity=1, product_id=vase.pk)],
            source="staff",
        )
        add_order_label(company, order=order, label=vip)
    change_order_status(company, order=order, status="confirmed", actor=world.owner_a)
    return {"anna": anna, "order": order}


def assert_no_sideways_scroll(page: Page) -> None:
    widths = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], f"{page.url} scrolls sideways: {widths[0]} px of content in {widths[1]} px"


def visit_the_four_pages(page: Page, base: str, shop: dict):
    """Yields after each page has loaded with its htmx fragments."""
    page.goto(f"{base}/customers/")
    expect(page.get_by_test_id("total-count")).to_have_text("25 customers")
    yield "list"
    page.goto(f"{base}{shop['anna'].get_absolute_url()}")
    page.get_by_role("tab", name="Orders").click()
    expect(page.get_by_test_id("customer-orders-table")).to_be_visible()
    yield "card"
    page.goto(f"{base}/orders/")
    expect(page.get_by_test_id("total-count")).to_have_text("25 orders")
    yield "orders"
    page.goto(f"{base}/orders/{shop['order'].pk}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text(str(shop["order"].number))
    yield "order"


def test_on_a_phone_nothing_scrolls_sideways_and_the_first_customer_is_in_sight(
    transactional_db, live_server, world, shop, page: Page
):
    page.set_viewport_size(PHONE)  # before the first page: resizing a loaded page has hung CI
    sign_in(page, live_server.url)
    for name in visit_the_four_pages(page, live_server.url, shop):
        page.wait_for_load_state("networkidle")
        assert_no_sideways_scroll(page)
        if name == "list":
            first = page.locator("#results table.customer-table tbody tr").first
            expect(first).to_be_in_viewport()
            box = first.bounding_box()
            assert box["y"] + box["height"] <= PHONE["height"], f"the first customer ends at {box}"
            expect(first).to_contain_text("+7 916 123-45-67")  # the newest customer, with their phone
            expect(page.locator("#filter-form")).to_be_hidden()
            expect(page.locator("#results thead").get_by_role("link", name="Orders sum")).to_be_visible()  # sorting
            pager = page.locator("#results .pagination")
            pager.scroll_into_view_if_needed()
            expect(pager).to_be_in_viewport(ratio=1)  # whole: not cut off at the right
            page.evaluate("() => window.scrollTo(0, 0)")

            # The filter is one tap away, and stays open while it is used.
            page.get_by_test_id("tools-toggle").click()
            search = page.locator("#id_q")
            expect(search).to_be_visible()
            search.fill("Konstantinopolskaya")
            expect(page.get_by_test_id("total-count")).to_have_text("1 customer")
            page.locator("[data-add-criterion]").select_option(label="City")
            expect(page.locator('[data-criterion="city"]')).to_be_visible()
            assert_no_sideways_scroll(page)
        if name == "card":
            expect(page.get_by_test_id("customer-orders-table").locator("tbody tr").first).to_contain_text("Confirmed")


def test_on_a_laptop_nothing_scrolls_sideways_and_the_card_orders_show_their_status(
    transactional_db, live_server, world, shop, page: Page
):
    page.set_viewport_size(LAPTOP)  # before the first page: resizing a loaded page has hung CI
    sign_in(page, live_server.url)
    for name in visit_the_four_pages(page, live_server.url, shop):
        page.wait_for_load_state("networkidle")
        assert_no_sideways_scroll(page)
        if name == "list":
            expect(page.locator("#filter-form")).to_be_visible()
        if name == "card":
            table = page.get_by_test_id("customer-orders-table")
            status = table.locator("tbody tr").first.locator("td.status")
            expect(status).to_have_text("Confirmed")
            container = table.locator("xpath=ancestor::div[contains(@class, 'table-responsive')]").bounding_box()
            box = status.bounding_box()
            assert box["x"] + box["width"] <= container["x"] + container["width"], "the status is off-screen"
            expect(table).not_to_contain_text("very-long-domain.example")
            page.locator("#customer-orders").get_by_role("link", name="Next").click()
            expect(page.locator("#customer-orders")).to_contain_text("2 of 2")
            assert_no_sideways_scroll(page)
