from datetime import timedelta
from decimal import Decimal
from urllib.parse import quote

import pytest
from django.urls import reverse
from django.utils import timezone

from customers.models import Customer, CustomerEvent, Label, Note
from customers.services import add_label, add_note, merge_customers, remove_label, update_customer
from customers.timeline import timeline
from orders.models import Order, OrderStatusChange
from orders.services import Line, change_order_status, place_order
from tests.factories import make_customer

pytestmark = pytest.mark.usefixtures("in_company_a")


def _edit(company, customer, actor, **changes):
    fields = {"full_name": customer.full_name, "discount_percent": customer.discount_percent, **changes}
    phones = changes.pop("phones", customer.phones.values_list("number", flat=True))
    fields.pop("phones", None)
    return update_customer(
        company,
        customer=customer,
        fields=fields,
        phones=phones,
        emails=customer.emails.values_list("email", flat=True),
        actor=actor,
    )


def test_an_edit_records_who_changed_which_field_from_what_to_what(world):
    company = world.company_a
    anna = make_customer(company, name="Anna", phones=["+79160000001"], discount_percent=Decimal("10"))

    anna = _edit(company, anna, world.manager_a, full_name="Anna Smirnova", discount_percent=Decimal("10.00"))
    anna = _edit(company, anna, world.owner_a, phones=["+79160000001", "+79160000002"], temperature="hot")
    _edit(company, anna, world.owner_a)  # nothing changed: nothing recorded

    second, first = CustomerEvent.objects.filter(customer=anna, kind=CustomerEvent.Kind.EDITED)
    assert first.actor == world.manager_a
    assert first.data["changes"] == [{"field": "full_name", "old": "Anna", "new": "Anna Smirnova"}]
    assert second.actor == world.owner_a
    assert second.data["changes"] == [
        {"field": "temperature", "old": "", "new": "hot"},
        {"field": "phones", "old": "+79160000001", "new": "+79160000001, +79160000002"},
    ]


def test_the_timeline_shows_events_of_each_kind_newest_first(world, owner_client):
    company = world.company_a
    anna = make_customer(company, name="Anna", phones=["+79160000001"])
    twin = make_customer(company, name="Anna S.", emails=["anna@example.com"])
    vip = Label.objects.create(company=company, name="VIP")
    start = timezone.now() - timedelta(days=10)

    def at(days, model, pk):
        model.objects.filter(pk=pk).update(created_at=start + timedelta(days=days))

    order = place_order(
        company, customer=anna, lines=[Line(name="Rose", quantity=1, unit_price=Decimal("100"))], source="staff"
    )
    at(0, Order, order.pk)
    OrderStatusChange.objects.filter(order=order).update(created_at=start)
    at(1, CustomerEvent, CustomerEvent.objects.get(customer=anna, kind=CustomerEvent.Kind.STATUS_CHANGED).pk)
    change_order_status(company, order=order, status="confirmed", actor=world.manager_a)
    OrderStatusChange.objects.filter(order=order, to_status="confirmed").update(created_at=start + timedelta(days=2))
    at(3, Note, add_note(company, customer=anna, text="Prefers white roses", priority=2, actor=world.owner_a).pk)
    add_label(company, label=vip, customers=Customer.objects.filter(pk=anna.pk), actor=world.owner_a)
    at(4, CustomerEvent, CustomerEvent.objects.get(kind=CustomerEvent.Kind.LABEL_ADDED).pk)
    remove_label(company, label=vip, customers=Customer.objects.filter(pk=anna.pk), actor=world.owner_a)
    at(5, CustomerEvent, CustomerEvent.objects.get(kind=CustomerEvent.Kind.LABEL_REMOVED).pk)
    _edit(company, anna, world.owner_a, full_name="Anna Smirnova")
    at(6, CustomerEvent, CustomerEvent.objects.get(kind=CustomerEvent.Kind.EDITED).pk)
    merge_customers(company, target=anna, duplicate=twin, actor=world.owner_a)

    entries, more = timeline(company, anna)
    kinds = [entry.obj.kind if entry.kind == "event" else entry.kind for entry in entries]
    assert kinds == [
        "merged",
        "edited",
        "label_removed",
        "label_added",
        "note",
        "order_status",
        "status_changed",
        "order",
    ]
    assert not more

    page = owner_client.get(reverse("customers:timeline", args=[anna.pk])).content.decode()
    for text in (
        "Merged with the duplicate Anna S.",
        "<del>Anna</del> → Anna Smirnova",
        "Label VIP removed",
        "Label VIP added",
        "Prefers white roses",
        "New → Confirmed",
        "Changed automatically by the first order",
        f"#{order.number}</a> placed",
    ):
        assert text in page, text
    assert "Show older" not in page


def test_the_timeline_is_paged_by_the_moment_of_its_last_entry(world, owner_client):
    company = world.company_a
    anna = make_customer(company, name="Anna")
    now = timezone.now()
    notes = [add_note(company, customer=anna, text=f"Note {n}", priority=0, actor=world.owner_a) for n in range(1, 26)]
    for n, note in enumerate(notes, start=1):
        Note.objects.filter(pk=note.pk).update(created_at=now - timedelta(hours=100 - n))

    first, more = timeline(company, anna)
    assert more and [entry.obj.text for entry in first] == [f"Note {n}" for n in range(25, 5, -1)]
    rest, more = timeline(company, anna, before=first[-1].when)
    assert not more and [entry.obj.text for entry in rest] == [f"Note {n}" for n in range(5, 0, -1)]

    url = reverse("customers:timeline", args=[anna.pk])
    page = owner_client.get(url).content.decode()
    assert page.count('data-testid="timeline-entry"') == 20 and "Show older" in page
    older = owner_client.get(url, {"before": first[-1].when.isoformat()}).content.decode()
    assert older.count('data-testid="timeline-entry"') == 5 and "Note 1" in older
    # A cursor that is not a moment starts from the newest entry again.
    for bad in ("yesterday", "2026-02-31T10:00:00+00:00"):
        assert owner_client.get(url, {"before": bad}).content.decode().count('data-testid="timeline-entry"') == 20


def _order_with_changes(company, customer, actor, statuses, start, step=timedelta(minutes=10)):
    """An order placed at `start` whose status then moves through `statuses`, one step apart."""
    order = place_order(
        company, customer=customer, lines=[Line(name="Rose", quantity=1, unit_price=Decimal("100"))], source="staff"
    )
    Order.objects.filter(pk=order.pk).update(created_at=start)
    OrderStatusChange.objects.filter(order=order).update(created_at=start)
    CustomerEvent.objects.filter(customer=customer).update(created_at=start - timedelta(days=1))
    for n, status in enumerate(statuses, start=1):
        change_order_status(company, order=order, status=status, actor=actor)
        OrderStatusChange.objects.filter(order=order, to_status=status).update(created_at=start + n * step)
    return order


def test_consecutive_status_changes_of_an_order_fold_into_one_line(world, owner_client, django_assert_max_num_queries):
    company = world.company_a
    anna = make_customer(company, name="Anna", phones=["+79160000001"])
    start = timezone.now() - timedelta(days=3)
    order = _order_with_changes(
        company, anna, world.manager_a, ["confirmed", "in_production", "shipped", "completed"], start
    )
    # A note between "shipped" and "completed" breaks the run in two.
    note = add_note(company, customer=anna, text="Asked about delivery", priority=0, actor=world.owner_a)
    Note.objects.filter(pk=note.pk).update(created_at=start + timedelta(minutes=35))

    entries, _more = timeline(company, anna)
    assert [(entry.kind, entry.data.get("statuses")) for entry in entries[:3]] == [
        ("order_status", ["Shipped", "Completed"]),
        ("note", None),
        ("order_status", ["New", "Confirmed", "In production", "Shipped"]),
    ]
    assert entries[2].actor == world.manager_a and entries[2].cursor == start + timedelta(minutes=10)

    url = reverse("customers:timeline", args=[anna.pk])
    with django_assert_max_num_queries(12):
        page = owner_client.get(url).content.decode()
    assert f"Order #{order.number}: New → Confirmed → In production → Shipped" in page
    assert f"Order #{order.number}: Shipped → Completed" in page


def test_a_page_never_cuts_a_folded_run_and_the_next_page_goes_on_after_it(world, owner_client):
    company = world.company_a
    anna = make_customer(company, name="Anna", phones=["+79160000001"])
    now = timezone.now()
    for n in range(19):  # the 19 newest lines are notes
        note = add_note(company, customer=anna, text=f"Note {n}", priority=0, actor=world.owner_a)
        Note.objects.filter(pk=note.pk).update(created_at=now - timedelta(minutes=n))
    # The 20th line folds the order's four changes; older still, its placement and the customer's
    # automatic status change.
    older = _order_with_changes(
        company, anna, world.owner_a, ["confirmed", "in_production", "shipped", "completed"], now - timedelta(days=1)
    )
    first, more = timeline(company, anna)
    assert len(first) == 20 and more
    assert first[-1].data["statuses"] == ["New", "Confirmed", "In production", "Shipped", "Completed"]
    rest, more = timeline(company, anna, before=first[-1].cursor)
    assert [entry.kind for entry in rest] == ["order", "event"] and rest[0].obj == older and not more

    url = reverse("customers:timeline", args=[anna.pk])
    page = owner_client.get(url).content.decode()
    assert page.count('data-testid="timeline-entry"') == 20 and "Show older" in page
    cursor = first[-1].cursor.isoformat()
    assert "?before=" + quote(cursor, safe="") in page
    older_page = owner_client.get(url, {"before": cursor}).content.decode()
    assert older_page.count('data-testid="timeline-entry"') == 2 and "placed" in older_page


def test_every_kind_of_entry_has_its_line():
    from django.template.loader import get_template

    from customers.models import CustomerEvent
    from customers.timeline import EVENT_TEMPLATES, FOLDERS, Entry

    kinds = {"order", "order_status", "note", *FOLDERS}
    templates = {Entry(None, kind).fragment for kind in kinds} | set(EVENT_TEMPLATES.values())
    assert len(EVENT_TEMPLATES) == len(CustomerEvent.Kind.values) - 2  # edits and status changes share one
    for name in templates | {"customers/timeline/event_edited.html"}:
        get_template(name)
