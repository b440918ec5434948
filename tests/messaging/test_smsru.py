"""The SMS.ru adapter against a local server that speaks SMS.ru's HTTP API: sending with the sender
name, refusals with their reason, a busy gateway tried again later, a timeout reported as unknown
and never resent, delivery by poll and by the status callback, the balance."""

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from django_scopes import scope

from messaging import services
from messaging.backends.smsru import SmsRuBackend
from messaging.models import Message
from messaging.tasks import poll_deliveries, resolve_stalled_messages, send_due_messages
from tests.factories import make_customer
from tests.messaging.gateway import Gateway, serve

pytestmark = pytest.mark.usefixtures("in_company_a")


@pytest.fixture
def gateway(settings):
    gateway = Gateway()
    server = serve(gateway)
    settings.SMS_BACKEND = "messaging.backends.smsru.SmsRuBackend"
    settings.SMSRU_URL = gateway.url
    settings.SMSRU_API_ID = gateway.api_id
    settings.SMSRU_SENDER = "AlphaShop"
    settings.SMSRU_TIMEOUT = 0.5
    settings.SMSRU_CALLBACK_SECRET = "callback-secret"
    yield gateway
    server.shutdown()


@pytest.fixture
def anna(world):
    return make_customer(world.company_a, name="Anna", phones=["+79161234567"])


def send(world, customer, django_capture_on_commit_callbacks, text="Ваш заказ готов"):
    with django_capture_on_commit_callbacks(execute=True):
        message = services.send_to_customer(world.company_a, customer=customer, channel="sms", text=text, actor=None)
    message.refresh_from_db()
    return message


def test_an_sms_goes_to_the_gateway_with_the_sender_name(world, anna, gateway, django_capture_on_commit_callbacks):
    message = send(world, anna, django_capture_on_commit_callbacks)
    assert message.status == Message.Status.SENT and message.provider_id == "000001-10000000"
    assert gateway.sent == [
        {"sms_id": "000001-10000000", "to": "79161234567", "msg": "Ваш заказ готов", "from": "AlphaShop"}
    ]


def test_a_refusal_fails_the_message_with_the_gateways_reason(world, anna, gateway, django_capture_on_commit_callbacks):
    gateway.refuse_with = 202
    message = send(world, anna, django_capture_on_commit_callbacks)
    assert message.status == Message.Status.FAILED
    assert message.error == "SMS.ru 202: Неправильно указан номер телефона получателя"
    assert gateway.sent == []


def test_a_busy_gateway_is_tried_again_and_the_message_goes_once(
    world, anna, gateway, django_capture_on_commit_callbacks
):
    gateway.busy_times = 2
    message = send(world, anna, django_capture_on_commit_callbacks)
    assert message.status == Message.Status.CREATED and message.attempts == 1 and "220" in message.error
    assert send_due_messages.delay().get() == 0  # not before its minute
    for _attempt in range(2):
        Message.objects.filter(pk=message.pk).update(retry_at=timezone.now())  # its time has come
        assert send_due_messages.delay().get() == 1
    message.refresh_from_db()
    assert message.status == Message.Status.SENT and message.attempts == 2
    assert len(gateway.sent) == 1 and gateway.requests == 3


def test_no_answer_in_time_makes_the_message_unknown_and_it_is_never_resent(
    world, anna, gateway, django_capture_on_commit_callbacks
):
    gateway.slow = 1.0
    message = send(world, anna, django_capture_on_commit_callbacks)
    assert message.status == Message.Status.UNKNOWN and "did not answer" in message.error
    gateway.slow = 0
    resolve_stalled_messages.delay().get()
    message.refresh_from_db()
    assert message.status == Message.Status.UNKNOWN and gateway.requests == 1


def test_delivery_is_learnt_by_polling(world, anna, gateway, django_capture_on_commit_callbacks):
    message = send(world, anna, django_capture_on_commit_callbacks)
    assert poll_deliveries.delay().get() == 0  # still on its way
    gateway.delivered.add(message.provider_id)
    assert poll_deliveries.delay().get() == 1
    message.refresh_from_db()
    assert message.status == Message.Status.DELIVERED and message.delivered_at


def test_delivery_is_learnt_from_the_callback_and_a_wrong_secret_or_id_changes_nothing(
    world, anna, gateway, client, django_capture_on_commit_callbacks
):
    message = send(world, anna, django_capture_on_commit_callbacks)
    report = {"data[]": [f"sms_status\n{message.provider_id}\n103\n1764770000", "sms_status\n999999-1\n103\n1"]}
    wrong = client.post(reverse("messaging:smsru_callback", args=["guess"]), report)
    assert wrong.status_code == 404
    message.refresh_from_db()
    assert message.status == Message.Status.SENT
    right = client.post(reverse("messaging:smsru_callback", args=["callback-secret"]), report)
    assert right.status_code == 200 and right.content == b"100"
    with scope(company=world.company_a):
        message.refresh_from_db()
    assert message.status == Message.Status.DELIVERED
    garbage = client.post(reverse("messaging:smsru_callback", args=["callback-secret"]), {"data[]": ["x\n\n"]})
    assert garbage.status_code == 200


def test_the_balance(gateway):
    assert SmsRuBackend().balance() == Decimal("4762.58")
