"""List comfort: previous/next on a card opened from a filtered list, and each user's columns."""

from decimal import Decimal
from urllib.parse import quote

import pytest
from django.urls import reverse

from customers.models import Customer
from tests.factories import make_customer

pytestmark = pytest.mark.usefixtures("in_company_a")

LIST = reverse("customers:list")


def _card(client, customer, back):
    return client.get(customer.get_absolute_url(), {"back": back}).content.decode()


def test_previous_and_next_walk_the_filtered_sorted_list(world, owner_client):
    company = world.company_a
    made = {}
    for name, city, total in (("Anna", "Tver", 30), ("Boris", "Omsk", 20), ("Vera", "Tver", 20), ("Gleb", "Tver", 10)):
        made[name] = make_customer(company, name=name, city=city)
        Customer.objects.filter(pk=made[name].pk).update(orders_sum=Decimal(total))

    listing = owner_client.get(LIST, {"city": "Tver", "sort": "-orders_sum"}).content.decode()
    back = "city=Tver&sort=-orders_sum"
    assert f'href="{made["Vera"].get_absolute_url()}?back={quote(back, safe="")}"' in listing

    # Tver by orders sum, largest first: Anna 30, Vera 20, Gleb 10 (Boris is in Omsk).
    card = _card(owner_client, made["Vera"], back)
    walk = card.split('data-testid="walk"')[1].split("</nav>")[0]
    assert 'title="Anna"' in walk and 'title="Gleb"' in walk
    assert f'href="{LIST}?city=Tver&amp;sort=-orders_sum"' in card  # back to the same list
    first = _card(owner_client, made["Anna"], back).split('data-testid="walk"')[1].split("</nav>")[0]
    assert 'rel="prev"' not in first and 'title="Vera"' in first

    # Equal sums are told apart by id; ascending order walks the other way.
    by_name = _card(owner_client, made["Boris"], "sort=full_name").split('data-testid="walk"')[1].split("</nav>")[0]
    assert 'title="Anna"' in by_name and 'title="Gleb"' in by_name


def test_a_walk_from_a_bad_or_unwalkable_list_shows_no_neighbours(world, owner_client):
    anna = make_customer(world.company_a, name="Anna")
    make_customer(world.company_a, name="Boris")
    for back in ("added_from=not-a-date", "sort=-last_order_at", "sort=nonsense"):
        walk = _card(owner_client, anna, back).split('data-testid="walk"')[1].split("</nav>")[0]
        assert 'rel="prev"' not in walk and 'rel="next"' not in walk, back


def test_each_user_chooses_the_columns_and_their_order(world, owner_client, manager_client):
    make_customer(world.company_a, name="Anna", phones=["+79160000001"], city="Tver")
    url = reverse("customers:columns")
    response = owner_client.post(url, {"columns": ["city", "orders_count", "phone"], "next": f"{LIST}?q=ann"})
    assert response["Location"] == f"{LIST}?q=ann"

    page = owner_client.get(LIST).content.decode()
    head = page.split("<thead")[1].split("</thead>")[0]
    assert head.index("City") < head.index("Orders") < head.index("Phone")
    assert "Email" not in head and "Labels" not in head and "Full name" in head
    assert ">Tver<" in page
    # The manager's list is their own: still the default columns.
    manager_head = manager_client.get(LIST).content.decode().split("<thead")[1].split("</thead>")[0]
    assert "Email" in manager_head and "City" not in manager_head


def test_bad_column_choices_change_nothing(world, owner_client):
    make_customer(world.company_a, name="Anna", phones=["+79160000001"])
    url = reverse("customers:columns")
    owner_client.post(url, {"columns": ["city"]})
    for data in ({"columns": ["password"]}, {}, {"columns": ["city"], "next": "https://evil.example/"}):
        response = owner_client.post(url, data, follow=True)
        assert response.redirect_chain[-1][0].startswith(LIST)
    head = owner_client.get(LIST).content.decode().split("<thead")[1].split("</thead>")[0]
    assert "City" in head and "Phone" not in head
    messages = owner_client.post(url, {"columns": ["password"]}, follow=True).content.decode()
    assert "Unknown columns: password." in messages
