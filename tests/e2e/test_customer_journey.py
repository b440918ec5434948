"""A staff member's everyday journey, in a real browser against the live server:
sign in → customer list → search by a phone fragment → open the customer → edit a phone →
add a label → see the label in the list."""

import re

import pytest
from playwright.sync_api import Page, expect

from customers.models import CustomerPhone
from tests.factories import LabelFactory, make_customer

pytestmark = pytest.mark.usefixtures("in_company_a")


def result_rows(page: Page):
    return page.locator("#results table.customer-table tbody tr")


def test_search_edit_phone_and_label_a_customer(transactional_db, live_server, world, page: Page):
    anna = make_customer(world.company_a, name="Anna Smirnova", phones=["+7 916 123-45-67"])
    make_customer(world.company_a, name="Boris Orlov", phones=["+7 903 111-22-33"])
    make_customer(world.company_a, name="Clara Volkova", phones=["+7 925 555-66-77"])
    LabelFactory(company=world.company_a, name="VIP")
    # Another company's customer matches the same phone fragment; company A must never see it.
    make_customer(world.company_b, name="Vera Bee", phones=["+7 916 123-45-68"])
    base = live_server.url

    # Sign in: staff land on the start page and go on to the customer list.
    page.goto(f"{base}/login/")
    page.locator("#id_username").fill("owner@a.example")
    page.locator("#id_password").fill("secret-password")
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{base}/")
    page.get_by_role("link", name="Customers", exact=True).click()
    expect(page).to_have_url(f"{base}/customers/")

    total = page.get_by_test_id("total-count")
    expect(total).to_have_text("3 customers")
    expect(result_rows(page)).to_have_count(3)

    # Typing a phone fragment narrows the list through htmx, without a page load.
    page.locator("#id_q").fill("916 123")
    expect(total).to_have_text("1 customer")
    expect(result_rows(page)).to_have_count(1)
    expect(result_rows(page).first).to_contain_text("Anna Smirnova")
    expect(result_rows(page).first).to_contain_text("+7 916 123-45-67")
    expect(page.locator("#results")).not_to_contain_text("Vera Bee")
    expect(page).to_have_url(re.compile(r"/customers/\?.*q=916"))

    # Open her card from the list.
    page.locator("#results").get_by_role("link", name="Anna Smirnova").click()
    expect(page).to_have_url(re.compile(rf"/customers/{anna.pk}/(\?back=.*)?$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Anna Smirnova")

    # Edit her phone.
    # The icon's glyph (CSS generated content) is part of the link's accessible name.
    page.locator("main").get_by_role("link", name=re.compile(r"^\W*Edit$")).click()
    expect(page).to_have_url(f"{base}/customers/{anna.pk}/edit/")
    phone_inputs = page.locator("input[name=phones]")
    expect(phone_inputs).to_have_count(1)
    expect(phone_inputs.first).to_have_value("+7 916 123-45-67")
    phone_inputs.first.fill("+7 916 765-43-21")
    page.get_by_role("button", name="Save changes").click()

    expect(page).to_have_url(f"{base}/customers/{anna.pk}/")
    expect(page.locator(".messages .alert-success")).to_contain_text("Changes to Anna Smirnova saved.")
    phones_on_card = page.locator(".contact-list a[href^='tel:']")
    expect(phones_on_card).to_have_text(["+7 916 765-43-21"])
    assert list(CustomerPhone.objects.filter(customer=anna).values_list("number", flat=True)) == ["+79167654321"]

    # Add the label "VIP" on the card.
    labels_on_card = page.get_by_test_id("customer-labels")
    expect(labels_on_card).not_to_contain_text("VIP")
    page.locator("#labels select[name=label]").select_option(label="VIP")
    page.locator("#labels").get_by_role("button", name="Add label").click()
    expect(page.locator(".messages .alert-success")).to_contain_text("Label VIP added.")
    expect(labels_on_card.locator(".badge")).to_have_text(["VIP"])

    # Back in the list, Anna's row shows the label and the others do not.
    page.locator(".breadcrumb").get_by_role("link", name="Customers").click()
    expect(page).to_have_url(f"{base}/customers/")
    expect(total).to_have_text("3 customers")
    anna_row = result_rows(page).filter(has=page.get_by_role("link", name="Anna Smirnova"))
    expect(anna_row).to_have_count(1)
    expect(anna_row.locator("td").last).to_have_text("VIP")
    expect(anna_row).to_contain_text("+7 916 765-43-21")
    for other in ("Boris Orlov", "Clara Volkova"):
        other_row = result_rows(page).filter(has=page.get_by_role("link", name=other))
        expect(other_row).to_have_count(1)
        expect(other_row).not_to_contain_text("VIP")
