"""The quick order link's catalog at real size: category tabs, search, paging, thumbnails, a cart
that works from any page, and a fixed number of queries whatever the number of products."""

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from orders import services as order_services
from orders.models import Product
from quicklinks import services
from tests.factories import make_customer

pytestmark = pytest.mark.usefixtures("in_company_a")


@pytest.fixture
def catalog(world):
    company = world.company_a
    customer = make_customer(company, name="Anna Smirnova", phones=["+79161234567"], preferred_language="en")
    link = services.issue_link(company, customer=customer, actor=world.owner_a)
    roses = order_services.create_category(company, name="Roses", position=1)
    vases = order_services.create_category(company, name="Vases", position=2)
    empty = order_services.create_category(company, name="Nothing on sale", position=0)
    products = [
        Product(
            company=company,
            name=f"Item {i:02d}",
            sku=f"SKU-{i:02d}",
            price=Decimal("1000") + i,
            currency="RUB",
            category=(roses, vases, None)[i % 3],
            thumbnail=f"products/2026/12/{i}-thumb.webp",
            thumbnail_width=320,
            thumbnail_height=240,
        )
        for i in range(60)
    ]
    products.append(Product(company=company, name="Хризантема белая", sku="XR-1", price=500, currency="RUB"))
    products.append(Product(company=company, name="Off sale", price=1, currency="RUB", category=empty, is_active=False))
    Product.objects.bulk_create(products)
    token = services.token_for(link)
    return {
        "token": token,
        "url": reverse("quicklinks:catalog", args=[token]),
        "cart": reverse("quicklinks:cart", args=[token]),
        "roses": roses,
        "vases": vases,
        "empty": empty,
    }


def names_on(body: str) -> list[str]:
    return re.findall(r'<h2 class="h6 mb-1">([^<]+)</h2>', body)


def test_the_catalog_pages_through_24_products_at_a_time(catalog, client):
    first = client.get(catalog["url"]).content.decode()
    assert names_on(first)[:2] == ["Item 00", "Item 01"] and len(names_on(first)) == 24
    assert "Page 1 of 3" in first and 'href="?page=2#catalog"' in first
    third = client.get(catalog["url"], {"page": 3}).content.decode()
    assert names_on(third) == [*(f"Item {i}" for i in range(48, 60)), "Хризантема белая"]
    assert names_on(client.get(catalog["url"], {"page": "999"}).content.decode()) == names_on(third)


def test_thumbnails_are_lazy_with_their_size_and_a_text(catalog, client):
    body = client.get(catalog["url"]).content.decode()
    img = re.search(r'<img src="/media/products/2026/12/0-thumb.webp"[^>]*>', body).group(0)
    assert 'loading="lazy"' in img and 'width="320"' in img and 'height="240"' in img and 'alt="Item 00"' in img
    assert "http://" not in body and "https://" not in body  # nothing from other sites


def test_category_tabs_filter_and_keep_the_search(catalog, client):
    body = client.get(catalog["url"]).content.decode()
    tabs = re.findall(r'class="nav-link[^"]*"[^>]*>([^<]+)</a>', body)
    assert tabs == ["All", "Roses", "Vases"]  # by position; a category with nothing on sale is not shown
    roses = client.get(catalog["url"], {"category": catalog["roses"].pk}).content.decode()
    assert names_on(roses)[:3] == ["Item 00", "Item 03", "Item 06"] and "Page 1 of 1" not in roses
    assert len(names_on(roses)) == 20
    searched = client.get(catalog["url"], {"category": catalog["roses"].pk, "q": "item 1"}).content.decode()
    assert names_on(searched) == ["Item 12", "Item 15", "Item 18"]
    assert f'href="?category={catalog["vases"].pk}&amp;q=item+1#catalog"' in searched  # switching keeps the search
    assert f'name="category" value="{catalog["roses"].pk}"' in searched  # searching keeps the category


def test_an_unknown_or_foreign_category_shows_everything_and_nothing_foreign(catalog, client, world):
    foreign = order_services.create_category(world.company_b, name="Beta secret")
    Product.objects.create(company=world.company_b, name="Beta thing", price=1, currency="RUB", category=foreign)
    for value in (foreign.pk, "abc", catalog["empty"].pk):
        body = client.get(catalog["url"], {"category": value}).content.decode()
        assert "Beta" not in body and "Off sale" not in body
    assert len(names_on(client.get(catalog["url"], {"category": foreign.pk}).content.decode())) == 24


def test_search_finds_by_name_or_sku_in_any_case_and_alphabet(catalog, client):
    assert names_on(client.get(catalog["url"], {"q": "хризантема"}).content.decode()) == ["Хризантема белая"]
    assert names_on(client.get(catalog["url"], {"q": "sku-4"}).content.decode()) == [f"Item 4{i}" for i in range(10)]
    body = client.get(catalog["url"], {"q": "no such thing"}).content.decode()
    assert names_on(body) == [] and "Nothing matches" in body
    paged = client.get(catalog["url"], {"q": "item", "page": 2}).content.decode()
    assert "Page 2 of 3" in paged and 'href="?q=item&amp;page=3#catalog"' in paged


def test_an_htmx_search_returns_the_results_alone(catalog, client):
    response = client.get(catalog["url"], {"q": "XR"}, headers={"HX-Request": "true"})
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="catalog-results">') and "<html" not in body
    assert names_on(body) == ["Хризантема белая"]
    restore = {"HX-Request": "true", "HX-History-Restore-Request": "true"}
    assert "<html" in client.get(catalog["url"], {"q": "XR"}, headers=restore).content.decode()


def test_adding_from_page_two_comes_back_to_it_and_the_cart_counts_items(catalog, client):
    product = Product.objects.get(name="Item 30")
    response = client.post(
        catalog["cart"], {"product": product.pk, "quantity": "3", "mode": "add", "back": "q=item&page=2&evil=1"}
    )
    assert response.url == f"{catalog['url']}?q=item&page=2#product-{product.pk}"
    body = client.get(response.url).content.decode()
    assert "Item 30" in re.search(r'id="cart".*?</ul>', body, re.S).group(0)
    sticky = re.search(r'data-testid="sticky-cart".*?</a>', body, re.S).group(0)
    assert "3 items" in sticky and "RUB\xa03,090.00" in sticky  # 3 × 1,030
    # Changing the quantity in the cart also stays on the same page.
    response = client.post(catalog["cart"], {"product": product.pk, "quantity": "1", "back": "q=item&page=2"})
    assert response.url == f"{catalog['url']}?q=item&page=2#cart"
    assert (
        'data-testid="sticky-cart"'
        not in client.get(client.post(catalog["cart"], {"product": product.pk, "quantity": "0"}).url).content.decode()
    )  # an empty cart has no button


def test_the_sticky_total_is_in_the_customers_language(catalog, client, world):
    customer = make_customer(world.company_a, name="Boris", phones=["+79031112233"], preferred_language="ru")
    link = services.issue_link(world.company_a, customer=customer, actor=world.owner_a)
    cart = reverse("quicklinks:cart", args=[services.token_for(link)])
    client.post(cart, {"product": Product.objects.get(name="Item 30").pk, "quantity": "2", "mode": "add"})
    body = client.get(reverse("quicklinks:catalog", args=[services.token_for(link)])).content.decode()
    sticky = re.search(r'data-testid="sticky-cart".*?</a>', body, re.S).group(0)
    assert "2\xa0060,00\xa0₽" in sticky


@pytest.mark.parametrize("query", [{}, {"page": 2}, {"page": 3}, {"q": "item", "page": 2}])
def test_a_catalog_page_takes_a_fixed_number_of_queries(catalog, client, django_assert_max_num_queries, query):
    client.post(catalog["cart"], {"product": Product.objects.get(name="Item 01").pk, "quantity": 1, "mode": "add"})
    with django_assert_max_num_queries(14):
        response = client.get(catalog["url"], {**query, "category": catalog["vases"].pk} if "q" in query else query)
    assert len(names_on(response.content.decode())) >= 1
