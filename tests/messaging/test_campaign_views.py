"""The campaign pages: compose from the customer list with counts, cost and a preview; refused
with the reason next to what is wrong; history and one campaign with its recipients; pause,
resume, cancel; managers see their own; the messaging settings."""

import pytest
from django.urls import reverse

from audit.models import AuditEntry
from customers.services import set_consent
from exports.models import Export
from messaging import campaigns
from messaging.models import Campaign, Message, MessagingSettings
from segments.models import Segment
from segments.services import choose_audience
from tests.exports.test_exports import rows_of, workbook_of
from tests.factories import make_customer

pytestmark = pytest.mark.usefixtures("in_company_a")


@pytest.fixture
def shop(world, settings, tmp_path):
    settings.SMS_FILE_PATH = tmp_path / "sms"
    company = world.company_a
    MessagingSettings.objects.create(company=company, quiet_hours=False, sms_price="2.00")
    anna = make_customer(company, name="Anna Petrova", phones=["+79160000001"], city="Moscow")
    boris = make_customer(company, name="Boris", phones=["+79160000002"], city="Moscow")
    make_customer(company, name="Vera", emails=["vera@example.com"], city="Moscow")
    set_consent(company, customer=boris, channel="sms", given=False, source="told_staff", actor=None)
    return {"anna": anna, "boris": boris}


def compose(client, **data):
    return client.post(reverse("messaging:campaign_new"), data)


def test_from_the_list_the_compose_page_counts_and_previews(world, shop, owner_client):
    page = compose(owner_client, filter_query="city=Moscow").content.decode()
    assert 'value="filter" id="audience-filter" checked' in page
    assert "3 customers in the audience" in page
    assert 'data-channel="sms" data-reachable="1"' in page and "opted out 1" in page and "no phone number 1" in page
    summary = owner_client.post(
        reverse("messaging:campaign_summary"),
        {"audience": "filter", "filter_query": "city=Moscow", "channel": "sms", "text": "Hi {first_name}"},
    ).content.decode()
    assert "As Anna Petrova gets it:" in summary and "Hi Anna" in summary
    assert "1 SMS part per message (GSM7)" in summary and "In all 1 part" in summary


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"text": "Hi"}, "Confirm that the recipients agreed to receive messages."),
        ({"text": "", "consent": "on"}, "Write the message."),
        ({"text": "Hi {points}", "consent": "on"}, "Unknown variable {points}"),
        ({"text": "Hi", "consent": "on", "channel": "push"}, "None of these customers can receive this channel."),
        ({"text": "Hi", "consent": "on", "audience": "segment", "segment": "999999"}, "is not shared with you"),
        ({"text": "Hi", "consent": "on", "audience": "selection", "selected": "abc"}, "The selection is not valid"),
    ],
)
def test_bad_input_shows_the_reason_and_sends_nothing(world, shop, owner_client, data, error):
    form = {"composing": "1", "send": "1", "audience": "filter", "filter_query": "city=Moscow", "channel": "sms"}
    response = compose(owner_client, **{**form, **data})
    assert response.status_code == 200 and error in response.content.decode()
    assert not Campaign.objects.exists() and not Message.objects.exists()


def test_sending_goes_to_the_campaign_page_with_its_counts(
    world, shop, owner_client, django_capture_on_commit_callbacks
):
    form = {"composing": "1", "send": "1", "audience": "all", "channel": "sms", "text": "Hi {name}", "consent": "on"}
    with django_capture_on_commit_callbacks(execute=True):
        response = compose(owner_client, **form)
    campaign = Campaign.objects.get()
    assert response.status_code == 302 and response.url == campaign.get_absolute_url()
    page = owner_client.get(response.url).content.decode()
    assert 'data-status="done"' in page and 'data-count="delivered">1<' in page and 'data-count="left_out">2<' in page
    assert "Anna Petrova" in page and "Hi {name}" in page
    failed = owner_client.get(response.url + "?status=failed").content.decode()
    assert "Anna Petrova" not in failed and "No recipient of this campaign has this status." in failed
    history = owner_client.get(reverse("messaging:campaigns")).content.decode()
    assert 'data-testid="campaign-row" data-status="done"' in history
    # The card's Messages tab shows the message as Anna got it.
    tab = owner_client.get(reverse("messaging:customer", args=[shop["anna"].pk])).content.decode()
    assert "Hi Anna Petrova" in tab


def test_pause_resume_and_cancel_from_the_campaign_page(world, shop, owner_client):
    campaign = campaigns.start_campaign(
        world.company_a,
        user=world.owner_a,
        chosen=choose_audience(world.company_a, user=world.owner_a, kind="all"),
        channel="sms",
        text="Hi",
        consent=True,
    )
    url = reverse("messaging:campaign_action", args=[campaign.pk])
    owner_client.post(url, {"action": "pause"})
    assert Campaign.objects.get().status == Campaign.Status.PAUSED
    page = owner_client.post(url, {"action": "pause"}, follow=True).content.decode()
    assert "The campaign is not running." in page
    owner_client.post(url, {"action": "cancel"})
    assert Campaign.objects.get().status == Campaign.Status.CANCELLED
    assert "Choose pause, resume or cancel." in owner_client.post(url, {"action": "x"}, follow=True).content.decode()


def test_managers_see_only_their_own_campaigns(world, shop, manager_client):
    theirs = campaigns.start_campaign(
        world.company_a,
        user=world.owner_a,
        chosen=choose_audience(world.company_a, user=world.owner_a, kind="all"),
        channel="sms",
        text="Owner's",
        consent=True,
    )
    assert manager_client.get(theirs.get_absolute_url()).status_code == 404
    assert (
        manager_client.post(reverse("messaging:campaign_action", args=[theirs.pk]), {"action": "cancel"}).status_code
        == 404
    )
    assert "Owner's" not in manager_client.get(reverse("messaging:campaigns")).content.decode()


def test_a_manager_sends_to_a_segment_of_their_own(world, shop, manager_client):
    segment = Segment.objects.create(company=world.company_a, name="Moscow", query="city=Moscow", owner=world.manager_a)
    page = compose(manager_client, segment=str(segment.pk)).content.decode()
    assert 'value="segment" id="audience-segment" checked' in page and "Segment “Moscow”" in page
    form = {"composing": "1", "send": "1", "audience": "segment", "segment": segment.pk, "channel": "email"}
    response = compose(manager_client, **form, subject="News", text="Hello", consent="on")
    assert response.status_code == 302
    assert Campaign.objects.get().description == "Segment “Moscow”"


def test_the_messaging_settings(world, owner_client, manager_client):
    url = reverse("messaging:settings")
    assert manager_client.get(url).status_code == 403
    bad = owner_client.post(url, {"sms_price": "-1", "quiet_from": "21:00", "quiet_until": "09:00"})
    assert bad.status_code == 200 and "greater than or equal to 0" in bad.content.decode()
    assert not MessagingSettings.objects.exists()
    good = {
        "sms_price": "3.20",
        "quiet_hours": "on",
        "quiet_from": "22:00",
        "quiet_until": "08:30",
        "email_sender": "Shop",
    }
    assert owner_client.post(url, good).status_code == 302
    prefs = MessagingSettings.objects.get()
    assert str(prefs.sms_price) == "3.20" and prefs.quiet_from.hour == 22 and prefs.email_sender == "Shop"
    entry = AuditEntry.objects.get(action=AuditEntry.Action.MESSAGING_SETTINGS_CHANGED)
    assert {change["field"] for change in entry.changes} >= {"sms_price", "quiet_from", "quiet_until", "email_sender"}


def test_the_recipients_go_to_excel_through_the_export_pipeline(
    world, shop, owner_client, manager_client, django_capture_on_commit_callbacks
):
    form = {"composing": "1", "send": "1", "audience": "all", "channel": "sms", "text": "Hi", "consent": "on"}
    with django_capture_on_commit_callbacks(execute=True):
        compose(owner_client, **form)
    campaign = Campaign.objects.get()
    url = reverse("messaging:campaign_export", args=[campaign.pk])
    assert manager_client.post(url, {"status": "delivered"}).status_code == 403  # exports are for admins
    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post(url, {"status": "delivered"})
    export = Export.objects.get()
    assert response.url == export.get_absolute_url() and export.status == Export.Status.DONE
    assert export.description.startswith("Recipients of the SMS campaign of ") and "(Delivered)" in export.description
    [row] = rows_of(workbook_of(owner_client, export).active)
    assert row["Full name"] == "Anna Petrova" and row["Sent to"] == "+79160000001"
    assert row["Message status"] == "Delivered" and row["Sent"] is not None
    assert AuditEntry.objects.filter(action=AuditEntry.Action.EXPORT_REQUESTED).exists()


def test_the_campaign_pages_take_a_fixed_number_of_queries(world, shop, owner_client):
    """The history with more campaigns, and a campaign page with more recipients, ask the same."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    company = world.company_a
    counts = {"history": [], "campaign": [], "compose": []}
    for round_ in range(2):
        for n in range(4):
            make_customer(company, name=f"Client {round_}{n}", phones=[f"+7916100{round_}{n:03d}"])
        for _ in range(3):
            campaign = campaigns.start_campaign(
                company,
                user=world.owner_a,
                chosen=choose_audience(company, user=world.owner_a, kind="all"),
                channel="sms",
                text="Hi {first_name}",
                consent=True,
            )
            campaigns.make_recipients(company, campaign)
        for name, url in (
            ("history", reverse("messaging:campaigns")),
            ("campaign", campaign.get_absolute_url()),
        ):
            with CaptureQueriesContext(connection) as queries:
                assert owner_client.get(url).status_code == 200
            counts[name].append(len(queries))
        with CaptureQueriesContext(connection) as queries:
            compose(owner_client, filter_query="city=Moscow")
        counts["compose"].append(len(queries))
    assert all(first == second for first, second in counts.values()), counts
