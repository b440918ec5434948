"""Segments in a real browser: add two criteria → save them as a segment → a new customer who
matches appears in it, with no recomputation."""

import pytest
from playwright.sync_api import Page, expect

from customers.models import Customer
from segments.models import Segment
from tests.e2e.conftest import sign_in
from tests.factories import make_customer

pytestmark = pytest.mark.usefixtures("in_company_a")


def test_two_criteria_saved_as_a_segment_stay_live(transactional_db, live_server, world, page: Page):
    company = world.company_a
    make_customer(company, name="Tanya Tver", phones=["+7 916 000-00-01"], region="Tver", gender="female")
    make_customer(company, name="Tom Tver", phones=["+7 916 000-00-02"], region="Tver", gender="male")
    make_customer(company, name="Olga Omsk", phones=["+7 916 000-00-03"], region="Omsk", gender="female")
    base = live_server.url
    sign_in(page, base)
    page.goto(f"{base}/customers/")
    total = page.get_by_test_id("total-count")
    expect(total).to_have_text("3 customers")

    # First criterion: gender (it starts as "female"), added from the menu.
    page.locator("[data-add-criterion]").select_option(label="Gender")
    expect(page.locator('[data-criterion="gender"]')).to_be_visible()
    expect(total).to_have_text("2 customers")

    # Second criterion: region, typed in.
    page.locator("[data-add-criterion]").select_option(label="Region")
    region = page.locator('[data-criterion="region"] input')
    region.fill("tver")
    region.press("Enter")
    expect(total).to_have_text("1 customer")
    expect(page.locator("#results")).to_contain_text("Tanya Tver")
    expect(page.get_by_test_id("rule")).to_contain_text("Gender: Female; Region: tver")

    # Save the filter as a segment through the dotted link.
    page.wait_for_load_state("networkidle")
    page.get_by_role("button", name="Save as a segment").click()
    page.locator("#segment-name").fill("Women of Tver")
    page.get_by_role("button", name="Save new segment").click()
    expect(page.locator(".alert")).to_contain_text("Segment Women of Tver saved.")
    segment = Segment.objects.get(company=company, name="Women of Tver")
    bar = page.get_by_test_id("segment-bar")
    pill = bar.get_by_role("link", name="Women of Tver")
    expect(pill).to_contain_text("1")

    # A new customer who matches appears in the segment the next time it is opened.
    make_customer(company, name="Vera Tver", phones=["+7 916 000-00-04"], region="TVER", gender="female")
    page.goto(f"{base}/customers/")
    page.get_by_test_id("segment-bar").get_by_role("link", name="Women of Tver").click()
    expect(total).to_have_text("2 customers")
    expect(page.locator("#results")).to_contain_text("Vera Tver")
    assert Customer.objects.filter(company=company).count() == 4
    assert segment.query == "region=tver&gender=female" or "gender=female" in segment.query

    # Removing a criterion with its × widens the list again.
    page.locator('[data-criterion="region"]').get_by_role("link").click()
    expect(total).to_have_text("3 customers")
