from decimal import Decimal

import pytest
from django.urls import reverse
from django_scopes import scope

from customers import duplicates
from customers.models import Customer, CustomerEmail, CustomerMerge, CustomerPhone, DuplicateCandidate
from customers.services import flag_possible_duplicate
from orders.models import Order, Product
from orders.services import Line, place_order
from tests.factories import make_customer

pytestmark = pytest.mark.usefixtures("in_company_a")


def _pair(company, first, second, reason=DuplicateCandidate.Reason.SAME_NAME):
    flag_possible_duplicate(company, first_id=first.pk, second_id=second.pk, reason=reason)
    return DuplicateCandidate.objects.get(company=company, first=min(first.pk, second.pk))


def _legacy_phone(customer, number):
    """A number saved as it came, before phones were normalized with the company's region."""
    CustomerPhone.objects.create(company=customer.company, customer=customer, number=number)
    return customer


def test_the_scan_finds_phones_in_another_format_and_emails_in_other_letters(world):
    company = world.company_a
    anna = make_customer(company, name="Anna Smirnova", phones=["+79161234567"])
    # Saved before the company's region was set right: same number, another country code.
    anna_again = _legacy_phone(make_customer(company, name="anna smirnova "), "+19161234567")
    boris = make_customer(company, name="Boris", phones=["+79035550000"])
    shop = _legacy_phone(make_customer(company, name="Flower shop"), "+49035550000")
    vera = make_customer(company, name="Vera", emails=["vera@example.com"])
    vera_old = make_customer(company, name="V. Ivanova")
    CustomerEmail.objects.create(company=company, customer=vera_old, email="Vera@Example.com ")  # pre-normalization
    make_customer(world.company_b, name="Anna Smirnova", phones=["+79161234567"])  # another company: not a pair

    assert duplicates.scan(company) == 3
    found = {(p.first_id, p.second_id): p.reason for p in DuplicateCandidate.objects.filter(company=company)}
    assert found == {
        (anna.pk, anna_again.pk): DuplicateCandidate.Reason.SAME_NAME,
        (boris.pk, shop.pk): DuplicateCandidate.Reason.SAME_PHONE,
        (vera.pk, vera_old.pk): DuplicateCandidate.Reason.SAME_EMAIL,
    }
    DuplicateCandidate.objects.filter(first=boris).update(dismissed_at="2026-11-01T00:00Z")
    assert duplicates.scan(company) == 0  # known pairs, dismissed ones included, are not found again
    assert set(duplicates.open_pairs(company).values_list("first_id", flat=True)) == {vera.pk, anna.pk}


def test_the_nightly_scan_runs_each_company_in_its_own_scope(world):
    from companies.middleware import no_tenant_scope
    from companies.models import Company
    from customers.tasks import scan_duplicates_everywhere

    Company.objects.filter(pk__in=[world.company_a.pk, world.company_b.pk]).update(plan=Company.Plan.PAID)
    for company in (world.company_a, world.company_b):
        with scope(company=company):
            make_customer(company, name="Vera", emails=["vera@example.com"])
            vera_old = make_customer(company, name="V. Ivanova")
            CustomerEmail.objects.create(company=company, customer=vera_old, email="Vera@Example.com ")
    with no_tenant_scope():  # as celery beat runs it: the task opens each company's scope itself
        scan_duplicates_everywhere()
    assert DuplicateCandidate.objects.filter(company=world.company_a).count() == 1
    with scope(company=world.company_b):
        assert DuplicateCandidate.objects.filter(company=world.company_b).count() == 1


def test_a_placeholder_number_on_many_cards_is_not_a_pair(world):
    company = world.company_a
    for n in range(duplicates.MAX_GROUP + 1):
        customer = make_customer(company, name=f"Walk-in {n}")
        CustomerPhone.objects.create(company=company, customer=customer, number=f"+{n + 1}0000000000")
    assert duplicates.scan(company) == 0


def test_the_duplicates_page_lists_pairs_and_the_scan_button_runs_a_scan(
    world, owner_client, django_assert_max_num_queries
):
    company = world.company_a
    empty = owner_client.get(reverse("customers:duplicates")).content.decode()
    assert "No possible duplicates" in empty
    for n in range(5):
        make_customer(company, name=f"Client {n}", phones=[f"+7916000000{n}"])
        _legacy_phone(make_customer(company, name=f"Client {n}"), f"+1916000000{n}")
    response = owner_client.post(reverse("customers:duplicate_scan"), follow=True)
    assert "The search for duplicates has started" in response.content.decode()
    with django_assert_max_num_queries(8):
        page = owner_client.get(reverse("customers:duplicates")).content.decode()
    assert page.count("Compare and merge") == 5


@pytest.fixture
def pair_with_orders(world):
    company = world.company_a
    rose = Product.objects.create(company=company, name="Rose", price=Decimal("100"), currency="RUB")
    anna = make_customer(company, name="Anna", phones=["+79160000001"], city="Moscow")
    twin = make_customer(company, name="Anna Smirnova", emails=["anna@example.com"], city="Tver")
    for customer in (anna, twin):
        place_order(company, customer=customer, lines=[Line(quantity=1, product_id=rose.pk)], source="staff")
    return anna, twin, _pair(company, anna, twin)


def test_staff_compare_a_pair_choose_values_and_merge(world, manager_client, pair_with_orders):
    anna, twin, pair = pair_with_orders
    url = reverse("customers:duplicate_pair", args=[pair.pk])
    page = manager_client.get(url).content.decode()
    assert 'data-conflict="full_name"' in page and 'data-conflict="city"' in page and "Tver" in page

    response = manager_client.post(url, {"survivor": twin.pk, "full_name": twin.pk, "city": anna.pk})
    assert response.status_code == 302 and response["Location"] == twin.get_absolute_url()
    survivor = Customer.objects.get(pk=twin.pk)
    assert (survivor.full_name, survivor.city, survivor.orders_count) == ("Anna Smirnova", "Moscow", 2)
    assert not Customer.objects.filter(pk=anna.pk).exists()
    assert Order.objects.filter(customer=survivor).count() == 2
    assert manager_client.get(url).status_code == 404  # the pair went with the merge

    card = manager_client.get(reverse("customers:timeline", args=[twin.pk])).content.decode()
    assert "Undo the merge" in card
    merge = CustomerMerge.objects.get(survivor=twin)
    response = manager_client.post(reverse("customers:merge_undo", args=[merge.pk]), follow=True)
    assert "is back as a separate customer" in response.content.decode()
    assert Customer.objects.get(pk=anna.pk).orders_count == 1
    assert "Undo the merge" not in manager_client.get(reverse("customers:timeline", args=[twin.pk])).content.decode()
    again = manager_client.post(reverse("customers:merge_undo", args=[merge.pk]), follow=True)
    assert "already been undone" in again.content.decode()


@pytest.mark.parametrize(
    "data",
    [{}, {"survivor": "999999"}, {"survivor": "abc"}],
    ids=["nothing chosen", "a customer not of the pair", "not a number"],
)
def test_a_bad_merge_form_says_what_is_wrong_and_merges_nothing(world, owner_client, pair_with_orders, data):
    anna, twin, pair = pair_with_orders
    response = owner_client.post(reverse("customers:duplicate_pair", args=[pair.pk]), data)
    assert response.status_code == 200
    assert response.context["form"].errors["survivor"], response.context["form"].errors
    assert Customer.objects.filter(pk__in=[anna.pk, twin.pk]).count() == 2


def test_a_pair_marked_not_a_duplicate_leaves_the_list(world, owner_client, pair_with_orders):
    _anna, _twin, pair = pair_with_orders
    response = owner_client.post(reverse("customers:duplicate_dismiss", args=[pair.pk]), follow=True)
    assert "are marked as different people" in response.content.decode()
    pair.refresh_from_db()
    assert pair.dismissed_at and pair.dismissed_by == world.owner_a
    assert "No possible duplicates" in owner_client.get(reverse("customers:duplicates")).content.decode()
