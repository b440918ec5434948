import re
import threading
import uuid
from decimal import Decimal

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.urls import reverse

from companies.models import ExchangeRate
from orders.models import Order, Product
from quicklinks import services
from quicklinks.models import QuickLink
from tests.factories import make_customer

pytestmark = pytest.mark.usefixtures("in_company_a")


@pytest.fixture
def shop(world, settings):
    settings.SITE_URL = "https://crm.example.com"
    company = world.company_a
    ExchangeRate.objects.create(company=company, currency="USD", rate=Decimal("90"))
    customer = make_customer(company, name="Anna Smirnova", phones=["+79161234567"], discount_percent=Decimal("10"))
    link = services.issue_link(company, customer=customer, actor=world.owner_a)
    return {
        "company": company,
        "customer": customer,
        "link": link,
        "path": reverse("quicklinks:catalog", args=[services.token_for(link)]),
        "rose": Product.objects.create(company=company, name="Rose", price=Decimal("100"), currency="RUB"),
        "vase": Product.objects.create(company=company, name="Vase", price=Decimal("10"), currency="USD"),
        "old": Product.objects.create(company=company, name="Old card", price=1, currency="RUB", is_active=False),
    }


def test_the_token_is_long_signed_and_useless_with_another_secret(shop, settings):
    token = services.token_for(shop["link"])
    assert len(token.split("-", 1)[1]) >= 43  # 256 bits, base64
    assert services.link_for_token(token) == shop["link"]
    settings.SECRET_KEY = "a-different-server-secret"
    assert services.link_for_token(token) is None  # a database copy alone yields no working link


def test_the_url_is_built_from_the_site_url(shop):
    assert services.url_for(shop["link"]).startswith("https://crm.example.com/q/")


@pytest.mark.parametrize("token", ["", "abc", "1-", "x-yyyy", "999999-abc", "1-" + "a" * 43])
def test_unknown_or_forged_tokens_are_a_plain_404(shop, client, token):
    response = client.get(f"/q/{token}/") if token else client.get("/q/-/")
    assert response.status_code == 404
    body = response.content.decode()
    assert "no longer valid" in body and "Alpha Flowers" not in body


def test_regenerating_stops_the_old_link_and_revoking_stops_all(shop, client, world):
    old_path = shop["path"]
    link = services.regenerate_link(shop["company"], customer=shop["customer"], actor=world.owner_a)
    assert client.get(old_path).status_code == 404
    new_path = reverse("quicklinks:catalog", args=[services.token_for(link)])
    assert client.get(new_path).status_code == 200
    services.revoke_link(shop["company"], customer=shop["customer"], actor=world.owner_a)
    assert client.get(new_path).status_code == 404
    shop["customer"].refresh_from_db()
    assert shop["customer"].full_name == "Anna Smirnova"


def test_the_catalog_shows_personal_prices_and_sends_the_right_headers(shop, client):
    response = client.get(shop["path"])
    body = response.content.decode()
    assert "Alpha Flowers" in body and "Rose" in body and "Old card" not in body
    assert "90.00" in body and "810.00" in body  # 100 − 10 %; 10 USD × 90 − 10 %
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cache-Control"] == "private, no-store"
    assert "noindex" in response["X-Robots-Tag"]
    assert "script-src 'self'" in response["Content-Security-Policy"]


def test_the_whole_flow_places_an_order_priced_on_the_server(shop, client):
    cart = reverse("quicklinks:cart", args=[services.token_for(shop["link"])])
    client.post(cart, {"product": shop["rose"].pk, "quantity": 1, "mode": "add", "price": "0.01"})
    client.post(cart, {"product": shop["vase"].pk, "quantity": 2, "mode": "add"})
    client.post(cart, {"product": shop["rose"].pk, "quantity": 3})  # change the quantity
    client.post(cart, {"product": shop["vase"].pk, "quantity": 0})  # remove the line
    client.post(cart, {"product": shop["vase"].pk, "quantity": 1, "mode": "add"})
    checkout = reverse("quicklinks:checkout", args=[services.token_for(shop["link"])])
    key = checkout_key_on_the_page(client, shop)
    response = client.post(checkout, {"comment": "Ring first", "total": "1", "checkout_key": key})
    order = Order.objects.get(company=shop["company"])
    assert f"#{order.number}" in response.content.decode()
    assert order.source == Order.Source.QUICK_LINK and order.comment == "Ring first"
    assert order.total == Decimal("1080.00")  # 3 × 90 + 810
    assert sorted((i.name, i.quantity) for i in order.items.all()) == [("Rose", 3), ("Vase", 1)]
    # The same form sent again (a double click, a retry) shows the same order and places none.
    again = client.post(checkout, {"comment": "Ring first", "checkout_key": key})
    assert f"#{order.number}" in again.content.decode()
    # The cart is empty after checkout; checking out again places nothing.
    client.post(checkout, {})
    assert Order.objects.filter(company=shop["company"]).count() == 1


def checkout_key_on_the_page(client, shop) -> str:
    body = client.get(shop["path"]).content.decode()
    return re.search(r'name="checkout_key" value="([0-9a-f-]{36})"', body).group(1)


def test_a_cart_changed_since_the_page_was_opened_is_not_ordered(shop, client):
    cart = reverse("quicklinks:cart", args=[services.token_for(shop["link"])])
    client.post(cart, {"product": shop["rose"].pk, "quantity": 1, "mode": "add"})
    checkout = reverse("quicklinks:checkout", args=[services.token_for(shop["link"])])
    for stale in ("", "not-a-key", str(uuid.uuid4())):
        response = client.post(checkout, {"checkout_key": stale}, follow=True)
        assert "Your cart has changed since this page was opened" in response.content.decode()
    assert not Order.objects.exists()
    assert "Rose" in client.get(shop["path"]).content.decode()  # the cart is still there


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"product": "OLD", "quantity": 1, "mode": "add"}, "not available"),
        ({"product": "FOREIGN", "quantity": 1, "mode": "add"}, "not available"),
        ({"product": "ROSE", "quantity": -1, "mode": "add"}, "Enter a quantity"),
        ({"product": "ROSE", "quantity": 10001, "mode": "add"}, "Enter a quantity"),
        ({"product": "ROSE", "quantity": "lots", "mode": "add"}, "Enter a quantity"),
        ({"product": "ROSE", "quantity": 0, "mode": "add"}, "Enter a quantity"),
    ],
)
def test_bad_cart_input_is_refused(shop, client, world, data, message):
    foreign = Product.objects.create(company=world.company_b, name="Foreign", price=1, currency="RUB")
    ids = {"OLD": shop["old"].pk, "FOREIGN": foreign.pk, "ROSE": shop["rose"].pk}
    data = {**data, "product": ids[data["product"]]}
    response = client.post(reverse("quicklinks:cart", args=[services.token_for(shop["link"])]), data, follow=True)
    assert message in response.content.decode()
    assert "Your cart is empty" in response.content.decode()


def test_an_empty_cart_cannot_be_checked_out(shop, client):
    response = client.post(reverse("quicklinks:checkout", args=[services.token_for(shop["link"])]), follow=True)
    assert "An order needs at least one item" in response.content.decode()
    assert not Order.objects.exists()


def test_a_currency_without_a_rate_tells_the_customer_and_staff(shop, client, world):
    shop["customer"].preferred_currency = "EUR"
    shop["customer"].save()
    assert "not available right now" in client.get(shop["path"]).content.decode()
    panel = world.client_for(world.owner_a).get(
        reverse("quicklinks:panel", args=[shop["customer"].pk]), headers={"HX-Request": "true"}
    )
    assert "pays in EUR, which has no exchange rate" in panel.content.decode()


def test_get_changes_nothing(shop, client):
    before = (Order.objects.count(), QuickLink.objects.get().nonce)
    for _ in range(3):
        client.get(shop["path"])
    assert (Order.objects.count(), QuickLink.objects.get().nonce) == before
    assert client.get(reverse("quicklinks:checkout", args=[services.token_for(shop["link"])])).status_code == 405


def test_earlier_orders_show_and_repeat_into_the_cart(shop, client):
    from orders.services import Line, place_order

    order = place_order(
        shop["company"], customer=shop["customer"], lines=[Line(quantity=2, product_id=shop["rose"].pk)], source="staff"
    )
    other = make_customer(shop["company"], name="Other", phones=["+79031112233"])
    foreign_order = place_order(
        shop["company"], customer=other, lines=[Line(quantity=1, product_id=shop["rose"].pk)], source="staff"
    )
    token = services.token_for(shop["link"])
    assert f"#{order.number}" in client.get(shop["path"]).content.decode()
    response = client.post(reverse("quicklinks:repeat", args=[token, foreign_order.pk]), follow=True)
    assert "cannot be repeated" in response.content.decode()
    response = client.post(reverse("quicklinks:repeat", args=[token, order.pk]), follow=True)
    assert "are in your cart" in response.content.decode() and "180.00" in response.content.decode()


def test_requests_are_rate_limited_per_address_whatever_x_forwarded_for_says(shop, settings):
    settings.QUICKLINK_REQUESTS_PER_MINUTE = 3
    client = Client(REMOTE_ADDR="10.9.8.7")
    statuses = [client.get(shop["path"], HTTP_X_FORWARDED_FOR=f"1.2.3.{i}").status_code for i in range(5)]
    assert statuses == [200, 200, 200, 429, 429]
    refused = client.get(shop["path"])
    assert "Too many requests" in refused.content.decode()
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert f"{refused['Retry-After']} s" in refused.content.decode()
    assert Client(REMOTE_ADDR="10.9.8.8").get(shop["path"]).status_code == 200


def test_staff_generate_copy_regenerate_and_revoke_from_the_card(world, owner_client):
    customer = make_customer(world.company_a, name="Boris", phones=["+79031112233"])
    url = reverse("quicklinks:panel", args=[customer.pk])
    htmx = {"HX-Request": "true"}
    assert "Generate quick order link" in owner_client.get(url, headers=htmx).content.decode()
    shown = owner_client.post(url, {"action": "issue"}, headers=htmx).content.decode()
    link = QuickLink.objects.get(customer=customer)
    assert services.url_for(link) in shown
    assert services.url_for(link) in owner_client.get(url, headers=htmx).content.decode()  # seen again later
    owner_client.post(url, {"action": "regenerate"}, headers=htmx)
    assert services.link_for_token(services.token_for(link)) is None
    owner_client.post(url, {"action": "revoke"}, headers=htmx)
    assert not QuickLink.objects.get(customer=customer).is_active


def test_another_companys_customer_has_no_panel(world, b_client, shop):
    url = reverse("quicklinks:panel", args=[shop["customer"].pk])
    assert b_client.post(url, {"action": "regenerate"}, headers={"HX-Request": "true"}).status_code == 404
    assert services.link_for_token(services.token_for(shop["link"])) is not None


@pytest.mark.skipif(settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"), reason="needs PostgreSQL's row locks")
def test_five_simultaneous_checkouts_of_one_cart_place_one_order(transactional_db, shop, client):
    """A double click or a browser's retry sends the same cart again while the first is placed."""
    cart = reverse("quicklinks:cart", args=[services.token_for(shop["link"])])
    client.post(cart, {"product": shop["rose"].pk, "quantity": 2, "mode": "add"})
    key = checkout_key_on_the_page(client, shop)
    checkout = reverse("quicklinks:checkout", args=[services.token_for(shop["link"])])
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    start, answers = threading.Barrier(5), []

    def send():
        browser = Client()
        browser.cookies[settings.SESSION_COOKIE_NAME] = session
        start.wait()
        try:
            response = browser.post(checkout, {"checkout_key": key})
            answers.append((response.status_code, response.content.decode()))
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    order = Order.objects.get(company=shop["company"])
    assert order.items_count == 2
    assert [status for status, _body in answers] == [200] * 5
    assert all(f"#{order.number}" in body for _status, body in answers)
