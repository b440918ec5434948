"""A campaign in a real browser: the customer list filtered by city → Send message → the compose
page shows whom each channel reaches and why the rest are left out, and previews the text with
{first_name} filled in as it is typed → sent without the consent box it is refused, with it it goes
→ the campaign page counts every reachable customer delivered, the history lists it done, and the
customer's card shows the message addressed to them by name. Both a laptop's and a phone's width."""

import pytest
from playwright.sync_api import Page, expect

from messaging.models import Campaign, MessagingSettings
from tests.e2e.axe import axe_violations
from tests.e2e.conftest import sign_in
from tests.factories import make_customer

pytestmark = pytest.mark.usefixtures("in_company_a")

TEXT = "{first_name}, your spring bouquet is ready: come by before 20:00"


def assert_no_sideways_scroll(page: Page) -> None:
    widths = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], f"{page.url} scrolls sideways: {widths[0]} px of content in {widths[1]} px"


@pytest.mark.parametrize("width", [1366, 390])
def test_an_sms_campaign_to_a_filtered_list(
    transactional_db, live_server, world, page: Page, settings, tmp_path, width
):
    settings.SMS_FILE_PATH = tmp_path / "sms"
    company = world.company_a
    # Quiet hours off, or a campaign started in the evening waits until morning.
    MessagingSettings.objects.create(company=company, quiet_hours=False)
    anna = make_customer(company, name="Anna Smirnova", phones=["+7 916 000-00-01"], city="Tver")
    make_customer(company, name="Boris Orlov", phones=["+7 916 000-00-02"], city="Tver")
    make_customer(company, name="Vera Nophone", city="Tver")  # SMS leaves her out: no phone number
    make_customer(company, name="Gleb Quiet", phones=["+7 916 000-00-04"], city="Tver", sms_consent=False)
    make_customer(company, name="Olga Omsk", phones=["+7 916 000-00-05"], city="Omsk")  # not in the filter
    reachable = 2
    base = live_server.url
    page.set_viewport_size({"width": width, "height": 844})
    sign_in(page, base)

    # The list, filtered by city.
    page.goto(f"{base}/customers/")
    total = page.get_by_test_id("total-count")
    expect(total).to_have_text("5 customers")
    if width < 992:  # on a phone the filter waits behind its button
        page.get_by_test_id("tools-toggle").click()
    page.locator("[data-add-criterion]").select_option(label="City")
    city = page.locator('[data-criterion="city"] input')
    city.fill("Tver")
    city.press("Enter")
    expect(total).to_have_text("4 customers")
    page.wait_for_load_state("networkidle")
    page.get_by_test_id("campaign-new").click()

    # The compose page: the audience, and per channel whom it reaches and why not the rest.
    expect(page).to_have_url(f"{base}/messages/campaigns/new/")
    expect(page.get_by_role("radio", name="The filtered list")).to_be_checked()
    summary = page.get_by_test_id("campaign-summary")
    expect(summary).to_contain_text("4 customers in the audience")
    sms = summary.locator('[data-channel="sms"]')
    expect(sms).to_have_attribute("data-reachable", str(reachable))
    expect(sms).to_contain_text("SMS: reaches 2")
    expect(sms).to_contain_text("opted out 1")
    expect(sms).to_contain_text("no phone number 1")
    email = summary.locator('[data-channel="email"]')
    expect(email).to_have_attribute("data-reachable", "0")
    expect(email).to_contain_text("no email 4")

    # The text with a variable; the preview shows it as the first recipient gets it.
    page.get_by_role("textbox", name="Message", exact=True).fill(TEXT)
    preview = page.get_by_test_id("preview")
    expect(preview).to_have_text("Anna, your spring bouquet is ready: come by before 20:00")
    expect(summary).to_contain_text("As Anna Smirnova gets it:")
    expect(summary.get_by_test_id("sms-cost")).to_contain_text("In all 2 parts")
    page.wait_for_load_state("networkidle")
    assert axe_violations(page) == []
    assert_no_sideways_scroll(page)

    # Without the consent box: refused next to the box, and nothing is sent.
    page.get_by_test_id("campaign-send").click()
    expect(page.locator("#field-consent")).to_contain_text("Confirm that the recipients agreed to receive messages.")
    expect(page.get_by_role("textbox", name="Message", exact=True)).to_have_value(TEXT)
    assert not Campaign.objects.filter(company=company).exists()

    # With it: the campaign goes, and every reachable customer gets it.
    page.get_by_label("The recipients agreed").check()
    page.get_by_test_id("campaign-send").click()
    campaign = Campaign.objects.get(company=company)
    expect(page).to_have_url(f"{base}{campaign.get_absolute_url()}")
    expect(page.locator(".alert")).to_contain_text("The campaign is on its way.")
    counts = page.get_by_test_id("campaign-counts")
    expect(counts).to_have_attribute("data-status", "done")
    expect(counts.locator('[data-count="delivered"]')).to_have_text(str(reachable))
    expect(counts.locator('[data-count="left_out"]')).to_have_text("2")
    expect(page.get_by_test_id("campaign-text")).to_have_text(TEXT)
    expect(page.get_by_test_id("recipient")).to_have_count(reachable)
    assert len(list((tmp_path / "sms").iterdir())) == reachable
    page.wait_for_load_state("networkidle")
    assert axe_violations(page) == []
    assert_no_sideways_scroll(page)

    # The history.
    page.goto(f"{base}/messages/campaigns/")
    row = page.get_by_test_id("campaign-row")
    expect(row).to_have_count(1)
    expect(row).to_have_attribute("data-status", "done")

    # The customer's card: the message with her first name in it.
    page.goto(f"{base}{anna.get_absolute_url()}")
    page.get_by_role("tab", name="Messages").click()
    message = page.locator("#customer-messages").get_by_test_id("message")
    expect(message).to_have_count(1)
    expect(message).to_contain_text("Anna, your spring bouquet is ready")
    expect(message).not_to_contain_text("{first_name}")
