"""One message to one customer: a row first, then one send by the worker, whatever is retried;
refused with the reason, creating nothing, when the customer cannot receive it; a send a dead
worker left behind is resolved by asking the provider, never by sending again blindly."""

from datetime import timedelta
from pathlib import Path

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone
from django_scopes import scope

from audit.models import AuditEntry
from customers.services import erase_customer, set_blocked, set_consent
from messaging import services
from messaging.backends import SmsBackend, SmsError
from messaging.models import Message
from messaging.tasks import deliver_message, resolve_stalled_messages
from tests.factories import make_customer

pytestmark = pytest.mark.usefixtures("in_company_a")


@pytest.fixture
def sms_files(settings, tmp_path) -> Path:
    settings.SMS_FILE_PATH = tmp_path / "sms"
    return settings.SMS_FILE_PATH


@pytest.fixture
def anna(world):
    return make_customer(world.company_a, name="Anna", phones=["+79161234567"], emails=["anna@example.com"])


def send(world, customer, django_capture_on_commit_callbacks, channel="sms", text="Your order is ready"):
    with django_capture_on_commit_callbacks(execute=True):
        message = services.send_to_customer(
            world.company_a, customer=customer, channel=channel, text=text, actor=world.owner_a
        )
    message.refresh_from_db()
    return message


def test_an_sms_goes_once_to_the_customers_first_phone(world, anna, sms_files, django_capture_on_commit_callbacks):
    message = send(world, anna, django_capture_on_commit_callbacks)

    assert message.status == Message.Status.DELIVERED and message.address == "+79161234567"
    assert message.parts == 1 and message.sent_at and message.actor == world.owner_a
    [file] = sms_files.iterdir()
    assert file.name == f"{message.key}.txt" and "Your order is ready" in file.read_text()
    # The task again (a retry, a duplicate delivery of the queue's message): nothing more is sent.
    assert deliver_message.delay(world.company_a.pk, message.pk).get() == Message.Status.DELIVERED
    assert len(list(sms_files.iterdir())) == 1
    [entry] = AuditEntry.objects.filter(action=AuditEntry.Action.MESSAGE_SENT)
    assert entry.object_id == anna.pk and entry.details["channel"] == "sms"
    assert "Your order" not in repr(entry.details)  # the text is the customer's business, not the log's


def test_an_email_goes_through_the_email_backend(world, anna, django_capture_on_commit_callbacks):
    message = send(world, anna, django_capture_on_commit_callbacks, channel="email", text="See you on Monday")
    assert message.status == Message.Status.SENT
    [email] = mail.outbox
    assert email.to == ["anna@example.com"] and email.body.startswith("See you on Monday\n\n--\nTo stop receiving")
    assert email.subject == f"A message from {world.company_a.name}"


@pytest.mark.parametrize(
    ("prepare", "channel", "text", "message"),
    [
        (None, "sms", "   ", "Write the message."),
        (None, "sms", "я" * (67 * 10 + 1), "at most 10 parts; this one needs 11"),
        (None, "fax", "Hi", "Choose SMS, email or push."),
        (None, "push", "Hi", "has not turned on notifications"),
        ("blocked", "sms", "Hi", "This customer is blocked"),
        ("opted_out", "sms", "Hi", "opted out of this channel"),
        ("no_phone", "sms", "Hi", "has no phone number"),
        ("erased", "sms", "Hi", "personal data was erased"),
    ],
)
def test_a_message_that_cannot_go_is_refused_with_the_reason_and_nothing_is_created(
    world, anna, sms_files, prepare, channel, text, message
):
    company = world.company_a
    customer = anna
    if prepare == "blocked":
        set_blocked(company, customer=anna, blocked=True, reason="Did not pay", actor=world.owner_a)
    elif prepare == "opted_out":
        set_consent(company, customer=anna, channel="sms", given=False, source="told_staff", actor=world.owner_a)
    elif prepare == "no_phone":
        customer = make_customer(company, name="Only email", emails=["only@example.com"])
    elif prepare == "erased":
        erase_customer(company, customer=anna, actor=world.owner_a)
    with pytest.raises(ValidationError, match=message):
        services.send_to_customer(company, customer=customer, channel=channel, text=text, actor=world.owner_a)
    assert not Message.objects.exists()
    assert not sms_files.exists()


def test_another_companys_customer_is_not_a_recipient(world, anna):
    with scope(company=world.company_b):
        theirs = make_customer(world.company_b, name="Theirs", phones=["+79160000000"])
    with pytest.raises(ValueError, match="another company"):
        services.send_to_customer(world.company_a, customer=theirs, channel="sms", text="Hi", actor=world.owner_a)


class RefusingBackend(SmsBackend):
    def send(self, *, to, text, key, sender=""):
        raise SmsError("Invalid number")


def test_a_provider_refusal_fails_the_message_with_its_reason(
    world, anna, settings, django_capture_on_commit_callbacks
):
    settings.SMS_BACKEND = f"{__name__}.RefusingBackend"
    message = send(world, anna, django_capture_on_commit_callbacks)
    assert message.status == Message.Status.FAILED and message.error == "Invalid number"


def stall(message: Message) -> None:
    Message.objects.filter(pk=message.pk).update(
        status=Message.Status.SENDING, claimed_at=timezone.now() - timedelta(minutes=11), sent_at=None
    )


def test_a_send_a_dead_worker_left_is_resolved_by_asking_the_provider(
    world, anna, sms_files, django_capture_on_commit_callbacks
):
    went = send(world, anna, django_capture_on_commit_callbacks)
    stall(went)  # the worker died after the provider took it
    with django_capture_on_commit_callbacks(execute=True):
        lost = services.send_to_customer(world.company_a, customer=anna, channel="sms", text="Two", actor=None)
    (sms_files / f"{lost.key}.txt").unlink()
    stall(lost)  # the worker died before the provider took it
    fresh = Message.objects.create(company=world.company_a, customer=anna, channel="sms", text="Now", address="+7")
    Message.objects.filter(pk=fresh.pk).update(status=Message.Status.SENDING, claimed_at=timezone.now())

    assert resolve_stalled_messages.delay().get() == 2
    went.refresh_from_db(), lost.refresh_from_db(), fresh.refresh_from_db()
    assert went.status == Message.Status.DELIVERED
    assert lost.status == Message.Status.DELIVERED  # sent again, once: it had not gone
    assert fresh.status == Message.Status.SENDING  # another worker may still be on it
    assert sorted(path.name for path in sms_files.iterdir()) == sorted([f"{went.key}.txt", f"{lost.key}.txt"])


class BlindBackend(SmsBackend):
    def send(self, *, to, text, key, sender=""):
        raise AssertionError("a stalled send must not be sent again")


def test_a_stalled_send_the_provider_cannot_look_up_is_marked_unknown_not_resent(world, anna, settings):
    settings.SMS_BACKEND = f"{__name__}.BlindBackend"
    message = Message.objects.create(company=world.company_a, customer=anna, channel="sms", text="Hi", address="+7")
    stall(message)
    assert resolve_stalled_messages.delay().get() == 1
    message.refresh_from_db()
    assert message.status == Message.Status.UNKNOWN and "not resent" in message.error


def test_erasing_a_customer_erases_what_was_written_to_them(world, anna, sms_files, django_capture_on_commit_callbacks):
    send(world, anna, django_capture_on_commit_callbacks, text="Your code is 1234")
    erase_customer(world.company_a, customer=anna, actor=world.owner_a)
    assert not Message.objects.filter(customer=anna).exists()
