"""The card's Messages tab: staff write to a customer by SMS or email and see every message with
its status; what cannot be sent says why, next to the text."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from customers.services import set_blocked
from messaging.models import Message
from tests.factories import make_customer

pytestmark = pytest.mark.usefixtures("in_company_a")


@pytest.fixture(autouse=True)
def sms_files(settings, tmp_path):
    settings.SMS_FILE_PATH = tmp_path / "sms"
    return settings.SMS_FILE_PATH


@pytest.fixture
def anna(world):
    return make_customer(world.company_a, name="Anna", phones=["+79161234567"], emails=["anna@example.com"])


def post(client, customer, django_capture_on_commit_callbacks, **data):
    fields = {f"message-{key}": value for key, value in data.items()}
    with django_capture_on_commit_callbacks(execute=True):
        return client.post(reverse("messaging:send", args=[customer.pk]), fields, HTTP_HX_REQUEST="true")


def test_a_manager_sends_an_sms_from_the_card_and_sees_it_delivered(
    world, anna, manager_client, django_capture_on_commit_callbacks, sms_files
):
    card = manager_client.get(anna.get_absolute_url()).content.decode()
    assert reverse("messaging:customer", args=[anna.pk]) in card

    response = post(
        manager_client, anna, django_capture_on_commit_callbacks, channel="sms", text="Your roses are ready"
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "The message is on its way." in html
    assert "Your roses are ready" in html and "Waiting" in html and "+7 916 123-45-67" in html
    assert "part=list" in html  # it looks again while the message is on its way
    again = manager_client.get(reverse("messaging:customer", args=[anna.pk]), {"part": "list"}).content.decode()
    assert "Delivered" in again and "part=list" not in again and "<form" not in again
    [message] = Message.objects.all()
    assert message.actor == world.manager_a and message.status == Message.Status.DELIVERED
    assert len(list(sms_files.iterdir())) == 1


def test_what_cannot_be_sent_says_why_next_to_the_text_and_sends_nothing(
    world, anna, manager_client, django_capture_on_commit_callbacks, sms_files
):
    set_blocked(world.company_a, customer=anna, blocked=True, reason="Did not pay", actor=world.owner_a)
    blocked = post(manager_client, anna, django_capture_on_commit_callbacks, channel="sms", text="Hello")
    assert "This customer is blocked" in blocked.content.decode()
    empty = post(manager_client, anna, django_capture_on_commit_callbacks, channel="sms", text="   ")
    assert "Write the message." in empty.content.decode()
    fax = post(manager_client, anna, django_capture_on_commit_callbacks, channel="fax", text="Hi")
    assert "Choose SMS, email or push." in fax.content.decode()
    too_long = post(manager_client, anna, django_capture_on_commit_callbacks, channel="email", text="x" * 2001)
    assert "at most 2000 characters" in too_long.content.decode()
    assert not Message.objects.exists() and not sms_files.exists()


def test_without_htmx_the_send_comes_back_to_the_card_with_a_message(
    world, anna, manager_client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = manager_client.post(
            reverse("messaging:send", args=[anna.pk]),
            {"message-channel": "email", "message-text": "Hello"},
            follow=True,
        )
    assert response.redirect_chain[-1][0] == anna.get_absolute_url()
    assert "The message is on its way." in response.content.decode()


def test_the_part_counter_says_how_many_parts_the_text_takes(manager_client):
    url = reverse("messaging:sms_length")
    assert (
        "1 SMS part, 155 characters left in it" in manager_client.get(url, {"message-text": "Hello"}).content.decode()
    )
    cyrillic = manager_client.get(url, {"message-text": "я" * 71}).content.decode()
    assert "2 SMS parts, 63 characters left in the last" in cyrillic and "70 characters a part" in cyrillic
    assert manager_client.get(url, {"message-text": "\x00" * 9000}).status_code == 200


def test_the_tab_reads_a_fixed_number_of_queries_however_many_messages(world, anna, manager_client):
    counts = []
    for total in (1, 15):
        for n in range(total):
            Message.objects.create(
                company=world.company_a, customer=anna, channel="sms", text=f"Text {n}", address="+7"
            )
        with CaptureQueriesContext(connection) as queries:
            assert manager_client.get(reverse("messaging:customer", args=[anna.pk])).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_another_companys_customer_is_not_found(world, b_client, anna, django_capture_on_commit_callbacks):
    assert b_client.get(reverse("messaging:customer", args=[anna.pk])).status_code == 404
    with django_capture_on_commit_callbacks(execute=True):
        response = b_client.post(
            reverse("messaging:send", args=[anna.pk]), {"message-channel": "sms", "message-text": "Hi"}
        )
    assert response.status_code == 404 and not Message.objects.exists()


def test_the_quick_info_panel_writes_to_one_customer(
    world, anna, manager_client, django_capture_on_commit_callbacks, sms_files
):
    panel = manager_client.get(reverse("customers:panel"), {"selected": anna.pk}).content.decode()
    assert 'data-testid="panel-message-form"' in panel
    url = reverse("messaging:send", args=[anna.pk]) + "?where=panel"
    with django_capture_on_commit_callbacks(execute=True):
        sent = manager_client.post(url, {"message-channel": "sms", "message-text": "See you"}, HTTP_HX_REQUEST="true")
    assert "The message is on its way." in sent.content.decode() and "<form" not in sent.content.decode()
    refused = manager_client.post(url, {"message-channel": "sms", "message-text": ""}, HTTP_HX_REQUEST="true")
    assert "Write the message." in refused.content.decode()
    assert Message.objects.count() == 1
