"""Writing to a customer in a real browser: the card's Messages tab counts the SMS parts while
typing, sends, and shows the message delivered; the tab passes axe at a phone's width."""

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.axe import axe_violations
from tests.e2e.conftest import sign_in
from tests.factories import make_customer

pytestmark = pytest.mark.usefixtures("in_company_a")


@pytest.mark.parametrize("width", [1366, 390])
def test_an_sms_from_the_card(transactional_db, live_server, world, page: Page, settings, tmp_path, width):
    settings.SMS_FILE_PATH = tmp_path / "sms"
    page.set_viewport_size({"width": width, "height": 844})
    anna = make_customer(world.company_a, name="Anna Smirnova", phones=["+7 916 000-00-01"])
    sign_in(page, live_server.url)
    page.goto(f"{live_server.url}{anna.get_absolute_url()}")
    page.get_by_role("tab", name="Messages").click()
    tab = page.locator("#customer-messages")
    expect(tab).to_contain_text("No messages yet")

    tab.get_by_label("Write to the customer").fill("Ваш заказ готов, ждём вас до 20:00")
    expect(page.get_by_test_id("sms-length")).to_contain_text("1 SMS part")
    assert axe_violations(page) == []
    tab.get_by_role("button", name="Send").click()

    expect(tab).to_contain_text("The message is on its way.")
    message = page.get_by_test_id("message")
    expect(message).to_have_count(1)
    expect(message).to_have_attribute("data-status", "delivered")
    expect(message).to_contain_text("Ваш заказ готов")
    assert len(list((tmp_path / "sms").iterdir())) == 1
