"""The customer list's message criteria: SMS sent in a period, and no message for N days."""

from datetime import timedelta

import pytest
from django.utils import timezone

from messaging.models import Message
from segments.queries import filter_of, query_words
from tests.factories import make_customer

pytestmark = pytest.mark.usefixtures("in_company_a")


@pytest.fixture
def people(world):
    company, now = world.company_a, timezone.now()
    anna = make_customer(company, name="Anna", phones=["+79160000001"])
    boris = make_customer(company, name="Boris", phones=["+79160000002"])
    vera = make_customer(company, name="Vera", emails=["vera@example.com"])
    make_customer(company, name="Gleb")

    def message(customer, channel, status, days_ago):
        at = now - timedelta(days=days_ago)
        made = Message.objects.create(
            company=company, customer=customer, channel=channel, status=status, text="Hi", sent_at=at
        )
        Message.objects.filter(pk=made.pk).update(created_at=at)

    message(anna, "sms", Message.Status.DELIVERED, 3)
    message(boris, "sms", Message.Status.FAILED, 3)  # never reached him
    message(boris, "sms", Message.Status.SENT, 40)
    message(vera, "email", Message.Status.SENT, 1)
    return {"anna": anna, "boris": boris, "vera": vera}


def names(world, query):
    return sorted(filter_of(world.company_a, query).qs.values_list("full_name", flat=True))


def test_sms_sent_in_a_period(world, people):
    today = timezone.localdate()
    week_ago = (today - timedelta(days=7)).isoformat()
    assert names(world, f"sms_sent_from={week_ago}") == ["Anna"]
    assert names(world, f"sms_sent_to={week_ago}") == ["Boris"]
    assert names(world, f"sms_sent_from={week_ago}&sms_sent_to={today - timedelta(days=10)}") == [
        "Anna",
        "Boris",
        "Gleb",
        "Vera",
    ]  # an inverted period drops out, with its error on the upper bound
    assert query_words(world.company_a, f"sms_sent_from={week_ago}")[0].startswith("SMS sent from ")


def test_no_message_for_n_days(world, people):
    assert names(world, "no_message_days=7") == ["Boris", "Gleb"]  # his last one in a week failed
    assert names(world, "no_message_days=60") == ["Gleb"]
    assert query_words(world.company_a, "no_message_days=7") == ["no message for 7 days"]
