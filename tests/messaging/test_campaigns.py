"""Campaigns to many: who an audience reaches and why the rest are left out; one message per
recipient, made before anything is sent and sent once however often the worker runs; variables,
quiet hours, pause, resume and cancel; refused, creating nothing, when something is wrong."""

from datetime import datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django_scopes import scope

from audit.models import AuditEntry
from companies.models import Membership
from customers.models import Customer
from customers.services import erase_customer, set_blocked, set_consent
from messaging import campaigns
from messaging.backends import SmsBackend, SmsError
from messaging.models import Campaign, Message, MessagingSettings
from quicklinks.models import QuickLink
from segments.services import choose_audience
from tests.factories import MembershipFactory, make_customer

pytestmark = pytest.mark.usefixtures("in_company_a")


@pytest.fixture
def sms_files(settings, tmp_path) -> Path:
    settings.SMS_FILE_PATH = tmp_path / "sms"
    return settings.SMS_FILE_PATH


@pytest.fixture
def awake(world):
    """Quiet hours off, so that the tests send at whatever time they run."""
    return MessagingSettings.objects.create(company=world.company_a, quiet_hours=False, sms_price="3.50")


@pytest.fixture
def people(world):
    company, owner = world.company_a, world.owner_a
    made = {
        "anna": make_customer(company, name="Anna Petrova", phones=["+79160000001"], emails=["anna@example.com"]),
        "boris": make_customer(company, name="Boris", phones=["+79160000002"]),
        "vera": make_customer(company, name="Vera", emails=["vera@example.com"]),
        "gleb": make_customer(company, name="Gleb", phones=["+79160000004"]),
        "dina": make_customer(company, name="Dina", phones=["+79160000005"]),
        "egor": make_customer(company, name="Egor", phones=["+79160000006"]),
    }
    set_consent(company, customer=made["gleb"], channel="sms", given=False, source="told_staff", actor=owner)
    set_blocked(company, customer=made["dina"], blocked=True, reason="rude", actor=owner)
    erase_customer(company, customer=made["egor"], actor=owner)
    return made


def everyone(world):
    return choose_audience(world.company_a, user=world.owner_a, kind="all")


def queue(world, user, text="Hi"):
    """A campaign recorded, its worker not run yet."""
    return campaigns.start_campaign(
        world.company_a, user=user, chosen=everyone(world), channel="sms", text=text, consent=True
    )


def start(world, capture, *, channel="sms", text="Hello {first_name}!", chosen=None, user=None, **extra):
    with capture(execute=True):
        campaign = campaigns.start_campaign(
            world.company_a,
            user=user or world.owner_a,
            chosen=chosen or everyone(world),
            channel=channel,
            text=text,
            consent=extra.pop("consent", True),
            **extra,
        )
    campaign.refresh_from_db()
    return campaign


def test_the_audience_reach_per_channel_and_why_the_rest_are_left_out(world, people):
    reached = campaigns.reach(Customer.objects.filter(company=world.company_a))
    assert reached.total == 6
    sms, email, push = (reached.channels[name] for name in ("sms", "email", "push"))
    assert sms.reachable == 2  # Anna and Boris
    assert sms.left_out == {"erased": 1, "blocked": 1, "opted_out": 1, "no_phone": 1}
    assert email.reachable == 2  # Anna and Vera
    assert email.left_out == {"erased": 1, "blocked": 1, "opted_out": 0, "no_email": 2}
    assert push.reachable == 0 and push.left_out_count == 6


def test_a_campaign_makes_one_row_per_recipient_and_sends_each_once(
    world, people, awake, sms_files, django_capture_on_commit_callbacks
):
    campaign = start(world, django_capture_on_commit_callbacks)

    assert campaign.status == Campaign.Status.DONE and campaign.finished_at
    assert (campaign.recipients, campaign.delivered, campaign.failed) == (2, 2, 0)
    assert campaign.audience_count == 6 and campaign.left_out == {
        "erased": 1,
        "blocked": 1,
        "opted_out": 1,
        "no_phone": 1,
    }
    texts = sorted(file.read_text().split("\n\n", 1)[1].strip() for file in sms_files.iterdir())
    assert texts == ["Hello Anna!", "Hello Boris!"]
    assert campaign.parts == 2 and campaign.price_per_part == Decimal("3.50")
    # The worker again, and the recipients made again: nothing more is made or sent.
    assert campaigns.make_recipients(world.company_a, campaign) == 2
    assert campaigns.run_campaign(world.company_a, campaign.pk) == "stopped"
    assert len(list(sms_files.iterdir())) == 2 and Message.objects.filter(campaign=campaign).count() == 2
    [entry] = AuditEntry.objects.filter(action=AuditEntry.Action.CAMPAIGN_STARTED)
    assert entry.details == {"channel": "sms", "audience": 2} and entry.object_label == "All customers"


def test_an_email_campaign_goes_with_its_subject_and_sender_name(
    world, people, awake, django_capture_on_commit_callbacks
):
    awake.email_sender = "Flower shop"
    awake.save()
    start(world, django_capture_on_commit_callbacks, channel="email", subject="Spring sale", text="Dear {name}")
    assert sorted(m.to[0] for m in mail.outbox) == ["anna@example.com", "vera@example.com"]
    anna = next(m for m in mail.outbox if m.to == ["anna@example.com"])
    assert anna.subject == "Spring sale" and anna.body.startswith("Dear Anna Petrova\n")
    assert anna.from_email.startswith("Flower shop <") and "List-Unsubscribe" in anna.extra_headers


def test_the_link_variable_is_each_customers_quick_order_link(
    world, people, awake, sms_files, django_capture_on_commit_callbacks
):
    start(world, django_capture_on_commit_callbacks, text="Order again: {link}")
    links = {link.customer_id: link for link in QuickLink.objects.filter(company=world.company_a)}
    assert set(links) == {people["anna"].pk, people["boris"].pk}
    texts = {file.read_text().split("\n\n", 1)[1].strip() for file in sms_files.iterdir()}
    assert all(text.startswith("Order again: http://") and "/q/" in text for text in texts) and len(texts) == 2


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"consent": False}, "consent", "Confirm that the recipients agreed"),
        ({"text": "  "}, "text", "Write the message."),
        ({"text": "Hi {surname}"}, "text", "Unknown variable {surname}"),
        ({"text": "я" * 700}, "text", "at most 10 parts"),
        ({"channel": "push"}, "channel", "None of these customers can receive"),
        ({"channel": "fax"}, "channel", "Choose SMS, email or push."),
        ({"channel": "email", "subject": ""}, "subject", "Write the subject"),
    ],
)
def test_bad_input_is_refused_and_nothing_is_made(
    world, people, awake, change, field, message, django_capture_on_commit_callbacks
):
    with pytest.raises(ValidationError) as error:
        start(world, django_capture_on_commit_callbacks, **change)
    assert message in " ".join(error.value.message_dict[field])
    assert not Campaign.objects.exists() and not Message.objects.exists()


def test_an_audience_of_another_company_or_an_unseen_segment_is_refused(world, people):
    with scope(company=world.company_b):
        stranger = make_customer(world.company_b, name="Stranger", phones=["+79160000099"])
    with pytest.raises(ValidationError, match="None of the ticked customers"):
        choose_audience(world.company_a, user=world.owner_a, kind="selection", ids=[stranger.pk])
    with pytest.raises(ValidationError, match="does not exist or is not shared"):
        choose_audience(world.company_a, user=world.owner_a, kind="segment", segment=10**9)


def test_quiet_hours_hold_sms_until_morning_in_the_companys_time_zone(world, people, sms_files):
    prefs = MessagingSettings(company=world.company_a)  # the default: 21:00 to 09:00
    zone = ZoneInfo(world.company_a.time_zone)
    evening = datetime(2026, 12, 3, 22, 30, tzinfo=zone)
    assert campaigns.quiet_until(world.company_a, prefs, evening) == datetime(2026, 12, 4, 9, 0, tzinfo=zone)
    night = datetime(2026, 12, 4, 3, 0, tzinfo=zone)
    assert campaigns.quiet_until(world.company_a, prefs, night) == datetime(2026, 12, 4, 9, 0, tzinfo=zone)
    assert campaigns.quiet_until(world.company_a, prefs, datetime(2026, 12, 4, 9, 0, tzinfo=zone)) is None
    assert campaigns.quiet_until(world.company_a, prefs, datetime(2026, 12, 4, 20, 59, tzinfo=zone)) is None


def test_a_campaign_started_in_quiet_hours_waits_and_then_goes(
    world, people, sms_files, django_capture_on_commit_callbacks
):
    now = timezone.now().astimezone(ZoneInfo(world.company_a.time_zone))
    MessagingSettings.objects.create(
        company=world.company_a,
        quiet_from=(now - timedelta(hours=1)).time().replace(second=0, microsecond=0),
        quiet_until=(now + timedelta(hours=1)).time().replace(second=0, microsecond=0),
    )
    campaign = start(world, django_capture_on_commit_callbacks)
    assert campaign.status == Campaign.Status.SENDING and campaign.send_after > timezone.now()
    assert not sms_files.exists() and Message.objects.filter(campaign=campaign).count() == 2
    MessagingSettings.objects.filter(company=world.company_a).update(quiet_hours=False)  # morning came
    Campaign.objects.filter(pk=campaign.pk).update(send_after=timezone.now() - timedelta(seconds=1))
    with django_capture_on_commit_callbacks(execute=True):
        assert campaigns.resume_campaigns() == 1
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.DONE and len(list(sms_files.iterdir())) == 2


def test_pause_resume_and_cancel(world, people, awake, sms_files, django_capture_on_commit_callbacks):
    company = world.company_a
    campaign = campaigns.start_campaign(
        company, user=world.manager_a, chosen=everyone(world), channel="sms", text="Hi", consent=True
    )
    assert campaigns.pause_campaign(company, user=world.manager_a, campaign=campaign)
    assert campaigns.run_campaign(company, campaign.pk) == "stopped" and not sms_files.exists()
    other = MembershipFactory(company=company, role=Membership.Role.MANAGER).user
    with pytest.raises(PermissionDenied):  # another manager's campaign
        campaigns.cancel_campaign(company, user=other, campaign=campaign)
    with django_capture_on_commit_callbacks(execute=True):
        assert campaigns.resume_campaign(company, user=world.owner_a, campaign=campaign)
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.DONE and campaign.delivered == 2
    assert not campaigns.cancel_campaign(company, user=world.owner_a, campaign=campaign)  # done: nothing to cancel

    second = campaigns.start_campaign(
        company, user=world.owner_a, chosen=everyone(world), channel="sms", text="Hi", consent=True
    )
    campaigns.make_recipients(company, second)
    assert campaigns.cancel_campaign(company, user=world.owner_a, campaign=second)
    second.refresh_from_db()
    assert second.status == Campaign.Status.CANCELLED and second.cancelled == 2 and second.progress == 100
    assert campaigns.run_campaign(company, second.pk) == "stopped"
    assert len(list(sms_files.iterdir())) == 2
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {"campaign.paused", "campaign.resumed", "campaign.cancelled"} <= actions


class BusyOnce(SmsBackend):
    """Refuses the first SMS for now (the gateway is busy), takes the rest."""

    calls: list[str] = []

    def send(self, *, to, text, key, sender=""):
        BusyOnce.calls.append(to)
        if len(BusyOnce.calls) == 1:
            raise SmsError("busy", temporary=True)
        from messaging.backends import Sent

        return Sent(provider_id=key)


def test_a_refused_send_waits_for_its_retry_and_the_campaign_goes_on(
    world, people, awake, settings, django_capture_on_commit_callbacks
):
    settings.SMS_BACKEND = f"{__name__}.BusyOnce"
    BusyOnce.calls = []
    campaign = start(world, django_capture_on_commit_callbacks)
    assert campaign.status == Campaign.Status.SENDING and (campaign.sent, campaign.recipients) == (1, 2)
    waiting = Message.objects.get(campaign=campaign, status=Message.Status.CREATED)
    assert waiting.retry_at > timezone.now() and waiting.attempts == 1 and waiting.error == "busy"
    Message.objects.filter(pk=waiting.pk).update(retry_at=timezone.now())
    assert campaigns.run_campaign(world.company_a, campaign.pk) == "done"
    assert len(BusyOnce.calls) == 3 and sorted(BusyOnce.calls[1:]) == ["+79160000001", "+79160000002"]


def test_someone_who_opted_out_after_the_rows_were_made_gets_nothing(world, people, awake, sms_files):
    company = world.company_a
    campaign = campaigns.start_campaign(
        company, user=world.owner_a, chosen=everyone(world), channel="sms", text="Hi", consent=True
    )
    campaigns.make_recipients(company, campaign)
    set_consent(company, customer=people["boris"], channel="sms", given=False, source="told_staff", actor=None)
    assert campaigns.run_campaign(company, campaign.pk) == "done"
    campaign.refresh_from_db()
    assert (campaign.delivered, campaign.failed) == (1, 1)
    assert Message.objects.get(campaign=campaign, customer=people["boris"]).error.startswith("The customer could")


def test_managers_see_their_own_campaigns_and_admins_all(world, people, awake):
    company = world.company_a
    mine = campaigns.start_campaign(
        company, user=world.manager_a, chosen=everyone(world), channel="sms", text="A", consent=True
    )
    theirs = campaigns.start_campaign(
        company, user=world.owner_a, chosen=everyone(world), channel="sms", text="B", consent=True
    )
    assert list(campaigns.visible_campaigns(company, world.manager_a)) == [mine]
    assert set(campaigns.visible_campaigns(company, world.owner_a)) == {mine, theirs}


def test_quiet_hours_do_not_hold_email(world):
    prefs = MessagingSettings(company=world.company_a, quiet_from=time(0, 0), quiet_until=time(23, 59))
    assert campaigns.quiet_until(world.company_a, prefs, timezone.now()) is not None  # SMS would wait
