"""Every kind of page, at a laptop's and a phone's width, checked by axe-core against WCAG 2 AA
(contrast, labels, names) — with data on it, so tables, badges and forms are all there."""

from decimal import Decimal

import pytest
from playwright.sync_api import Page

from customers.services import add_note
from messaging.services import unsubscribe_url
from orders.models import Product
from orders.services import Line, place_order
from quicklinks.services import issue_link, url_for
from tests.e2e.axe import axe_violations
from tests.e2e.conftest import sign_in
from tests.factories import LabelFactory, make_customer

pytestmark = pytest.mark.usefixtures("in_company_a")

WIDTHS = {"laptop": (1366, 768), "phone": (390, 844)}


@pytest.fixture
def populated(world, live_server, settings):
    settings.SITE_URL = live_server.url
    company = world.company_a
    vip = LabelFactory(company=company, name="VIP", color="#ffc107")
    teal = LabelFactory(company=company, name="Wholesale", color="#20c997")  # white text on it was 2.1:1
    anna = make_customer(
        company, name="Anna Smirnova", phones=["+7 916 000-00-01"], emails=["anna@example.com"], labels=[vip, teal]
    )
    make_customer(company, name="Boris Orlov", phones=["+7 916 000-00-02"])
    rose = Product.objects.create(company=company, name="Rose", price=Decimal("2490"), currency="RUB")
    order = place_order(company, customer=anna, lines=[Line(quantity=2, product_id=rose.pk)], source="staff")
    add_note(company, customer=anna, text="Call before delivery", priority=2, actor=world.owner_a)
    return {
        "customer": anna,
        "order": order,
        "link": url_for(issue_link(company, customer=anna, actor=world.owner_a)),
        "unsubscribe": unsubscribe_url(anna),
    }


def staff_pages(objects):
    return [
        "/",
        "/customers/",
        objects["customer"].get_absolute_url(),
        "/customers/new/",
        "/orders/",
        f"/orders/{objects['order'].pk}/",
        "/orders/products/",
        "/segments/",
        "/customers/labels/",
        "/exports/",
        "/exports/imports/",
        "/company/rates/",
        "/activity/",
    ]


@pytest.mark.parametrize("width", WIDTHS)
def test_pages_have_no_wcag_aa_violations(transactional_db, live_server, world, populated, page: Page, width):
    page.set_viewport_size(dict(zip(("width", "height"), WIDTHS[width], strict=True)))
    page.goto(f"{live_server.url}/login/")
    problems = {"/login/": axe_violations(page)}
    sign_in(page, live_server.url)
    for path in staff_pages(populated):
        page.goto(f"{live_server.url}{path}")
        problems[path] = axe_violations(page)
    page.context.clear_cookies()
    page.goto(populated["link"])
    problems["quick order link"] = axe_violations(page)
    page.goto(populated["unsubscribe"])
    problems["unsubscribe"] = axe_violations(page)
    found = {path: lines for path, lines in problems.items() if lines}
    assert not found, "\n".join(f"{path}:\n  " + "\n  ".join(lines) for path, lines in found.items())
