from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from customers.models import Customer, CustomerLabel, Label, Note
from tests.factories import LabelFactory, make_customer

pytestmark = pytest.mark.usefixtures("in_company_a")

LIST = reverse("customers:list")


def customer_form(**overrides):
    data = {
        "full_name": "Boris Orlov",
        "phones": ["+7 916 111-22-33"],
        "emails": ["boris@example.com"],
        "status": "potential",
        "acquisition_channel": "manual",
        "discount_percent": "5",
        "sms_consent": "on",
    }
    data.update(overrides)
    return data


def test_the_list_shows_the_companys_customers_newest_first(world, owner_client):
    make_customer(world.company_a, name="Older", phones=["+79160000001"])
    make_customer(world.company_a, name="Newer", emails=["newer@example.com"])
    make_customer(world.company_b, name="Someone of B")
    page = owner_client.get(LIST).content.decode()
    assert page.index("Newer") < page.index("Older")
    assert "+7 916 000-00-01" in page
    assert "Someone of B" not in page
    assert "2 customers" in page


@pytest.mark.parametrize("term", ["+7 (916) 123", "8916123", "123-45", "916 123 45 67", "smirn", "anna@exa"])
def test_search_finds_by_phone_fragment_in_any_format_name_or_email(world, owner_client, customer_a, term):
    make_customer(world.company_a, name="Boris Orlov", phones=["+79031112233"])
    page = owner_client.get(LIST, {"q": term}).content.decode()
    assert "Anna Smirnova" in page
    assert "Boris Orlov" not in page


def test_a_too_short_search_says_so_next_to_the_field_and_does_not_filter(world, owner_client, customer_a):
    page = owner_client.get(LIST, {"q": "an"}).content.decode()
    assert "Type at least 3 letters or digits" in page
    assert "Anna Smirnova" in page


def test_htmx_search_returns_only_the_results_fragment(world, owner_client, customer_a):
    response = owner_client.get(LIST, {"q": "anna"}, headers={"HX-Request": "true"})
    assert "Anna Smirnova" in response.content.decode()
    assert "<nav" not in response.content.decode()


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("full_name", ["A", "B", "C"]),
        ("-orders_sum", ["B", "C", "A"]),
        ("orders_count", ["A", "C", "B"]),
        ("-last_order_at", ["C", "B", "A"]),
        ("created_at", ["A", "B", "C"]),
    ],
)
def test_the_list_sorts_by_name_figures_and_dates(world, owner_client, sort, expected):
    from datetime import timedelta

    from django.utils import timezone

    now = timezone.now()
    figures = {"A": (0, 0, None), "B": (5, 900, now - timedelta(days=9)), "C": (2, 300, now - timedelta(days=1))}
    for name, (count, total, last) in figures.items():
        customer = make_customer(world.company_a, name=name)
        Customer.objects.filter(pk=customer.pk).update(orders_count=count, orders_sum=total, last_order_at=last)
    page = owner_client.get(LIST, {"sort": sort}).content.decode()
    positions = [page.index(f">{name}</a>") for name in expected]
    assert positions == sorted(positions)


def test_page_size_is_20_by_default_and_50_on_request(world, owner_client):
    for i in range(55):
        make_customer(world.company_a, name=f"Customer {i:02d}")
    assert owner_client.get(LIST).content.decode().count('name="selected"') == 20
    assert owner_client.get(LIST, {"per_page": 50}).content.decode().count('name="selected"') == 50
    assert owner_client.get(LIST, {"per_page": 7}).content.decode().count('name="selected"') == 20
    assert "55 customers" in owner_client.get(LIST).content.decode()


def test_adding_a_customer_normalizes_contacts(world, owner_client):
    response = owner_client.post(reverse("customers:create"), customer_form())
    customer = Customer.objects.get(company=world.company_a)
    assert response.status_code == 302 and response.url == customer.get_absolute_url()
    assert [p.number for p in customer.phones.all()] == ["+79161112233"]
    card = owner_client.get(customer.get_absolute_url()).content.decode()
    assert "+7 916 111-22-33" in card and "boris@example.com" in card


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"phones": ["12"]}, "is not a valid phone number"),
        ({"phones": [f"+7 916 000 00 0{i}" for i in range(6)]}, "At most 5"),
        ({"emails": ["nope"]}, "is not a valid email address"),
        ({"full_name": "x" * 256}, "at most 255 characters"),
        ({"full_name": ""}, "This field is required"),
        ({"other_channels": "x" * 101}, "at most 100 characters"),
        ({"internal_note": "x" * 2001}, "at most 2000 characters"),
        ({"discount_percent": "150"}, "less than or equal to 100"),
        ({"tax_id": "12ab"}, "10 or 12 digits"),
    ],
)
def test_bad_input_shows_an_error_and_saves_nothing(world, owner_client, overrides, message):
    response = owner_client.post(reverse("customers:create"), customer_form(**overrides))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Customer.objects.exists()


def test_one_submit_reports_a_bad_phone_a_bad_email_and_a_bad_field_together(world, owner_client):
    response = owner_client.post(
        reverse("customers:create"), customer_form(phones=["12"], emails=["nope"], discount_percent="150")
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "is not a valid phone number" in page
    assert "“nope” is not a valid email address" in page
    assert "less than or equal to 100" in page
    assert not Customer.objects.exists()


def test_the_service_reports_a_bad_phone_and_a_bad_email_together(world):
    from django.core.exceptions import ValidationError

    from customers.services import create_customer

    with pytest.raises(ValidationError) as caught:
        create_customer(world.company_a, fields={"full_name": "X"}, phones=["12"], emails=["nope"])
    assert set(caught.value.message_dict) == {"phones", "emails"}


def test_a_phone_of_another_customer_is_refused_naming_them(world, owner_client, customer_a):
    response = owner_client.post(reverse("customers:create"), customer_form(phones=["89161234567"]))
    assert "already belongs to Anna Smirnova" in response.content.decode()
    assert Customer.objects.filter(company=world.company_a).count() == 1


def test_editing_a_customer_keeps_the_form_values_on_error(world, owner_client, customer_a):
    url = reverse("customers:edit", args=[customer_a.pk])
    assert "+7 916 123-45-67" in owner_client.get(url).content.decode()
    response = owner_client.post(url, customer_form(full_name="Anna S.", phones=["+7 916 123-45-67", "bad"]))
    assert "bad" in response.content.decode()
    customer_a.refresh_from_db()
    assert customer_a.full_name == "Anna Smirnova"
    response = owner_client.post(url, customer_form(full_name="Anna S.", phones=["+7 916 123-45-67"]))
    assert response.status_code == 302
    customer_a.refresh_from_db()
    assert customer_a.full_name == "Anna S."


def test_only_admins_delete_customers(world, owner_client, manager_client, customer_a):
    url = reverse("customers:delete", args=[customer_a.pk])
    response = manager_client.post(url)
    assert response.status_code == 403
    assert "Only owners and admins" in response.content.decode()
    assert Customer.objects.filter(pk=customer_a.pk).exists()
    assert owner_client.get(url).status_code == 200
    assert owner_client.post(url).status_code == 302
    assert not Customer.objects.filter(pk=customer_a.pk).exists()


def test_a_customer_with_orders_is_not_deleted_but_pointed_to_erasure(world, owner_client, customer_a):
    from decimal import Decimal

    from orders.models import Order, Product
    from orders.services import Line, place_order

    rose = Product.objects.create(company=world.company_a, name="Rose", price=Decimal("10"), currency="RUB")
    place_order(world.company_a, customer=customer_a, lines=[Line(quantity=1, product_id=rose.pk)], source="staff")
    url = reverse("customers:delete", args=[customer_a.pk])
    page = owner_client.get(url).content.decode()
    assert "This customer has 1 order, which stays in the books" in page
    assert reverse("customers:erase", args=[customer_a.pk]) in page and "Delete for good" not in page
    response = owner_client.post(url, follow=True)
    assert "Anna Smirnova has 1 order, which stays in the books: erase their personal data instead." in (
        response.content.decode()
    )
    assert Customer.objects.filter(pk=customer_a.pk).exists() and Order.objects.filter(customer=customer_a).exists()


def test_favourite_toggles_and_filters(world, owner_client, customer_a):
    make_customer(world.company_a, name="Not starred")
    response = owner_client.post(
        reverse("customers:favourite", args=[customer_a.pk]), {"favourite": "1"}, headers={"HX-Request": "true"}
    )
    assert "bi-star-fill" in response.content.decode()
    page = owner_client.get(LIST, {"favourite": "true"}).content.decode()
    assert "Anna Smirnova" in page and "Not starred" not in page


def test_label_on_the_card_and_in_the_list(world, owner_client, customer_a):
    wholesale = LabelFactory(company=world.company_a, name="Wholesale")
    owner_client.post(reverse("customers:label_add", args=[customer_a.pk]), {"label": wholesale.pk})
    assert "Wholesale" in owner_client.get(LIST).content.decode()
    page = owner_client.get(LIST, {"label": wholesale.pk}).content.decode()
    assert "Anna Smirnova" in page
    owner_client.post(reverse("customers:label_remove", args=[customer_a.pk, wholesale.pk]))
    assert not CustomerLabel.objects.filter(label=wholesale).exists()


def test_bulk_label_on_selected_rows(world, manager_client):
    label = LabelFactory(company=world.company_a)
    chosen = [make_customer(world.company_a, name=f"C{i}") for i in range(3)]
    response = manager_client.post(
        reverse("customers:bulk_label"), {"action": "add", "label": label.pk, "selected": [c.pk for c in chosen[:2]]}
    )
    assert response.status_code == 302
    assert CustomerLabel.objects.filter(label=label).count() == 2


def test_bulk_label_on_every_match_needs_an_admin_and_follows_the_filter(world, owner_client, manager_client):
    label = LabelFactory(company=world.company_a)
    make_customer(world.company_a, name="Anna One")
    make_customer(world.company_a, name="Anna Two")
    make_customer(world.company_a, name="Boris")
    data = {"action": "add", "label": label.pk, "all_matching": "1", "filter_query": "q=anna"}
    assert manager_client.post(reverse("customers:bulk_label"), data).status_code == 403
    assert not CustomerLabel.objects.exists()
    response = owner_client.post(reverse("customers:bulk_label"), data, follow=True)
    assert "added to 2 customers" in response.content.decode()
    assert CustomerLabel.objects.filter(label=label).count() == 2


def test_bulk_label_without_a_selection_explains(world, owner_client):
    label = LabelFactory(company=world.company_a)
    response = owner_client.post(reverse("customers:bulk_label"), {"action": "add", "label": label.pk}, follow=True)
    assert "Tick at least one customer" in response.content.decode()


def test_labels_create_rename_delete(world, owner_client, customer_a):
    url = reverse("customers:labels")
    owner_client.post(url, {"name": "Wholesale", "color": "#123456"})
    label = Label.objects.get(company=world.company_a, name="Wholesale")
    response = owner_client.post(url, {"name": "wholesale", "color": "#123456"})
    assert "already exists" in response.content.decode()
    response = owner_client.post(url, {"name": "Bad colour", "color": "red"})
    assert "#rrggbb" in response.content.decode()
    owner_client.post(reverse("customers:label_edit", args=[label.pk]), {"name": "Opt", "color": "#654321"})
    label.refresh_from_db()
    assert (label.name, label.color) == ("Opt", "#654321")
    owner_client.post(reverse("customers:label_delete", args=[label.pk]))
    assert not Label.objects.filter(pk=label.pk).exists()


def test_notes_add_edit_delete(world, manager_client, customer_a):
    manager_client.post(reverse("customers:note_add", args=[customer_a.pk]), {"text": "Call after 6", "priority": 2})
    note = Note.objects.get(customer=customer_a)
    assert note.author == world.manager_a
    card = manager_client.get(customer_a.get_absolute_url()).content.decode()
    assert "Call after 6" in card and "High" in card
    response = manager_client.post(reverse("customers:note_add", args=[customer_a.pk]), {"text": "", "priority": 0})
    assert response.status_code == 400 and "This field is required" in response.content.decode()
    manager_client.post(reverse("customers:note_edit", args=[note.pk]), {"text": "Call after 7", "priority": 1})
    note.refresh_from_db()
    assert (note.text, note.priority) == ("Call after 7", 1)
    assert "Delete this note?" in manager_client.get(reverse("customers:note_delete", args=[note.pk])).content.decode()
    manager_client.post(reverse("customers:note_delete", args=[note.pk]))
    assert not Note.objects.exists()


def test_the_card_shows_real_empty_states_for_later_tabs(world, owner_client, customer_a):
    card = owner_client.get(customer_a.get_absolute_url()).content.decode()
    for text in ["No reviews", "No points yet", "No notes yet"]:
        assert text in card
    messages = owner_client.get(reverse("messaging:customer", args=[customer_a.pk])).content.decode()
    assert "No messages yet" in messages


def test_a_post_without_csrf_token_is_refused(world, customer_a):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(world.owner_a)
    response = client.post(reverse("customers:create"), customer_form())
    assert response.status_code == 403
    assert Customer.objects.count() == 1


def test_the_list_query_count_does_not_grow_with_the_page_size(world, owner_client, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    labels = [LabelFactory(company=world.company_a) for _ in range(3)]
    for i in range(100):
        make_customer(
            world.company_a,
            name=f"C{i}",
            phones=[f"+7916{i:07d}"],
            emails=[f"c{i}@example.com"],
            labels=labels[: i % 3],
        )
    counts = {}
    for size in (20, 100):
        with CaptureQueriesContext(connection) as queries:
            assert owner_client.get(LIST, {"per_page": size}).status_code == 200
        counts[size] = len(queries)
    assert counts[20] == counts[100]
    with django_assert_max_num_queries(12):
        owner_client.get(LIST, {"per_page": 100, "q": "c1", "sort": "-orders_sum"})


def test_the_card_query_count_does_not_grow_with_notes_or_labels(world, owner_client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from customers.services import add_note

    counts = []
    for notes in (1, 15):
        labels = [LabelFactory(company=world.company_a) for _ in range(notes)]
        customer = make_customer(
            world.company_a, name=f"N{notes}", phones=["+7916000000" + str(notes % 10)], labels=labels
        )
        for i in range(notes):
            add_note(world.company_a, customer=customer, text=f"note {i}", priority=i % 3, actor=world.owner_a)
        with CaptureQueriesContext(connection) as queries:
            assert owner_client.get(customer.get_absolute_url()).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]


@pytest.mark.parametrize("sort", ["-created_at", "full_name", "-orders_sum", "-last_order_at", "last_order_at"])
def test_deep_pages_show_the_same_rows_as_a_plain_offset(world, owner_client, monkeypatch, sort):
    from django.core.paginator import Paginator

    from customers.tables import DeferredJoinPaginator

    for i in range(45):
        customer = make_customer(world.company_a, name=f"Customer {i:02d}")
        last_order = timezone.now() - timedelta(days=i % 4) if i % 3 else None  # ties and NULLs
        Customer.objects.filter(pk=customer.pk).update(orders_sum=i % 7, orders_count=i % 5, last_order_at=last_order)

    def names_on_page(page):
        html = owner_client.get(LIST, {"sort": sort, "page": page}).content.decode()
        return [n for n in (f"Customer {i:02d}" for i in range(45)) if f">{n}</a>" in html]

    with monkeypatch.context() as patch:
        patch.setattr(DeferredJoinPaginator, "page", Paginator.page)  # a plain OFFSET over the rows
        plain = [names_on_page(page) for page in (1, 2, 3)]
    # Ids from the index: page 2 from the front, page 3 (past the middle) from the far end.
    assert [names_on_page(page) for page in (1, 2, 3)] == plain
    assert sorted(name for page in plain for name in page) == [f"Customer {i:02d}" for i in range(45)]
