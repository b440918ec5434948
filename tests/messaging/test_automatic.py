"""Automatic messages: switched on per event, a default text in the company's language, sent
once per occasion when a quick-link order arrives, an order changes status or a birthday comes;
nothing for a customer who cannot receive it, and a bad text is refused with nothing saved."""

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError

from audit.models import AuditEntry
from customers.services import set_consent
from messaging import automatic
from messaging.models import AutoMessage, Message
from orders.models import Order, Product
from orders.services import Line, change_order_status, place_order
from tests.factories import make_customer

pytestmark = pytest.mark.usefixtures("in_company_a")
Event = AutoMessage.Event


@pytest.fixture
def anna(world):
    return make_customer(world.company_a, name="Anna Petrova", phones=["+79160000001"], birthday=date(1990, 12, 3))


@pytest.fixture
def rose(world):
    return Product.objects.create(company=world.company_a, name="Rose", price=Decimal("100"), currency="RUB")


def switch_on(world, *events, channel="sms"):
    values = {event: {"enabled": event in events, "channel": channel} for event in Event.values}
    for auto in automatic.auto_messages(world.company_a):
        values[auto.event]["text"] = auto.text
    automatic.save_auto_messages(world.company_a, values=values, actor=world.owner_a)


def order_for(world, customer, rose, source=Order.Source.QUICK_LINK):
    return place_order(world.company_a, customer=customer, lines=[Line(quantity=1, product_id=rose.pk)], source=source)


def test_every_event_starts_off_with_a_text_in_the_companys_language(world):
    world.company_a.language = "ru"
    autos = automatic.auto_messages(world.company_a)
    assert [auto.event for auto in autos] == Event.values and not any(auto.enabled for auto in autos)
    shipped = next(auto for auto in autos if auto.event == Event.ORDER_SHIPPED)
    assert "{order}" in shipped.text and "заказ" in shipped.text


def test_a_quick_link_order_and_its_status_changes_send_once_each(world, anna, rose):
    switch_on(world, Event.QUICK_LINK_ORDER, Event.ORDER_SHIPPED)
    order = order_for(world, anna, rose)
    [received] = Message.objects.filter(customer=anna)
    assert received.text == f"Anna, we have your order #{order.number}. We will be in touch soon."
    assert received.event == f"order:{order.pk}:placed" and received.actor is None
    change_order_status(world.company_a, order=order, status=Order.Status.CONFIRMED, actor=world.owner_a)
    change_order_status(world.company_a, order=order, status=Order.Status.IN_PRODUCTION, actor=world.owner_a)
    assert Message.objects.filter(customer=anna).count() == 1  # "confirmed" and "in production" are off
    change_order_status(world.company_a, order=order, status=Order.Status.SHIPPED, actor=world.owner_a)
    assert (
        Message.objects.filter(customer=anna).latest("pk").text
        == f"Anna, your order #{order.number} is on its way to you."
    )
    # The same occasion again (a signal sent twice, a retried task) sends nothing more.
    assert (
        automatic.send_automatic(
            world.company_a, event=Event.ORDER_SHIPPED, customer=anna, key=f"order:{order.pk}:shipped"
        )
        is None
    )
    assert Message.objects.filter(customer=anna).count() == 2
    staff_order = order_for(world, anna, rose, source=Order.Source.STAFF)
    assert not Message.objects.filter(event=f"order:{staff_order.pk}:placed").exists()


def test_a_customer_who_opted_out_gets_nothing_and_the_order_goes_on(world, anna, rose):
    switch_on(world, Event.ORDER_CONFIRMED)
    set_consent(world.company_a, customer=anna, channel="sms", given=False, source="told_staff", actor=None)
    order = order_for(world, anna, rose)
    change_order_status(world.company_a, order=order, status=Order.Status.CONFIRMED, actor=world.owner_a)
    assert Order.objects.get(pk=order.pk).status == Order.Status.CONFIRMED
    assert not Message.objects.exists()


def test_a_bad_text_is_refused_and_nothing_is_saved(world):
    values = {event: {"enabled": True, "channel": "sms", "text": "Hi"} for event in Event.values}
    values[Event.BIRTHDAY]["text"] = "Happy birthday, order #{order}"  # there is no order on a birthday
    values[Event.ORDER_SHIPPED]["text"] = " "
    with pytest.raises(ValidationError) as error:
        automatic.save_auto_messages(world.company_a, values=values, actor=world.owner_a)
    assert "Unknown variable {order}" in error.value.message_dict[Event.BIRTHDAY][0]
    assert error.value.message_dict[Event.ORDER_SHIPPED] == ["Write the message."]
    assert not AutoMessage.objects.exists()
    switch_on(world, Event.BIRTHDAY)
    entry = AuditEntry.objects.get(action=AuditEntry.Action.AUTO_MESSAGES_CHANGED)
    assert {"field": "birthday.enabled", "old": "", "new": "True"} in entry.changes


def test_birthday_greetings_go_once_from_ten_in_the_companys_morning(world, anna):
    switch_on(world, Event.BIRTHDAY)
    make_customer(world.company_a, name="Boris", phones=["+79160000002"], birthday=date(1985, 6, 1))
    zone = ZoneInfo(world.company_a.time_zone)
    assert automatic.send_birthday_greetings(datetime(2026, 12, 3, 8, 0, tzinfo=zone)) == 0  # too early
    assert automatic.send_birthday_greetings(datetime(2026, 12, 3, 11, 0, tzinfo=zone)) == 1
    assert automatic.send_birthday_greetings(datetime(2026, 12, 3, 12, 0, tzinfo=zone)) == 0  # once a year
    [greeting] = Message.objects.all()
    assert (
        greeting.customer == anna and greeting.text == f"Happy birthday, Anna! Best wishes from {world.company_a.name}."
    )
    assert automatic.send_birthday_greetings(datetime(2027, 12, 3, 11, 0, tzinfo=zone)) == 1  # and next year again


def test_a_29_february_birthday_is_greeted_on_the_28th_in_other_years():
    assert automatic.birthday_keys(date(2027, 2, 28)) == [228, 229]
    assert automatic.birthday_keys(date(2028, 2, 28)) == [228]
    assert automatic.birthday_keys(date(2028, 2, 29)) == [229]
