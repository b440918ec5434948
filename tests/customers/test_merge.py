"""Merging two cards of one person, and undoing it."""

import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import serializers
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone
from django_scopes import scope

from customers.models import Customer, CustomerEvent, CustomerMerge, CustomerPhone, DuplicateCandidate, Note
from customers.services import (
    _customer_relations,
    flag_possible_duplicate,
    merge_customers,
    rebuild_all_customer_stats,
    undo_merge,
    update_customer,
)
from imports.models import Import, ImportChange
from messaging.models import Message, PushSubscription
from orders.models import Order, Product
from orders.services import Line, place_order
from quicklinks.services import issue_link
from tests.factories import CompanyFactory, LabelFactory, make_customer

pytestmark = pytest.mark.usefixtures("in_company_a")


@pytest.fixture
def rose(world):
    return Product.objects.create(company=world.company_a, name="Rose", price=Decimal("100"), currency="RUB")


def _order(company, customer, product, quantity=1):
    return place_order(
        company, customer=customer, lines=[Line(quantity=quantity, product_id=product.pk)], source="staff"
    )


# One row of every model that refers to a customer. A new relation fails the test below until it
# is added here, so that somebody checks that merging moves it and undoing brings it back.
ROW_MAKERS = {
    ("customers.CustomerPhone", "customer"): lambda w, c, p: None,  # contacts: made with the customer
    ("customers.CustomerEmail", "customer"): lambda w, c, p: None,
    ("customers.Note", "customer"): lambda w, c, p: Note.objects.create(
        company=w.company_a, customer=c, text=f"About {c.full_name}", author=w.owner_a
    ),
    ("customers.CustomerEvent", "customer"): lambda w, c, p: CustomerEvent.objects.create(
        company=w.company_a, customer=c, kind=CustomerEvent.Kind.EDITED, data={"changes": []}
    ),
    ("customers.CustomerMerge", "survivor"): lambda w, c, p: merge_customers(
        w.company_a, target=c, duplicate=make_customer(w.company_a, name=f"Old {c.full_name}")
    ),
    ("orders.Order", "customer"): lambda w, c, p: _order(w.company_a, c, p),
    ("quicklinks.QuickLink", "customer"): lambda w, c, p: issue_link(w.company_a, customer=c, actor=w.owner_a),
    ("messaging.Message", "customer"): lambda w, c, p: Message.objects.create(
        company=w.company_a, customer=c, channel="sms", text=f"Hello {c.full_name}", address="+79160000000"
    ),
    ("messaging.PushSubscription", "customer"): lambda w, c, p: PushSubscription.objects.create(
        company=w.company_a, customer=c, endpoint=f"https://push.example/{c.pk}", p256dh="key", auth="secret"
    ),
    ("imports.ImportChange", "customer"): lambda w, c, p: ImportChange.objects.create(
        company=w.company_a,
        source=Import.objects.create(company=w.company_a, language="en", original_name="base.xlsx"),
        customer=c,
        previous={"city": ""},
        applied={"city": c.city},
    ),
}


def _state(customer_pk):
    """Everything of a customer, serialized: its row and the rows of every relation and label."""
    rows = list(Customer.objects.filter(pk=customer_pk))
    for model, field_name in _customer_relations():
        rows += model._base_manager.filter(**{field_name: customer_pk}).order_by("pk")
    rows += Customer.labels.through.objects.filter(customer_id=customer_pk).order_by("pk")
    return serializers.serialize("python", rows)


def test_every_relation_of_a_customer_has_a_row_maker():
    relations = {(model._meta.label, field_name) for model, field_name in _customer_relations()}
    assert relations == set(ROW_MAKERS), "merge moves every relation: add the new one to ROW_MAKERS"


def test_merge_moves_every_related_row_and_undo_brings_back_exactly_what_was_there(world, rose):
    company = world.company_a
    vip, gold = LabelFactory(company=company, name="VIP"), LabelFactory(company=company, name="Gold")
    keep = make_customer(company, name="Anna", phones=["+79160000010"], emails=["anna@example.com"], labels=[vip])
    dup = make_customer(
        company, name="Anna S.", phones=["+79160000011"], emails=["a.s@example.com"], labels=[vip, gold], city="Tver"
    )
    for make in ROW_MAKERS.values():
        make(world, dup, rose)
    _order(company, keep, rose)
    dup.refresh_from_db()
    dup_before, keep_before = _state(dup.pk), _state(keep.pk)

    merged = merge_customers(company, target=keep, duplicate=dup, actor=world.owner_a)

    assert not Customer.objects.filter(pk=dup.pk).exists()
    moved = {(row["model"], row["pk"]) for row in _state(keep.pk)}
    for row in dup_before[1:]:
        if row["model"] in ("customers.customerlabel", "quicklinks.quicklink"):
            continue  # the survivor has its own label links; a second quick link goes with the duplicate
        assert (row["model"], row["pk"]) in moved, row
    assert merged.city == "Tver" and set(merged.labels.values_list("name", flat=True)) == {"VIP", "Gold"}
    assert (merged.orders_count, merged.orders_sum) == (2, Decimal("200.00"))
    assert rebuild_all_customer_stats(company) == 0  # the figures are already what a rebuild computes

    later = _order(company, merged, rose)  # placed after the merge: stays with the survivor
    merge = CustomerMerge.objects.get(survivor=keep, absorbed_id=dup.pk)
    back = undo_merge(company, merge=merge, actor=world.owner_a)

    assert back.pk == dup.pk
    restored = [row for row in _state(dup.pk) if not _is_undo_event(row)]
    assert restored == dup_before
    survivor = [row for row in _state(keep.pk) if not _is_event(row) and row["pk"] != later.pk]
    figures = ("orders_count", "orders_sum", "last_order_at", "last_activity_at", "updated_at")
    expected = {k: v for k, v in keep_before[0]["fields"].items() if k not in figures}
    assert {k: v for k, v in survivor[0]["fields"].items() if k not in figures} == expected
    assert survivor[1:] == [row for row in keep_before[1:] if not _is_event(row)]
    assert Order.objects.get(pk=later.pk).customer_id == keep.pk
    assert rebuild_all_customer_stats(company) == 0
    kinds = list(CustomerEvent.objects.filter(customer=keep).values_list("kind", flat=True)[:2])
    assert kinds[0] == CustomerEvent.Kind.MERGE_UNDONE


def _is_event(row):
    """History of the merge itself: its event and its record."""
    return row["model"] in ("customers.customerevent", "customers.customermerge")


def _is_undo_event(row):
    return row["model"] == "customers.customerevent" and row["fields"]["kind"] == CustomerEvent.Kind.MERGE_UNDONE


def test_staff_choose_which_value_survives(world):
    company = world.company_a
    keep = make_customer(company, name="Anna", phones=["+79160000010"], city="Moscow", discount_percent=Decimal("5"))
    dup = make_customer(company, name="Anna Smirnova", phones=["+79160000011"], city="Tver", sms_consent=False)
    merged = merge_customers(company, target=keep, duplicate=dup, keep={"full_name": "duplicate"})
    assert (merged.full_name, merged.city, merged.discount_percent) == ("Anna Smirnova", "Moscow", Decimal("5"))
    assert merged.sms_consent is False  # an opt-out on either card stands


def test_undo_keeps_the_survivors_later_edits(world):
    company = world.company_a
    keep = make_customer(company, name="Anna", phones=["+79160000010"])
    dup = make_customer(company, name="Anna Smirnova", phones=["+79160000011"], city="Tver", region="Tverskaya")
    merged = merge_customers(company, target=keep, duplicate=dup, keep={"full_name": "duplicate"})
    update_customer(
        company,
        customer=merged,
        fields={"full_name": merged.full_name, "city": "Klin", "discount_percent": 0},
        phones=["+79160000010", "+79160000011", "+79160000012"],
        emails=[],
    )
    undo_merge(company, merge=CustomerMerge.objects.get(survivor=keep))
    keep.refresh_from_db()
    assert (keep.full_name, keep.city, keep.region) == ("Anna", "Klin", "")
    assert list(keep.phones.values_list("number", flat=True)) == ["+79160000010", "+79160000012"]
    assert list(Customer.objects.get(pk=dup.pk).phones.values_list("number", flat=True)) == ["+79160000011"]


def test_undo_is_refused_twice_after_thirty_days_and_when_a_phone_went_to_someone_else(world):
    company = world.company_a
    keep = make_customer(company, name="Anna", phones=["+79160000010"])
    dup = make_customer(company, name="Anna S.", phones=["+79160000011"])
    merge_customers(company, target=keep, duplicate=dup)
    merge = CustomerMerge.objects.get(survivor=keep)

    update_customer(company, customer=keep, fields={"full_name": "Anna"}, phones=["+79160000010"], emails=[])
    bob = make_customer(company, name="Bob", phones=["+79160000011"])
    with pytest.raises(ValidationError, match="Bob"):
        undo_merge(company, merge=merge)
    CustomerPhone.objects.filter(customer=bob).delete()

    CustomerMerge.objects.filter(pk=merge.pk).update(created_at=timezone.now() - timedelta(days=31))
    with pytest.raises(ValidationError, match="30 days"):
        undo_merge(company, merge=merge)
    CustomerMerge.objects.filter(pk=merge.pk).update(created_at=timezone.now())
    undo_merge(company, merge=merge)
    with pytest.raises(ValidationError, match="already been undone"):
        undo_merge(company, merge=merge)
    assert Customer.objects.filter(company=company).count() == 3


def test_merge_refuses_another_companys_customer_and_one_already_merged(world):
    company = world.company_a
    keep = make_customer(company, name="Anna", phones=["+79160000010"])
    dup = make_customer(company, name="Anna S.", phones=["+79160000011"])
    elsewhere = CompanyFactory()
    stranger = make_customer(elsewhere, name="Anna", phones=["+79160000010"])
    with pytest.raises(ValidationError, match="same company"):
        merge_customers(company, target=keep, duplicate=stranger)
    flag_possible_duplicate(company, first_id=keep.pk, second_id=dup.pk, reason=DuplicateCandidate.Reason.SAME_NAME)
    merge_customers(company, target=keep, duplicate=dup)
    with pytest.raises(ValidationError, match="no longer exists"):
        merge_customers(company, target=keep, duplicate=dup)
    with scope(company=elsewhere):
        assert Customer.objects.filter(pk=stranger.pk).exists()
    assert not DuplicateCandidate.objects.filter(company=company).exists()


@pytest.mark.django_db(transaction=True)
def test_two_staff_merging_the_same_pair_at_once_one_wins(world, rose):
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL")
    company = world.company_a
    keep = make_customer(company, name="Anna", phones=["+79160000010"])
    dup = make_customer(company, name="Anna S.", phones=["+79160000011"])
    _order(company, dup, rose)
    outcomes, start = [], threading.Barrier(2)

    def merge():
        start.wait()
        try:
            with scope(company=company):
                merge_customers(company, target=keep, duplicate=dup)
            outcomes.append("merged")
        except ValidationError as error:
            outcomes.append(error.messages[0])
        finally:
            connection.close()

    threads = [threading.Thread(target=merge) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    winner, loser = sorted(outcomes, key=lambda outcome: outcome != "merged")
    assert winner == "merged" and "no longer exists" in loser
    assert Order.objects.get().customer_id == keep.pk
    assert CustomerMerge.objects.count() == 1 and CustomerPhone.objects.filter(customer_id=dup.pk).count() == 0
