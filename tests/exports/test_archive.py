"""Data portability: an owner takes all the company's data as one zip (the customers' workbook,
every table as JSON Lines, a README), built by the export task and delivered like an export.
The zip is opened back and read line by line."""

import io
import json
import zipfile
from decimal import Decimal

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_scopes import scope
from openpyxl import load_workbook

from customers.services import add_note
from exports import archive, services
from exports.models import Export
from orders.models import Product
from orders.services import Line, place_order
from segments.models import Segment
from tests.factories import LabelFactory, make_customer

ARCHIVE = reverse("exports:archive")


@pytest.fixture
def shop(world):
    """Company A with a customer of every kind of row; company B with one it must not leak."""
    company = world.company_a
    with scope(company=company):
        vip = LabelFactory(company=company, name="VIP")
        rose = Product.objects.create(company=company, name="Rose", price=Decimal("1234.56"), currency="RUB")
        anna = make_customer(company, name="Anna", phones=["+79161234567"], emails=["anna@example.com"], labels=[vip])
        place_order(company, customer=anna, lines=[Line(quantity=3, product_id=rose.pk)], source="staff")
        add_note(company, customer=anna, text="Prefers white roses", priority=1, actor=world.owner_a)
        Segment.objects.create(company=company, owner=world.owner_a, name="Loyal", query="labels=1")
    make_customer(world.company_b, name="Secret Beta Customer", phones=["+79160000000"])
    return anna


def take_archive(client, django_capture_on_commit_callbacks) -> Export:
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(ARCHIVE)
    assert response.status_code == 302
    with scope(company=response.wsgi_request.company):
        export = Export.objects.latest("pk")
    assert response["Location"] == export.get_absolute_url()
    export.refresh_from_db()
    return export


def open_zip(client, export: Export) -> zipfile.ZipFile:
    response = client.get(export.get_download_url())
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="company-data-')
    assert response["Content-Disposition"].endswith('.zip"')
    assert response["Cache-Control"] == "private, no-store"
    return zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))


def lines_of(zipped: zipfile.ZipFile, name: str) -> list[dict]:
    return [json.loads(line) for line in zipped.read(f"{name}.jsonl").decode().splitlines()]


def test_an_owner_takes_every_table_of_the_company_in_one_zip(
    world, shop, owner_client, django_capture_on_commit_callbacks, settings
):
    export = take_archive(owner_client, django_capture_on_commit_callbacks)

    assert export.status == Export.Status.DONE, export.error
    assert export.audience == Export.Audience.ARCHIVE
    [message] = mail.outbox
    assert message.subject == "Your company data is ready"
    assert settings.SITE_URL + export.get_download_url() in message.body
    zipped = open_zip(owner_client, export)
    names = set(zipped.namelist())
    assert {"README.txt", "customers.xlsx"} | {f"{table.name}.jsonl" for table in archive.TABLES} == names

    [customer] = lines_of(zipped, "customers")
    assert customer["id"] == shop.pk and customer["full_name"] == "Anna"
    assert [p["number"] for p in lines_of(zipped, "customer_phones")] == ["+79161234567"]
    assert [e["email"] for e in lines_of(zipped, "customer_emails")] == ["anna@example.com"]
    [note] = lines_of(zipped, "notes")
    assert note["text"] == "Prefers white roses" and note["author_email"] == "owner@a.example"
    assert note["customer_id"] == shop.pk
    [order] = lines_of(zipped, "orders")
    [item] = lines_of(zipped, "order_items")
    assert item["order_id"] == order["id"] and Decimal(item["unit_price"]) == Decimal("1234.56")
    assert Decimal(order["total"]) == Decimal("3703.68")  # exact, as a decimal string
    assert "Loyal" in [s["name"] for s in lines_of(zipped, "segments")]
    assert lines_of(zipped, "customer_history")  # the card's history came along
    assert all("company_id" not in row for row in lines_of(zipped, "customers"))

    sheet = load_workbook(io.BytesIO(zipped.read("customers.xlsx"))).worksheets[0]
    assert "Anna" in [cell.value for cell in sheet[2]]
    assert "customer_phones.jsonl" in zipped.read("README.txt").decode()
    everything = b"".join(zipped.read(name) for name in names if name.endswith(".jsonl"))
    assert b"Secret Beta Customer" not in everything and b"+79160000000" not in everything
    assert export.rows_written == export.rows_total > 8


def test_only_owners_take_the_archive(world, shop, django_capture_on_commit_callbacks):
    admin = world.client_for(world.admin_a)
    response = admin.post(ARCHIVE, follow=True)
    assert "Only owners can download all the company" in response.content.decode()
    with scope(company=world.company_a):
        assert not Export.objects.exists()
    # An owner's archive is not an admin's to download, even with its link.
    export = take_archive(world.client_for(world.owner_a), django_capture_on_commit_callbacks)
    assert admin.get(export.get_download_url()).status_code == 403
    assert "archive-card" not in admin.get(reverse("exports:list")).content.decode()


def test_the_customer_list_cannot_ask_for_an_archive(world, shop):
    admin = world.client_for(world.owner_a)
    response = admin.post(reverse("exports:create"), {"audience": "archive"}, follow=True)
    assert "Choose what to export." in response.content.decode()
    with scope(company=world.company_a):
        assert not Export.objects.exists()


def test_the_archive_reads_a_fixed_number_of_queries_whatever_the_rows(world, shop):
    counts = []
    with scope(company=world.company_a):
        for extra in (0, 20):
            for n in range(extra):
                make_customer(world.company_a, name=f"More {n}", phones=[f"+79165550{n:03d}"])
            export = services.request_archive(world.company_a, user=world.owner_a)
            with CaptureQueriesContext(connection) as queries:
                services.build_export(world.company_a, export.pk)
            counts.append(len(queries))
    assert counts[0] == counts[1]  # twenty more customers, phones and history rows: no more queries
