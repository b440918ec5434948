"""The start page in a real browser: sign in → land on it → follow "shipped" to the orders in that
status, and a revenue bar to that week's orders; at phone width the cards stack."""

import re
from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from customers.models import Note
from customers.services import add_note
from orders.models import Order
from orders.services import Line, change_order_status, place_order
from tests.e2e.conftest import sign_in
from tests.factories import make_customer

pytestmark = pytest.mark.usefixtures("in_company_a")


def test_staff_land_on_the_start_page_and_follow_a_figure(transactional_db, live_server, world, page: Page):
    company = world.company_a
    anna = make_customer(company, name="Anna Smirnova", phones=["+7 916 123-45-67"])
    boris = make_customer(company, name="Boris Orlov", phones=["+7 916 123-45-68"])
    line = [Line(quantity=2, name="Bouquet", unit_price=Decimal("1500"))]
    shipped = place_order(company, customer=anna, lines=line, source=Order.Source.STAFF)
    for status in ("confirmed", "in_production", "shipped"):
        change_order_status(company, order=shipped, status=status, actor=world.owner_a)
    waiting = place_order(company, customer=boris, lines=line, source=Order.Source.STAFF)
    add_note(company, customer=boris, text="Call before delivery", priority=Note.Priority.HIGH, actor=world.owner_a)
    base = live_server.url

    sign_in(page, base)
    expect(page.get_by_role("heading", name="Overview", level=1)).to_be_visible()
    expect(page.get_by_test_id("new-this-week")).to_have_text("2")
    expect(page.get_by_test_id("revenue-total")).to_have_text("RUB\xa06,000.00")
    expect(page.get_by_test_id("urgent-note")).to_contain_text("Call before delivery")
    # Each bar is a link a screen reader announces with its week, sum and orders.
    this_week = page.get_by_test_id("revenue-week").last
    expect(this_week).to_have_attribute("aria-label", re.compile(r"^\d+ \w+ – \d+ \w+: RUB\xa06,000\.00, 2 orders$"))

    page.get_by_test_id("waiting-shipped").click()
    expect(page).to_have_url(f"{base}/orders/?status=shipped")
    expect(page.get_by_test_id("total-count")).to_have_text("1 order")
    expect(page.get_by_role("link", name=str(shipped.number), exact=True)).to_be_visible()
    expect(page.get_by_role("link", name=str(waiting.number), exact=True)).to_have_count(0)

    page.go_back()
    page.get_by_test_id("revenue-week").last.click()
    expect(page).to_have_url(re.compile(r"/orders/\?placed_from=\d{4}-\d\d-\d\d&placed_to=\d{4}-\d\d-\d\d$"))
    expect(page.get_by_test_id("total-count")).to_have_text("2 orders")

    # At phone width the cards stack in one column.
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{base}/")
    first = page.get_by_test_id("new-customers").bounding_box()
    chart = page.get_by_test_id("revenue").bounding_box()
    assert chart["y"] > first["y"] + first["height"] - 1 and abs(chart["x"] - first["x"]) < 2
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
