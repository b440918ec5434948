"""Every URL of the project, requested by a user of company B with the ids of company A's objects.

The URL list comes from the resolver, so a new page is walked as soon as it exists. For each URL
the test sends a GET and a POST (with form data that names A's objects too) and asserts that
nothing of A's shows up in the response and nothing of A's has changed.
"""

import itertools
from decimal import Decimal

import pytest
from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, reverse

from audit.models import AuditEntry
from companies.models import ExchangeRate
from customers.models import (
    Customer,
    CustomerEmail,
    CustomerEvent,
    CustomerLabel,
    CustomerMerge,
    CustomerPhone,
    DuplicateCandidate,
    Label,
    Note,
)
from customers.services import add_note, flag_possible_duplicate, merge_customers
from exports.models import Export
from imports.models import Import, ImportChange, ImportIssue
from messaging.models import AutoMessage, Campaign, Message, MessageTemplate, MessagingSettings, PushSubscription
from orders.models import Category, Order, OrderItem, OrderLabel, OrderStatusChange, Product
from orders.services import Line, add_order_label, place_order
from segments.models import Segment
from tests.factories import LabelFactory, make_customer

SECRET = "ALPHASECRET"


def walk(patterns, namespace=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from walk(entry.url_patterns, inner)
        elif isinstance(entry, URLPattern) and entry.name:
            yield f"{namespace}{entry.name}", tuple(entry.pattern.regex.groupindex)


def all_url_names():
    return sorted(set(walk(get_resolver().url_patterns)), key=lambda item: item[0])


def snapshot(company):
    """Everything of company A a request could change, as plain values."""
    return {
        "company": list(type(company).objects.filter(pk=company.pk).values()),
        "memberships": list(company.memberships.values()),
        "customers": list(Customer.objects.filter(company=company).order_by("pk").values()),
        "phones": list(CustomerPhone.objects.filter(company=company).order_by("pk").values()),
        "emails": list(CustomerEmail.objects.filter(company=company).order_by("pk").values()),
        "labels": list(Label.objects.filter(company=company).order_by("pk").values()),
        "customer_labels": list(CustomerLabel.objects.filter(company=company).order_by("pk").values()),
        "notes": list(Note.objects.filter(company=company).order_by("pk").values()),
        "rates": list(ExchangeRate.objects.filter(company=company).order_by("pk").values()),
        "categories": list(Category.objects.filter(company=company).order_by("pk").values()),
        "products": list(Product.objects.filter(company=company).order_by("pk").values()),
        "orders": list(Order.objects.filter(company=company).order_by("pk").values()),
        "order_items": list(OrderItem.objects.filter(company=company).order_by("pk").values()),
        "order_labels": list(OrderLabel.objects.filter(company=company).order_by("pk").values()),
        "status_changes": list(OrderStatusChange.objects.filter(company=company).order_by("pk").values()),
        "segments": list(Segment.objects.filter(company=company).order_by("pk").values()),
        "duplicates": list(DuplicateCandidate.objects.filter(company=company).order_by("pk").values()),
        "merges": list(CustomerMerge.objects.filter(company=company).order_by("pk").values()),
        "events": list(CustomerEvent.objects.filter(company=company).order_by("pk").values()),
        "exports": list(Export.objects.filter(company=company).order_by("pk").values()),
        "imports": list(Import.objects.filter(company=company).order_by("pk").values()),
        "import_changes": list(ImportChange.objects.filter(company=company).order_by("pk").values()),
        "activity": list(AuditEntry.objects.filter(company=company).order_by("pk").values()),
        "campaigns": list(Campaign.objects.filter(company=company).order_by("pk").values()),
        "messages": list(Message.objects.filter(company=company).order_by("pk").values()),
        "messaging_settings": list(MessagingSettings.objects.filter(company=company).values()),
        "auto_messages": list(AutoMessage.objects.filter(company=company).values()),
        "templates": list(MessageTemplate.objects.filter(company=company).values()),
        "push_subscriptions": list(PushSubscription.objects.filter(company=company).values()),
    }


@pytest.fixture
def company_a_objects(world, in_company_a):
    # A's objects are made, and snapshot() reads them, in A's scope; B's requests open B's own.
    label = LabelFactory(company=world.company_a, name=f"{SECRET} label")
    customer = make_customer(
        world.company_a,
        name=f"{SECRET} customer",
        phones=["+79161234567"],
        emails=[f"{SECRET.lower()}@example.com"],
        labels=[label],
    )
    note = add_note(world.company_a, customer=customer, text=f"{SECRET} note", priority=2, actor=world.owner_a)
    rate = ExchangeRate.objects.create(company=world.company_a, currency="USD", rate=Decimal("90"))
    category = Category.objects.create(company=world.company_a, name=f"{SECRET} category")
    product = Product.objects.create(
        company=world.company_a, name=f"{SECRET} product", price=Decimal("10"), currency="USD", category=category
    )
    order = place_order(
        world.company_a,
        customer=customer,
        lines=[Line(quantity=1, product_id=product.pk)],
        source=Order.Source.STAFF,
        comment=f"{SECRET} comment",
    )
    add_order_label(world.company_a, order=order, label=label)
    segment = Segment.objects.create(
        company=world.company_a, name=f"{SECRET} segment", query=f"labels_mode=any&labels={label.pk}"
    )
    twin = make_customer(world.company_a, name=f"{SECRET} twin", phones=["+79161234500"])
    flag_possible_duplicate(
        world.company_a, first_id=customer.pk, second_id=twin.pk, reason=DuplicateCandidate.Reason.SAME_NAME
    )
    old_card = make_customer(world.company_a, name=f"{SECRET} old card", phones=["+79161234501"])
    merge_customers(world.company_a, target=twin, duplicate=old_card, actor=world.owner_a)
    export = Export.objects.create(
        company=world.company_a,
        requested_by=world.owner_a,
        email=world.owner_a.email,
        language="en",
        audience=Export.Audience.SEGMENT,
        segment=segment,
        query=segment.query,
        description=f"Segment {SECRET} segment",
        status=Export.Status.FAILED,
        error=f"{SECRET} error",
    )
    imported = Import.objects.create(
        company=world.company_a,
        requested_by=world.owner_a,
        language="en",
        original_name=f"{SECRET}.xlsx",
        headers=[f"{SECRET} header", "Phone"],
        preview=[[f"{SECRET} cell", "+79161234567"]],
        mapping=["full_name", "phone"],
        status=Import.Status.DONE,
    )
    ImportIssue.objects.create(company=world.company_a, source=imported, row=2, reason=f"{SECRET} reason")
    MessagingSettings.objects.create(company=world.company_a, email_sender=f"{SECRET} sender", quiet_hours=False)
    AutoMessage.objects.create(company=world.company_a, event="birthday", enabled=True, text=f"{SECRET} greeting")
    PushSubscription.objects.create(
        company=world.company_a, customer=customer, endpoint="https://push.example/a", p256dh="k", auth="a"
    )
    template = MessageTemplate.objects.create(company=world.company_a, name=f"{SECRET} template", text=f"{SECRET} text")
    campaign = Campaign.objects.create(
        company=world.company_a,
        channel="sms",
        text=f"{SECRET} campaign text",
        audience=Campaign.Audience.SEGMENT,
        segment=segment,
        query=segment.query,
        description=f"Segment {SECRET} segment",
        created_by=world.owner_a,
        status=Campaign.Status.PAUSED,
    )
    Message.objects.create(
        company=world.company_a,
        customer=customer,
        campaign=campaign,
        channel="sms",
        address="+79161234567",
        text=f"{SECRET} message text",
    )
    ImportChange.objects.create(company=world.company_a, source=imported, customer=customer, created=True)
    return {
        "campaign": campaign.pk,
        "template": template.pk,
        "import": imported.pk,
        "export": export.pk,
        "duplicate_pair": DuplicateCandidate.objects.get(company=world.company_a).pk,
        "merge": CustomerMerge.objects.get(company=world.company_a).pk,
        "twin": twin.pk,
        "segment": segment.pk,
        "product": product.pk,
        "category": category.pk,
        "order": order.pk,
        "rate": rate.pk,
        "customer": customer.pk,
        "label": label.pk,
        "note": note.pk,
        "phone": customer.phones.get().pk,
        "email": customer.emails.get().pk,
        "company": world.company_a.pk,
    }


FIRST_ID_OF_B = 10_000_000


def start_new_ids_at(first_id):
    """Moves every table's id counter to `first_id`, so rows B creates during the walk (its own
    product from POST /orders/products/new/, say) never take an id of A's objects. On SQLite ids
    restart after each test's rollback and are small, so without this B's new product got id 2 and
    GET /orders/products/2/ rightly showed B its own product, which read like a leak of A's."""
    with connection.cursor() as cursor:
        for sequence in connection.introspection.sequence_list():
            table = sequence["table"]
            if connection.vendor == "postgresql":
                cursor.execute(
                    "SELECT setval(pg_get_serial_sequence(%s, %s), %s)", [table, sequence["column"], first_id]
                )
            else:
                cursor.execute("DELETE FROM sqlite_sequence WHERE name = %s", [table])
                cursor.execute("INSERT INTO sqlite_sequence (name, seq) VALUES (%s, %s)", [table, first_id])


def candidate_values(param, ids):
    if param in {"app_label"}:
        return [config.label for config in apps.get_app_configs()]
    if param == "model_name":
        return [model._meta.model_name for model in apps.get_models()]
    if param in {"uidb64", "token"}:
        return ["MQ", "set-password"]
    if param == "content_type_id":
        return [ContentType.objects.get_for_model(Customer).pk]
    return sorted(set(ids.values()))


def urls_with_a_ids(name, params, ids):
    if not params:
        yield reverse(name)
        return
    found = False
    for values in itertools.product(*(candidate_values(p, ids) for p in params)):
        try:
            url = reverse(name, kwargs=dict(zip(params, values, strict=True)))
        except NoReverseMatch:
            continue
        found = True
        yield url
    assert found, f"the walk cannot build a URL for {name}({params}); teach candidate_values about it"


def test_the_walk_sees_the_customer_pages():
    names = {name for name, _params in all_url_names()}
    assert {
        "customers:list",
        "customers:detail",
        "customers:note_edit",
        "orders:detail",
        "orders:product_edit",
        "orders:category_edit",
        "orders:category_delete",
        "segments:rename",
        "customers:group_by",
        "dashboard:home",
    } <= names


def test_company_b_sees_and_changes_nothing_of_company_a(world, company_a_objects, b_client):
    assert max(company_a_objects.values()) < FIRST_ID_OF_B
    start_new_ids_at(FIRST_ID_OF_B)
    before = snapshot(world.company_a)
    post_data = {
        "label": company_a_objects["label"],
        "selected": [company_a_objects["customer"]],
        "action": "add",
        "all_matching": "1",
        "filter_query": "",
        "favourite": "1",
        "text": "changed by B",
        "priority": "0",
        "name": "changed by B",
        "color": "#000000",
        "full_name": "changed by B",
        "phones": ["+79161234567"],
        "company": company_a_objects["company"],
        "language": "ru",
        "status": "potential",
        "acquisition_channel": "manual",
        "discount_percent": "1",
        "sku": "changed",
        "category": company_a_objects["category"],
        "price": "1",
        "currency": "USD",
        "rate": "1",
        "lines-TOTAL_FORMS": "1",
        "lines-INITIAL_FORMS": "0",
        "lines-0-product": company_a_objects["product"],
        "lines-0-quantity": "1",
        "query": f"labels_mode=any&labels={company_a_objects['label']}",
        "direction": "up",
        "audience": "selection",
    }
    # Ids in the query string too: ?customer= on the order form and the orders list, ?label= on lists.
    # ... and ?labels= in a filter, ?segment= / ?current= naming A's segment.
    get_query = {
        "customer": company_a_objects["customer"],
        "label": company_a_objects["label"],
        "labels_mode": "any",
        "labels": company_a_objects["label"],
        "segment": company_a_objects["segment"],
        "current": company_a_objects["segment"],
        "by": "label",
        "category": company_a_objects["category"],
    }
    walked = 0
    for name, params in all_url_names():
        if name in {"logout"}:
            continue  # signing B out would end the walk early; it touches nothing of A's
        for url in urls_with_a_ids(name, params, company_a_objects):
            for method in ("get", "post"):
                response = getattr(b_client, method)(url, post_data if method == "post" else get_query)
                walked += 1
                body = response.content.decode(errors="replace")
                assert SECRET not in body and SECRET.lower() not in body, f"{method.upper()} {url} shows A's data"
                if params and any(p in {"pk", "label_pk"} for p in params):
                    assert response.status_code in {302, 404, 405}, f"{method.upper()} {url}: {response.status_code}"
                    if response.status_code == 302:
                        assert "/admin/" in response.url or "/login/" in response.url, f"{url} → {response.url}"
    assert snapshot(world.company_a) == before
    assert walked > 50
