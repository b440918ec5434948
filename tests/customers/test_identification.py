import pytest
from django.core.exceptions import ValidationError
from django_scopes import scope

from customers.models import Customer, CustomerPhone, DuplicateCandidate
from customers.services import find_or_create_customer
from tests.factories import make_customer

pytestmark = pytest.mark.usefixtures("in_company_a")


@pytest.fixture
def company(world):
    return world.company_a


def test_a_new_phone_creates_a_customer_with_the_phone_normalized(company):
    customer, created = find_or_create_customer(company, name="Oleg", phones=["8 (916) 555-00-11"], source="order")
    assert created
    assert customer.full_name == "Oleg"
    assert customer.acquisition_channel == "order"
    assert list(customer.phones.values_list("number", flat=True)) == ["+79165550011"]


def test_a_known_phone_in_another_format_finds_the_same_customer(company):
    first, _ = find_or_create_customer(company, name="Oleg", phones=["+79165550011"])
    again, created = find_or_create_customer(company, name="O.", phones=["8 916 555 00 11"])
    assert not created
    assert again.pk == first.pk
    assert Customer.objects.filter(company=company).count() == 1


def test_a_known_email_in_other_case_finds_the_customer_and_adds_the_new_phone(company):
    first, _ = find_or_create_customer(company, name="Oleg", emails=["Oleg@Example.com"])
    again, created = find_or_create_customer(company, phones=["+79165550011"], emails=["oleg@example.COM"])
    assert not created and again.pk == first.pk
    assert list(again.phones.values_list("number", flat=True)) == ["+79165550011"]
    assert "79165550011" in Customer.objects.get(pk=first.pk).search_document


def test_contacts_matching_two_customers_pick_the_phone_match_and_flag_a_duplicate(company):
    by_phone = make_customer(company, name="By phone", phones=["+79160000001"])
    by_email = make_customer(company, name="By email", emails=["x@example.com"])
    found, created = find_or_create_customer(company, phones=["+79160000001"], emails=["x@example.com"])
    assert not created and found.pk == by_phone.pk
    pair = DuplicateCandidate.objects.get(company=company)
    assert {pair.first_id, pair.second_id} == {by_phone.pk, by_email.pk}
    assert pair.reason == DuplicateCandidate.Reason.IDENTIFICATION
    assert Customer.objects.filter(company=company).count() == 2


def test_the_same_phone_in_another_company_is_another_customer(world):
    a, _ = find_or_create_customer(world.company_a, name="A", phones=["+79160000001"])
    with scope(company=world.company_b):
        b, created = find_or_create_customer(world.company_b, name="B", phones=["+79160000001"])
        assert CustomerPhone.objects.filter(number="+79160000001").count() == 1
    assert created and a.pk != b.pk
    assert CustomerPhone.objects.filter(number="+79160000001").count() == 1


def test_identification_without_contacts_or_with_a_bad_phone_is_refused_and_creates_nothing(company):
    with pytest.raises(ValidationError):
        find_or_create_customer(company, name="Nobody")
    with pytest.raises(ValidationError) as error:
        find_or_create_customer(company, name="Bad", phones=["12345"])
    assert "phones" in error.value.message_dict
    assert not Customer.objects.filter(company=company).exists()


def test_a_customer_without_a_name_is_named_after_the_contact(company):
    customer, _ = find_or_create_customer(company, emails=["noname@example.com"])
    assert customer.full_name == "noname@example.com"


def test_identification_works_inside_the_company_scope(company):
    with scope(company=company):
        customer, created = find_or_create_customer(company, phones=["+79160000009"])
        assert created
        assert Customer.objects.get(pk=customer.pk).pk == customer.pk
