"""The customer at a glance in a real browser: the quick-info panel on the list, and merging a
possible duplicate pair from the duplicates page."""

from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from customers.models import Customer, DuplicateCandidate, Label
from customers.services import flag_possible_duplicate
from orders.models import Order, Product
from orders.services import Line, place_order
from tests.e2e.conftest import sign_in
from tests.factories import make_customer

pytestmark = pytest.mark.usefixtures("in_company_a")


def test_tick_two_customers_and_label_both_from_the_panel(transactional_db, live_server, world, page: Page):
    company = world.company_a
    anna = make_customer(company, name="Anna Smirnova", phones=["+7 916 000-00-01"])
    boris = make_customer(company, name="Boris Orlov", phones=["+7 916 000-00-02"])
    make_customer(company, name="Vera Left-Out", phones=["+7 916 000-00-03"])
    Label.objects.create(company=company, name="Wholesale")
    sign_in(page, live_server.url)
    page.goto(f"{live_server.url}/customers/")

    page.get_by_role("row", name="Anna Smirnova").get_by_role("checkbox").check()
    panel = page.get_by_test_id("quick-panel")
    expect(panel).to_be_visible()
    expect(panel.get_by_test_id("panel-customer")).to_contain_text("+7 916 000-00-01")

    page.get_by_role("row", name="Boris Orlov").get_by_role("checkbox").check()
    several = panel.get_by_test_id("panel-several")
    expect(several).to_contain_text("2 customers selected")
    expect(several).to_contain_text("Anna Smirnova")
    expect(several).to_contain_text("Boris Orlov")

    panel.get_by_test_id("panel-label-form").locator("select").select_option(label="Wholesale")
    panel.get_by_role("button", name="Add", exact=True).click()
    expect(panel).to_contain_text("Label Wholesale added to 2 customers.")
    labelled = set(Customer.objects.filter(labels__name="Wholesale").values_list("pk", flat=True))
    assert labelled == {anna.pk, boris.pk}


def test_open_a_duplicate_pair_and_merge_it(transactional_db, live_server, world, page: Page):
    company = world.company_a
    rose = Product.objects.create(company=company, name="Rose", price=Decimal("100"), currency="RUB")
    anna = make_customer(company, name="Anna Smirnova", phones=["+7 916 000-00-01"], city="Moscow")
    twin = make_customer(company, name="Anna S.", emails=["anna@example.com"], city="Tver")
    for customer in (anna, twin, twin):
        place_order(company, customer=customer, lines=[Line(quantity=1, product_id=rose.pk)], source="staff")
    flag_possible_duplicate(
        company, first_id=anna.pk, second_id=twin.pk, reason=DuplicateCandidate.Reason.IDENTIFICATION
    )
    sign_in(page, live_server.url)
    page.goto(f"{live_server.url}/customers/")

    page.get_by_role("link", name="Possible duplicates").click()
    page.get_by_role("link", name="Compare and merge").click()
    form = page.get_by_test_id("merge-form")
    expect(form.locator('[data-conflict="city"]')).to_contain_text("Tver")
    # Keep Anna's card (it starts on the twin, who has more orders) with the twin's city.
    form.get_by_label("Keep this card").first.check()
    form.locator('[data-conflict="city"]').get_by_label("Tver").check()
    page.get_by_test_id("merge-button").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Anna Smirnova")
    expect(page.locator(".alert-success")).to_contain_text("Merged into Anna Smirnova")
    expect(page.get_by_test_id("timeline")).to_contain_text("Merged with the duplicate Anna S.")
    survivor = Customer.objects.get(pk=anna.pk)
    assert not Customer.objects.filter(pk=twin.pk).exists()
    assert (survivor.city, survivor.orders_count) == ("Tver", 3)
    assert Order.objects.filter(customer=survivor).count() == 3
