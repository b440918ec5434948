"""The list as two sections: current customers, and potential ones with the hottest leads first."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from customers.models import Customer
from customers.queries import leads_first
from tests.factories import make_customer

pytestmark = pytest.mark.usefixtures("in_company_a")

LIST = reverse("customers:list")


def _lead(company, name, temperature, days_ago=0, **fields):
    customer = make_customer(company, name=name, status="potential", temperature=temperature, **fields)
    Customer.objects.filter(pk=customer.pk).update(created_at=timezone.now() - timedelta(days=days_ago))
    return customer


def test_leads_come_hot_warm_cold_unrated_then_not_interested_newest_first(world):
    company = world.company_a
    _lead(company, "Cold", "cold")
    _lead(company, "Not interested", "not_interested")
    _lead(company, "Old hot", "hot", days_ago=5)
    _lead(company, "Unrated", "")
    _lead(company, "New hot", "hot")
    _lead(company, "Warm", "warm")
    names = list(leads_first(Customer.objects.filter(company=company)).values_list("full_name", flat=True))
    assert names == ["New hot", "Old hot", "Warm", "Cold", "Unrated", "Not interested"]


def test_the_two_sections_split_by_status_page_on_their_own_and_keep_the_filter(
    world, owner_client, django_assert_max_num_queries
):
    company = world.company_a
    for n in range(12):
        make_customer(company, name=f"Buyer {n:02d}", status="current", city="Tver" if n % 2 else "Omsk")
    _lead(company, "Lead warm", "warm", city="Tver")
    _lead(company, "Lead hot", "hot", city="Tver")
    _lead(company, "Lead elsewhere", "hot")

    with django_assert_max_num_queries(18):  # two sections of 7 queries each, and the request
        page = owner_client.get(LIST, {"view": "pipeline", "city": "Tver"}).content.decode()
    current, potential = page.split('data-testid="section-potential"')
    assert current.count("Buyer") == 6 and "Lead" not in current.split('data-testid="section-current"')[1]
    assert potential.index("Lead hot") < potential.index("Lead warm") and "Lead elsewhere" not in potential
    assert "Hot" in potential  # the temperature shows beside a lead's name
    assert 'data-testid="total-count">8 customers' in page
    assert "status=potential" in potential and "city=Tver" in potential  # "open as a list" keeps the filter

    everyone = owner_client.get(LIST, {"view": "pipeline"}).content.decode()
    assert "current-page=2" in everyone  # 12 current customers: two pages of 10, paged by their own parameter
    second = owner_client.get(LIST, {"view": "pipeline", "current-page": 2}).content.decode()
    first_current = second.split('data-testid="section-potential"')[0]
    assert first_current.count("Buyer") == 2 and "Lead hot" in second


def test_potential_and_hot_filters_show_the_most_promising_leads(world, owner_client):
    company = world.company_a
    _lead(company, "Warm lead", "warm")
    _lead(company, "Hot lead", "hot")
    make_customer(company, name="Hot buyer", status="current", temperature="hot")
    page = owner_client.get(LIST, {"status": "potential", "temperature": "hot"}).content.decode()
    assert "Hot lead" in page and "Warm lead" not in page and "Hot buyer" not in page
    assert "Status: Potential; Temperature: Hot" in page
