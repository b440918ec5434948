"""Every email carries a link to stop emails (in the text and as one-click List-Unsubscribe);
the link asks on GET, records the opt-out on POST with its source, and a forged one does nothing."""

import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django_scopes import scope

from customers.models import Customer
from messaging import services
from messaging.models import Message
from tests.factories import make_customer

pytestmark = pytest.mark.usefixtures("in_company_a")


@pytest.fixture
def anna(world):
    return make_customer(world.company_a, name="Anna", emails=["anna@example.com"])


def emailed_link(world, anna, django_capture_on_commit_callbacks, settings) -> str:
    settings.SITE_URL = "https://crm.example"
    with django_capture_on_commit_callbacks(execute=True):
        services.send_to_customer(world.company_a, customer=anna, channel="email", text="News", actor=world.owner_a)
    [email] = mail.outbox
    link = re.search(r"https://crm\.example(/messages/unsubscribe/[^/]+/)", email.body).group(1)
    assert email.extra_headers["List-Unsubscribe"] == f"<https://crm.example{link}>"
    assert email.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    return link


def test_the_link_asks_then_records_the_opt_out(world, anna, django_capture_on_commit_callbacks, settings):
    link = emailed_link(world, anna, django_capture_on_commit_callbacks, settings)
    visitor = Client(enforce_csrf_checks=True)
    page = visitor.get(link)
    assert page.status_code == 200 and "Stop emails from Alpha Flowers?" in page.content.decode()
    anna.refresh_from_db()
    assert anna.email_consent  # a GET changes nothing (mail scanners open links)

    one_click = visitor.post(link, {"List-Unsubscribe": "One-Click"})
    assert "will not send you emails any more" in one_click.content.decode()
    anna.refresh_from_db()
    assert not anna.email_consent and anna.email_consent_source == Customer.ConsentSource.UNSUBSCRIBED
    with pytest.raises(Exception, match="opted out"):
        services.send_to_customer(world.company_a, customer=anna, channel="email", text="More", actor=None)
    assert Message.objects.count() == 1


@pytest.mark.parametrize("token", ["forged", "x" * 300, "WzEsIDFd:forged:sig"])
def test_a_forged_link_changes_nothing(world, anna, client, token):
    response = client.post(reverse("messaging:unsubscribe", args=[token]))
    assert response.status_code == 404 and "no longer valid" in response.content.decode()
    anna.refresh_from_db()
    assert anna.email_consent


def test_a_link_never_reaches_another_companys_customer(world, anna):
    with scope(company=world.company_b):
        theirs = make_customer(world.company_b, name="Theirs", emails=["theirs@example.com"])
    link = services.unsubscribe_url(theirs)
    # The token names its company: it opens that company's customer, never one of A's.
    found = services.customer_for_unsubscribe(link.rstrip("/").rsplit("/", 1)[1])
    assert found == theirs and found.company == world.company_b
