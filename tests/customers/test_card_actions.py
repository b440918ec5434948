"""Block, pipeline, consent and erasure: the small actions on a customer's card."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from customers.models import Customer, CustomerEvent, CustomerMerge, ErasedContact, Note
from customers.services import (
    add_note,
    erase_customer,
    find_or_create_customer,
    merge_customers,
    reachable,
    set_blocked,
)
from orders.models import Order, Product
from orders.services import Line, place_order
from quicklinks import services as quicklinks
from quicklinks.models import QuickLink
from tests.factories import make_customer

pytestmark = pytest.mark.usefixtures("in_company_a")


@pytest.fixture
def anna(world):
    return make_customer(world.company_a, name="Anna Smirnova", phones=["+79161234567"], emails=["anna@example.com"])


def test_blocking_needs_a_reason_and_shows_on_the_card_and_in_the_list(world, manager_client, anna):
    block = reverse("customers:block", args=[anna.pk])
    page = manager_client.post(block, {"reason": "  "}, follow=True).content.decode()
    assert "Reason for blocking: This field is required." in page
    anna.refresh_from_db()
    assert not anna.is_blocked

    page = manager_client.post(block, {"reason": "Did not pay for two orders"}, follow=True).content.decode()
    assert 'data-testid="blocked-alert"' in page and "Did not pay for two orders" in page
    listing = manager_client.get(reverse("customers:list")).content.decode()
    assert 'data-testid="blocked-badge"' in listing and 'title="Did not pay for two orders"' in listing
    event = CustomerEvent.objects.get(customer=anna, kind=CustomerEvent.Kind.EDITED)
    assert {c["field"] for c in event.data["changes"]} == {"is_blocked", "blocked_reason"}

    manager_client.post(reverse("customers:unblock", args=[anna.pk]))
    anna.refresh_from_db()
    assert (anna.is_blocked, anna.blocked_reason) == (False, "")


def test_a_blocked_customers_quick_link_takes_no_orders_and_campaigns_leave_them_out(world, client, anna):
    company = world.company_a
    rose = Product.objects.create(company=company, name="Rose", price=Decimal("100"), currency="RUB")
    link = quicklinks.issue_link(company, customer=anna, actor=world.owner_a)
    bob = make_customer(company, name="Bob", phones=["+79160000002"])
    assert set(reachable(Customer.objects.filter(company=company), "sms")) == {anna, bob}

    set_blocked(company, customer=anna, blocked=True, reason="Fraud", actor=world.owner_a)
    token = quicklinks.token_for(link)
    page = client.get(reverse("quicklinks:catalog", args=[token]))
    assert page.status_code == 403 and "does not take orders" in page.content.decode()
    client.post(reverse("quicklinks:checkout", args=[token]))
    with pytest.raises(ValidationError, match="does not take orders"):
        place_order(company, customer=anna, lines=[Line(quantity=1, product_id=rose.pk)], source="quick_link")
    assert not Order.objects.exists()
    assert set(reachable(Customer.objects.filter(company=company), "sms")) == {bob}


def test_the_pipeline_is_changed_by_hand_and_bad_values_change_nothing(world, manager_client, anna):
    url = reverse("customers:pipeline", args=[anna.pk])
    manager_client.post(url, {"status": "current", "temperature": "hot"})
    anna.refresh_from_db()
    assert (anna.status, anna.temperature) == ("current", "hot")
    page = manager_client.post(url, {"status": "vip", "temperature": "boiling"}, follow=True).content.decode()
    assert "Select a valid choice" in page
    anna.refresh_from_db()
    assert (anna.status, anna.temperature) == ("current", "hot")


def test_consent_is_recorded_per_channel_with_when_and_how_and_is_filterable(world, manager_client, anna):
    url = reverse("customers:consent", args=[anna.pk])
    manager_client.post(url, {"channel": "email", "given": "no", "source": "unsubscribed"})
    anna.refresh_from_db()
    assert anna.email_consent is False and anna.email_consent_source == "unsubscribed" and anna.email_consent_at
    assert anna.sms_consent is True and anna.sms_consent_at is None
    card = manager_client.get(anna.get_absolute_url()).content.decode()
    assert "opted out" in card and "unsubscribe link" in card

    bad = manager_client.post(url, {"channel": "fax", "given": "maybe", "source": "x"}, follow=True).content.decode()
    assert "Channel: Select a valid choice" in bad
    assert "Decision: Select a valid choice" in bad

    listing = manager_client.get(reverse("customers:list"), {"email_consent": "no"}).content.decode()
    assert "Anna Smirnova" in listing and "Consents to email: no" in listing


def test_erasing_keeps_the_orders_and_refuses_the_person_coming_back_silently(world, anna):
    company = world.company_a
    rose = Product.objects.create(company=company, name="Rose", price=Decimal("100"), currency="RUB")
    order = place_order(
        company, customer=anna, lines=[Line(quantity=2, product_id=rose.pk)], source="staff", comment="Ring Anna"
    )
    add_note(company, customer=anna, text="Anna's cat is called Tom", priority=2, actor=world.owner_a)
    quicklinks.issue_link(company, customer=anna, actor=world.owner_a)
    twin = make_customer(company, name="Anna S.", phones=["+79160000009"])
    merge_customers(company, target=anna, duplicate=twin)

    with pytest.raises(PermissionDenied):
        erase_customer(company, customer=anna, actor=world.manager_a)
    erased = erase_customer(company, customer=anna, actor=world.admin_a)

    assert erased.full_name == f"#{anna.pk}" and erased.erased_at and not erased.phones.exists()
    assert (erased.orders_count, erased.orders_sum) == (1, Decimal("200.00"))
    order.refresh_from_db()
    assert (order.customer_name, order.customer_phone, order.customer_email, order.comment) == ("", "", "", "")
    assert not Note.objects.filter(customer=anna).exists()
    assert not QuickLink.objects.filter(customer_id=anna.pk).exists()
    assert not CustomerMerge.objects.filter(survivor=anna).exists()
    events = list(CustomerEvent.objects.filter(customer=anna).values_list("kind", "actor", "data"))
    assert events == [(CustomerEvent.Kind.ERASED, world.admin_a.pk, {})]
    assert ErasedContact.objects.filter(company=company).count() == 3  # two phones and an email
    assert "+79161234567" not in str(list(ErasedContact.objects.values_list("digest", flat=True)))

    with pytest.raises(ValidationError, match="erased on request"):
        find_or_create_customer(company, name="Anna", phones=["8 916 123-45-67"])
    with pytest.raises(ValidationError, match="erased on request"):
        place_order(company, lines=[Line(quantity=1, product_id=rose.pk)], source="staff", emails=["ANNA@example.com"])
    with pytest.raises(ValidationError, match="already been erased"):
        erase_customer(company, customer=anna, actor=world.owner_a)
    # Another company never knew her: nothing is refused there.
    assert find_or_create_customer(world.company_b, phones=["+79161234567"])[1] is True


def test_the_erase_page_is_for_admins_and_wants_the_name_typed(world, owner_client, manager_client, anna):
    url = reverse("customers:erase", args=[anna.pk])
    assert manager_client.get(url).status_code == 403
    assert manager_client.post(url, {"confirmation": "Anna Smirnova"}).status_code == 403
    page = owner_client.post(url, {"confirmation": "Anna"})
    assert "That is not the customer&#x27;s name; nothing was erased." in page.content.decode()
    anna.refresh_from_db()
    assert anna.erased_at is None

    response = owner_client.post(url, {"confirmation": " anna smirnova "}, follow=True)
    assert "personal data is erased" in response.content.decode()
    assert 'data-testid="erased-badge"' in response.content.decode()
    assert owner_client.get(url).status_code == 404  # nothing left to erase


def test_staff_adding_an_erased_phone_are_told_why(world, owner_client, anna):
    erase_customer(world.company_a, customer=anna, actor=world.owner_a)
    response = owner_client.post(
        reverse("customers:create"),
        {
            "full_name": "Anna again",
            "phones": ["+7 916 123-45-67"],
            "status": "potential",
            "acquisition_channel": "manual",
            "discount_percent": "0",
        },
    )
    assert "belonged to a person whose data was erased on request" in response.content.decode()
    assert not Customer.objects.filter(full_name="Anna again").exists()


def test_a_high_priority_note_shows_as_a_badge_on_the_row(world, manager_client, anna):
    add_note(world.company_a, customer=anna, text="Owes 500 for the last order", priority=2, actor=world.owner_a)
    add_note(world.company_a, customer=anna, text="Likes tulips", priority=1, actor=world.owner_a)
    make_customer(world.company_a, name="Bob", phones=["+79160000002"])
    listing = manager_client.get(reverse("customers:list")).content.decode()
    assert listing.count('data-testid="urgent-note-badge"') == 1
    assert 'title="Owes 500 for the last order"' in listing


def test_the_quick_panel_shows_one_customer_or_several_and_refuses_bad_actions(
    world, manager_client, anna, django_assert_max_num_queries
):
    bob = make_customer(world.company_a, name="Bob", phones=["+79160000002"])
    stranger = make_customer(world.company_b, name="Stranger", phones=["+79160000003"])
    url = reverse("customers:panel")
    with django_assert_max_num_queries(14):
        one = manager_client.get(url, {"selected": [anna.pk, stranger.pk, "x"]}).content.decode()
    assert 'data-testid="panel-customer"' in one and "Anna Smirnova" in one and "Stranger" not in one
    several = manager_client.get(url, {"selected": [anna.pk, bob.pk]}).content.decode()
    assert "2 customers selected" in several

    page = manager_client.post(url, {"selected": [anna.pk, bob.pk], "action": "add_label"}).content.decode()
    assert "Choose a label." in page
    page = manager_client.post(url, {"selected": [anna.pk, bob.pk], "action": "note", "text": "Hi"}).content.decode()
    assert "A note is added to one customer at a time." in page
    assert not Note.objects.exists()

    page = manager_client.post(
        url, {"selected": [anna.pk, bob.pk, stranger.pk], "action": "favourite"}
    ).content.decode()
    assert "Added to favourites." in page
    assert set(Customer.objects.filter(is_favourite=True)) == {anna, bob}
    manager_client.post(url, {"selected": [anna.pk], "action": "note", "text": " Call at 6 ", "priority": "2"})
    assert Note.objects.get().text == "Call at 6"
