import pytest
from django.core.exceptions import ValidationError

from customers.models import Customer, CustomerLabel, Note
from customers.services import (
    add_label,
    create_customer,
    create_label,
    remove_label,
    update_customer,
)
from tests.factories import LabelFactory, make_customer

pytestmark = pytest.mark.usefixtures("in_company_a")


def test_phones_are_stored_in_e164_and_searchable_by_digits(world):
    customer = make_customer(world.company_a, name="Anna", phones=["8 916 123-45-67", "+44 20 7946 0958"])
    assert [p.number for p in customer.phones.all()] == ["+79161234567", "+442079460958"]
    assert [p.formatted for p in customer.phones.all()] == ["+7 916 123-45-67", "+44 20 7946 0958"]
    assert "79161234567" in Customer.objects.get(pk=customer.pk).search_document


@pytest.mark.parametrize(
    ("phones", "emails", "field"),
    [
        (["not a phone"], [], "phones"),
        (["12345"], [], "phones"),
        ([f"+7 916 000 00 0{i}" for i in range(6)], [], "phones"),
        ([], ["not-an-email"], "emails"),
        ([], [f"a{i}@example.com" for i in range(6)], "emails"),
        ([], ["a" * 250 + "@example.com"], "emails"),
    ],
)
def test_bad_contacts_are_refused_and_nothing_is_saved(world, phones, emails, field):
    with pytest.raises(ValidationError) as error:
        create_customer(world.company_a, fields={"full_name": "X"}, phones=phones, emails=emails)
    assert field in error.value.message_dict
    assert not Customer.objects.exists()


def test_a_phone_another_customer_has_is_refused_naming_that_customer(world):
    make_customer(world.company_a, name="Anna Smirnova", phones=["+79161234567"])
    with pytest.raises(ValidationError) as error:
        make_customer(world.company_a, name="Other", phones=["89161234567"])
    assert "Anna Smirnova" in error.value.message_dict["phones"][0]
    assert Customer.objects.count() == 1


def test_updating_replaces_contacts_and_keeps_the_customers_own(world):
    customer = make_customer(world.company_a, phones=["+79161234567"], emails=["a@example.com"])
    update_customer(
        world.company_a,
        customer=customer,
        fields={"full_name": "Renamed"},
        phones=["+79161234567", "+79167654321"],
        emails=["b@example.com"],
    )
    customer.refresh_from_db()
    assert customer.full_name == "Renamed"
    assert [p.number for p in customer.phones.all()] == ["+79161234567", "+79167654321"]
    assert [e.email for e in customer.emails.all()] == ["b@example.com"]
    assert "RENAMED" in customer.search_document


def test_an_invalid_field_on_update_changes_nothing(world):
    customer = make_customer(world.company_a, name="Kept", phones=["+79161234567"])
    with pytest.raises(ValidationError):
        update_customer(
            world.company_a, customer=customer, fields={"full_name": "x" * 256}, phones=["+79160000000"], emails=[]
        )
    customer.refresh_from_db()
    assert customer.full_name == "Kept"
    assert [p.number for p in customer.phones.all()] == ["+79161234567"]


def test_bulk_label_adds_once_and_removes(world):
    label = LabelFactory(company=world.company_a)
    customers = [make_customer(world.company_a, name=f"C{i}") for i in range(3)]
    other = make_customer(world.company_b, name="Other company")
    assert add_label(world.company_a, label=label, customers=Customer.objects.all()) == 3
    assert add_label(world.company_a, label=label, customers=Customer.objects.all()) == 0
    assert not CustomerLabel.objects.filter(customer=other).exists()
    removed = remove_label(world.company_a, label=label, customers=Customer.objects.filter(pk=customers[0].pk))
    assert removed == 1
    assert CustomerLabel.objects.filter(label=label).count() == 2


def test_a_label_of_another_company_cannot_be_applied(world):
    foreign = LabelFactory(company=world.company_b)
    make_customer(world.company_a)
    with pytest.raises(ValueError):
        add_label(world.company_a, label=foreign, customers=Customer.objects.all())


def test_label_names_are_unique_per_company_ignoring_case(world):
    create_label(world.company_a, name="VIP", color="#ff0000")
    with pytest.raises(ValidationError):
        create_label(world.company_a, name="vip", color="#00ff00")
    create_label(world.company_b, name="VIP", color="#ff0000")


def test_notes_sort_by_priority_then_newest(world):
    from customers.services import add_note

    customer = make_customer(world.company_a)
    low = add_note(
        world.company_a, customer=customer, text="old none", priority=Note.Priority.NONE, actor=world.owner_a
    )
    high = add_note(world.company_a, customer=customer, text="high", priority=Note.Priority.HIGH, actor=world.owner_a)
    newer_low = add_note(world.company_a, customer=customer, text="new none", priority=0, actor=world.owner_a)
    medium = add_note(
        world.company_a, customer=customer, text="medium", priority=Note.Priority.MEDIUM, actor=world.owner_a
    )
    assert list(Note.objects.filter(customer=customer)) == [high, medium, newer_low, low]


@pytest.mark.parametrize(
    "color", ["#20c997", "#0d6efd", "#ffc107", "#6f42c1", "#dc3545", "#198754", "#ffffff", "#000000"]
)
def test_label_text_reaches_wcag_aa_contrast_on_its_colour(color):
    from customers.models import Label, relative_luminance

    text = Label(color=color).text_color
    darker, lighter = sorted([relative_luminance(color), relative_luminance(text)])
    assert (lighter + 0.05) / (darker + 0.05) >= 4.5
