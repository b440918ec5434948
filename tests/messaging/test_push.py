"""Web push: a customer turns notifications on on their quick order link (the browser's
subscription is checked and kept, several browsers allowed); a message goes to each browser
through a local push service that decrypts it; a browser the service says is gone is forgotten;
push campaigns and the list's criterion count only subscribed customers."""

import json
import re

import pytest
from django.urls import reverse

from audit.models import AuditEntry
from customers.services import set_consent
from messaging import campaigns, push, services
from messaging.models import Campaign, Message, MessagingSettings, PushSubscription
from quicklinks.services import issue_link, revoke_link, token_for, url_for
from segments.queries import filter_of
from segments.services import choose_audience
from tests.factories import make_customer
from tests.messaging.push_service import PushService, serve

pytestmark = pytest.mark.usefixtures("in_company_a")


@pytest.fixture
def service(settings, tmp_path):
    settings.WEBPUSH_VAPID_KEY_FILE = tmp_path / "vapid.pem"
    settings.WEBPUSH_ALLOW_HTTP = True
    service = PushService()
    server = serve(service)
    yield service
    server.shutdown()


@pytest.fixture
def anna(world):
    return make_customer(world.company_a, name="Anna Petrova", phones=["+79160000001"])


def subscribe(client, customer, world, subscription, **extra):
    link = issue_link(world.company_a, customer=customer, actor=None)
    url = reverse("messaging:push_subscription", args=[token_for(link)])
    body = json.dumps({"subscription": subscription, **extra})
    return client.post(url, body, content_type="application/json")


def test_turning_notifications_on_and_off_on_the_quick_order_link(world, anna, service, client):
    link = issue_link(world.company_a, customer=anna, actor=None)
    page = client.get(url_for(link)).content.decode()
    assert 'data-testid="push-offer"' in page and f'data-key="{push.public_key()}"' in page
    phone, laptop = service.browser("phone"), service.browser("laptop")
    answer = subscribe(client, anna, world, phone.subscription)
    assert answer.status_code == 200 and answer.json()["subscribed"] is True
    assert subscribe(client, anna, world, phone.subscription).status_code == 200  # the same browser again
    subscribe(client, anna, world, laptop.subscription)
    assert PushSubscription.objects.filter(customer=anna).count() == 2
    assert AuditEntry.objects.filter(action=AuditEntry.Action.PUSH_SUBSCRIBED).count() == 2
    off = subscribe(client, anna, world, None, action="unsubscribe", endpoint=laptop.endpoint)
    assert off.json()["subscribed"] is False and PushSubscription.objects.filter(customer=anna).count() == 1


@pytest.mark.parametrize(
    ("subscription", "error"),
    [
        (None, "The browser sent no subscription."),
        ({"endpoint": "ftp://x", "keys": {"p256dh": "a", "auth": "b"}}, "push address is not valid"),
        ({"endpoint": "https://push.example/1", "keys": {"p256dh": "short", "auth": "AAAA"}}, "keys are not valid"),
        ({"endpoint": "https://push.example/1", "keys": "none"}, "The browser sent no subscription."),
    ],
)
def test_a_bad_subscription_is_refused(world, anna, service, client, subscription, error):
    answer = subscribe(client, anna, world, subscription)
    assert answer.status_code == 400 and error in answer.json()["error"]
    assert not PushSubscription.objects.exists()


def test_http_push_addresses_are_refused_in_production(world, anna, service, client, settings):
    settings.WEBPUSH_ALLOW_HTTP = False
    answer = subscribe(client, anna, world, service.browser("phone").subscription)
    assert answer.status_code == 400 and not PushSubscription.objects.exists()


def test_a_revoked_link_or_a_customer_who_opted_out_cannot_subscribe(world, anna, service, client):
    set_consent(world.company_a, customer=anna, channel="push", given=False, source="told_staff", actor=None)
    assert subscribe(client, anna, world, service.browser("phone").subscription).status_code == 403
    link = issue_link(world.company_a, customer=anna, actor=None)
    revoke_link(world.company_a, customer=anna, actor=None)
    url = reverse("messaging:push_subscription", args=[token_for(link)])
    assert client.post(url, "{}", content_type="application/json").status_code == 404
    assert client.post(url, "not json", content_type="application/json").status_code == 404


def test_a_push_reaches_every_browser_decrypted_and_a_gone_one_is_forgotten(
    world, anna, service, client, django_capture_on_commit_callbacks
):
    phone, laptop = service.browser("phone"), service.browser("laptop")
    subscribe(client, anna, world, phone.subscription)
    subscribe(client, anna, world, laptop.subscription)
    service.gone.add("laptop")
    with django_capture_on_commit_callbacks(execute=True):
        message = services.send_to_customer(
            world.company_a, customer=anna, channel="push", text="Your order is ready", actor=world.owner_a
        )
    message.refresh_from_db()
    assert message.status == Message.Status.SENT
    [received] = service.received
    link = issue_link(world.company_a, customer=anna, actor=None)
    assert received["browser"] == "phone" and received["vapid_key"] == push.public_key()
    assert received["payload"] == {"title": world.company_a.name, "body": "Your order is ready", "url": url_for(link)}
    assert list(PushSubscription.objects.values_list("endpoint", flat=True)) == [phone.endpoint]
    service.gone.add("phone")
    with django_capture_on_commit_callbacks(execute=True):
        second = services.send_to_customer(world.company_a, customer=anna, channel="push", text="Hi", actor=None)
    second.refresh_from_db()
    assert second.status == Message.Status.FAILED and "turned notifications off" in second.error
    assert not PushSubscription.objects.exists()
    with pytest.raises(Exception, match="not turned on notifications"):
        services.send_to_customer(world.company_a, customer=anna, channel="push", text="Hi", actor=None)


def test_a_push_campaign_and_the_list_criterion_count_only_subscribed_customers(
    world, anna, service, client, django_capture_on_commit_callbacks, manager_client
):
    MessagingSettings.objects.create(company=world.company_a, quiet_hours=False)
    boris = make_customer(world.company_a, name="Boris", phones=["+79160000002"])
    subscribe(client, anna, world, service.browser("phone").subscription)
    everyone = choose_audience(world.company_a, user=world.owner_a, kind="all")
    reached = campaigns.reach(everyone.customers(world.company_a)).channels["push"]
    assert reached.reachable == 1 and reached.left_out == {"erased": 0, "blocked": 0, "opted_out": 0, "no_push": 1}
    assert list(filter_of(world.company_a, "has_push=yes").qs) == [anna]
    assert list(filter_of(world.company_a, "has_push=no").qs) == [boris]
    tab = manager_client.get(reverse("messaging:customer", args=[boris.pk])).content.decode()
    assert re.search(r'<option value="push" disabled\s*>', tab) and "Push is off" in tab
    with django_capture_on_commit_callbacks(execute=True):
        campaign = campaigns.start_campaign(
            world.company_a,
            user=world.owner_a,
            chosen=everyone,
            channel="push",
            text="Sale, {first_name}!",
            consent=True,
        )
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.DONE and (campaign.recipients, campaign.sent) == (1, 1)
    assert [r["payload"]["body"] for r in service.received] == ["Sale, Anna!"]


def test_erasing_a_customer_forgets_their_browsers(world, anna, service, client):
    from customers.services import erase_customer

    subscribe(client, anna, world, service.browser("phone").subscription)
    erase_customer(world.company_a, customer=anna, actor=world.owner_a)
    assert not PushSubscription.objects.exists()
