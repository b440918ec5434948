"""The messaging pages in a real browser, at a laptop's and a phone's width: a template is saved and
then picked on a customer's card, where it fills the text and the SMS counter; automatic messages
refuse an unknown variable next to its text and keep a switch on once saved; the messaging settings
save an SMS price and refuse a negative one next to the field; and the quick order link offers
notifications, which headless Chromium cannot grant, so the page says so without any error."""

from decimal import Decimal

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from messaging.models import AutoMessage, MessageTemplate, MessagingSettings
from quicklinks.services import issue_link, token_for
from tests.e2e.axe import axe_violations
from tests.e2e.conftest import sign_in
from tests.factories import make_customer

pytestmark = pytest.mark.usefixtures("in_company_a")

WIDTHS = [1366, 390]
TEMPLATE_TEXT = "{first_name}, your order is ready"
PUSH_MESSAGES = (
    "This browser cannot show notifications from a website.",
    "Notifications are blocked for this site in the browser settings.",
    "Notifications could not be turned on in this browser.",
)


def assert_no_sideways_scroll(page: Page) -> None:
    widths = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], f"{page.url} scrolls sideways: {widths[0]} px of content in {widths[1]} px"


def assert_page_is_sound(page: Page) -> None:
    page.wait_for_load_state("networkidle")
    assert axe_violations(page) == []
    assert_no_sideways_scroll(page)


@pytest.mark.parametrize("width", WIDTHS)
def test_a_template_saved_then_picked_on_the_card(transactional_db, live_server, world, page: Page, width):
    anna = make_customer(world.company_a, name="Anna Smirnova", phones=["+7 916 000-00-01"])
    base = live_server.url
    page.set_viewport_size({"width": width, "height": 844})
    sign_in(page, base)

    page.goto(f"{base}/messages/templates/")
    expect(page.locator("main")).to_contain_text("No templates yet")
    assert_page_is_sound(page)

    page.get_by_role("link", name="New template").click()
    expect(page).to_have_url(f"{base}/messages/templates/new/")
    assert_page_is_sound(page)
    page.get_by_label("Name").fill("Order ready")
    page.get_by_label("Channel").select_option(label="SMS")
    page.get_by_label("Text", exact=True).fill(TEMPLATE_TEXT)
    page.get_by_role("button", name="Save").click()

    expect(page).to_have_url(f"{base}/messages/templates/")
    expect(page.locator("main")).to_contain_text("Template saved.")
    templates = page.get_by_test_id("templates")
    expect(templates.get_by_role("link", name="Order ready")).to_be_visible()
    expect(templates).to_contain_text(TEMPLATE_TEXT)
    assert MessageTemplate.objects.filter(company=world.company_a, name="Order ready").count() == 1
    assert_page_is_sound(page)

    # On the card's Messages tab the template fills the text, and the counter counts it.
    page.goto(f"{base}{anna.get_absolute_url()}")
    page.get_by_role("tab", name="Messages").click()
    tab = page.locator("#customer-messages")
    expect(tab).to_contain_text("No messages yet")
    picker = tab.locator("select[data-template-for]")
    expect(picker.locator("option").first).to_have_text("Use a template…")
    counter = page.get_by_test_id("sms-length")
    expect(counter).to_have_text("")
    picker.select_option(label="Order ready (SMS)")
    expect(tab.get_by_label("Write to the customer")).to_have_value(TEMPLATE_TEXT)
    expect(counter).to_contain_text("1 SMS part")
    assert_page_is_sound(page)


@pytest.mark.parametrize("width", WIDTHS)
def test_automatic_messages_refuse_an_unknown_variable(transactional_db, live_server, world, page: Page, width):
    company = world.company_a
    base = live_server.url
    page.set_viewport_size({"width": width, "height": 844})
    sign_in(page, base)

    page.goto(f"{base}/messages/automatic/")
    expect(page.get_by_role("heading", name="Automatic messages")).to_be_visible()
    assert_page_is_sound(page)
    shipped = page.get_by_role("switch", name="Order shipped")
    expect(shipped).not_to_be_checked()
    shipped.check()
    birthday = page.get_by_test_id("auto-birthday")
    text = birthday.get_by_label("Birthday greeting: Text")
    text.fill("")
    text.fill("Happy birthday {order}")
    page.get_by_test_id("auto-save").click()

    # Refused: the error is next to the birthday text, nothing is saved.
    expect(birthday.locator(".invalid-feedback")).to_contain_text("Unknown variable {order}")
    expect(text).to_have_class("form-control is-invalid")
    expect(page.locator("main")).not_to_contain_text("Automatic messages saved.")
    assert not AutoMessage.objects.filter(company=company).exists()
    assert_page_is_sound(page)

    text.fill("Happy birthday, {first_name}!")
    expect(page.get_by_role("switch", name="Order shipped")).to_be_checked()  # kept across the refusal
    page.get_by_test_id("auto-save").click()
    expect(page.locator("main")).to_contain_text("Automatic messages saved.")
    assert AutoMessage.objects.get(company=company, event="order_shipped").enabled

    page.reload()
    expect(page.get_by_role("switch", name="Order shipped")).to_be_checked()
    expect(page.get_by_test_id("auto-birthday").get_by_label("Birthday greeting: Text")).to_have_value(
        "Happy birthday, {first_name}!"
    )
    assert_page_is_sound(page)


@pytest.mark.parametrize("width", WIDTHS)
def test_messaging_settings_save_a_price_and_refuse_a_negative_one(
    transactional_db, live_server, world, page: Page, width
):
    company = world.company_a
    base = live_server.url
    page.set_viewport_size({"width": width, "height": 844})
    sign_in(page, base)

    page.goto(f"{base}/messages/settings/")
    assert_page_is_sound(page)
    price = page.get_by_label("Price of one SMS part")
    price.fill("2.50")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("main")).to_contain_text("Messaging settings saved.")
    expect(price).to_have_value("2.50")
    assert MessagingSettings.objects.get(company=company).sms_price == Decimal("2.50")

    price.fill("-1")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#field-sms_price .invalid-feedback")).to_be_visible()
    expect(page.locator("#field-sms_price .invalid-feedback")).to_contain_text("greater than or equal to 0")
    expect(page.locator("main")).not_to_contain_text("Messaging settings saved.")
    assert MessagingSettings.objects.get(company=company).sms_price == Decimal("2.50")
    assert_page_is_sound(page)


@pytest.mark.parametrize("width", WIDTHS)
def test_the_quick_link_offers_notifications(
    transactional_db, live_server, world, page: Page, settings, tmp_path, width
):
    settings.WEBPUSH_VAPID_KEY_FILE = tmp_path / "vapid.pem"
    company = world.company_a
    anna = make_customer(company, name="Anna Smirnova", phones=["+7 916 000-00-01"], preferred_language="en")
    link = issue_link(company, customer=anna, actor=None)
    url = live_server.url + reverse("quicklinks:catalog", args=[token_for(link)])
    page.set_viewport_size({"width": width, "height": 844})

    page.goto(url)
    expect(page.get_by_role("heading", name="Catalog")).to_be_visible()
    offer = page.get_by_test_id("push-offer")
    expect(offer).to_be_visible()
    button = offer.get_by_role("button", name="Turn on notifications")
    expect(button).to_be_visible()
    assert_page_is_sound(page)

    button.click()
    status = offer.locator("[data-push-status]")
    expect(status).to_be_visible()
    text = status.inner_text().strip()
    assert any(message in text for message in PUSH_MESSAGES), f"unexpected push status: {text!r}"
    expect(button).to_be_enabled()
    # Away from the button, and past its colour transition, before axe reads the contrast.
    page.mouse.move(0, 0)
    page.wait_for_timeout(600)
    assert_page_is_sound(page)
