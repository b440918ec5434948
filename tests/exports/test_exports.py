"""Exports: asked for on the list, built by the task (inline here; tests/exports/test_worker.py runs
a real worker), opened back with openpyxl, emailed, downloaded, expired and retried."""

import io
import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from companies.middleware import no_tenant_scope
from customers.models import Customer
from exports import services, tasks
from exports.columns import CELL_LIMIT
from exports.models import Export
from segments.models import Segment
from tests.factories import LabelFactory, make_customer

pytestmark = pytest.mark.usefixtures("in_company_a")

CREATE = reverse("exports:create")


@pytest.fixture
def admin_client(world):
    return world.client_for(world.admin_a)


def export_now(client, django_capture_on_commit_callbacks, **data) -> Export:
    """POSTs the list's Export menu and runs the queued task (inline, as `make run` does)."""
    with no_tenant_scope(), django_capture_on_commit_callbacks(execute=True):  # the task runs as a worker does
        response = client.post(CREATE, data)
    assert response.status_code == 302, response.content.decode()[:500]
    export = Export.objects.latest("pk")
    assert response["Location"] == export.get_absolute_url()
    export.refresh_from_db()
    return export


def make_export(world, **fields) -> Export:
    """An export row as the worker would have left it."""
    defaults = {
        "company": world.company_a,
        "requested_by": world.admin_a,
        "email": world.admin_a.email,
        "language": "en",
        "audience": Export.Audience.ALL,
        "description": "All customers",
        "columns": services.export_columns([]),
    }
    return Export.objects.create(**{**defaults, **fields})


def workbook_of(client, export: Export):
    response = client.get(export.get_download_url())
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="customers-')
    assert response["Cache-Control"] == "private, no-store"  # personal data: no cache keeps it
    return load_workbook(io.BytesIO(b"".join(response.streaming_content)))


def rows_of(sheet) -> list[dict]:
    header = [cell.value for cell in sheet[1]]
    return [dict(zip(header, [cell.value for cell in row], strict=True)) for row in sheet.iter_rows(min_row=2)]


def test_an_admin_exports_the_filter_and_gets_a_link_by_email(world, admin_client, django_capture_on_commit_callbacks):
    vip = LabelFactory(company=world.company_a, name="VIP")
    anna = make_customer(
        world.company_a,
        name="Anna Smirnova",
        phones=["+7 916 123-45-67", "+7 916 000-00-01"],
        emails=["anna@example.com"],
        labels=[vip],
        birthday=date(1990, 5, 17),
        city="Moscow",
        discount_percent=Decimal("7.5"),
    )
    Customer.objects.filter(pk=anna.pk).update(
        orders_count=3, orders_sum=Decimal("12345.60"), last_order_at=datetime(2026, 11, 1, 21, 30, tzinfo=UTC)
    )
    make_customer(world.company_a, name="Boris Orlov", phones=["+7 916 222-22-22"])
    make_customer(world.company_b, name="Other company's", phones=["+7 916 123-45-67"])

    export = export_now(
        admin_client, django_capture_on_commit_callbacks, audience="filter", filter_query=f"labels={vip.pk}"
    )

    assert export.status == Export.Status.DONE and export.rows_written == export.rows_total == 1
    assert export.description == "Filter: label VIP"
    assert export.size > 0 and export.expires_at > timezone.now() + timedelta(days=6)
    [message] = mail.outbox
    assert message.to == [world.admin_a.email]
    assert "http://testserver" not in message.body
    link = re.search(r"https?://\S+", message.body).group(0)
    assert link.endswith(export.get_download_url())

    workbook = workbook_of(admin_client, export)
    sheet = workbook.active
    assert sheet.title == "Customers" and sheet.freeze_panes == "A2"
    [row] = rows_of(sheet)
    assert row["Full name"] == "Anna Smirnova"
    assert row["Phones"] == "+79161234567, +79160000001"
    assert row["Emails"] == "anna@example.com" and row["Labels"] == "VIP" and row["City"] == "Moscow"
    assert row["Orders"] == 3 and row["Orders sum, RUB"] == pytest.approx(12345.60)
    assert row["Birthday"] == datetime(1990, 5, 17)  # a real date: Excel stores it as a number
    assert row["Last order"] == datetime(2026, 11, 2, 0, 30)  # in the company's time zone (Moscow)
    assert row["Discount, %"] == pytest.approx(7.5)
    assert row["Blocked"] == "no" and row["SMS consent"] == "yes"
    assert sheet.column_dimensions["A"].width == 30


def test_the_header_is_in_the_language_of_whoever_asked(world, admin_client, django_capture_on_commit_callbacks):
    make_customer(world.company_a, name="Анна", phones=["+79161234567"])
    world.admin_a.language = "ru"
    world.admin_a.save()
    with no_tenant_scope(), django_capture_on_commit_callbacks(execute=True):  # the task runs as a worker does
        admin_client.post(CREATE, {"audience": "all"})
    export = Export.objects.get()
    assert export.language == "ru" and export.description == "Все клиенты"
    sheet = workbook_of(admin_client, export).active
    header = [cell.value for cell in sheet[1]]
    assert sheet.title == "Клиенты" and header[:3] == ["ФИО", "Телефоны", "Email-адреса"]
    assert mail.outbox[0].subject == "Выгрузка клиентов готова"


def test_cells_that_look_like_formulas_stay_text_and_bad_text_never_fails_the_export(
    world, admin_client, django_capture_on_commit_callbacks
):
    hostile = {
        '=HYPERLINK("http://evil.example","click")': "=HYPERLINK",
        "+7 (916) cmd": "+7",
        "-2+3": "-2",
        "@SUM(A1:A2)": "@SUM",
        "\tTab first": "\t",
    }
    for index, name in enumerate(hostile):
        make_customer(world.company_a, name=name, phones=[f"+7916000000{index}"])
    make_customer(
        world.company_a,
        name="Control\x07\x1b chars 🙂 \u200fשלום\u200e",
        phones=["+79160000009"],
        internal_note="x" * 2000,
    )
    long_text = Customer.objects.get(full_name__startswith="-2")
    Customer.objects.filter(pk=long_text.pk).update(internal_note="=" + "y" * (CELL_LIMIT + 500))

    export = export_now(admin_client, django_capture_on_commit_callbacks, audience="all")
    assert export.status == Export.Status.DONE and export.rows_written == 6

    sheet = workbook_of(admin_client, export).active
    cells = [cell for row in sheet.iter_rows() for cell in row]
    assert not [cell.coordinate for cell in cells if cell.data_type == "f"]
    names = {row["Full name"]: row for row in rows_of(sheet)}
    assert set(hostile) <= set(names)
    for name in hostile:
        cell = next(cell for cell in sheet["A"] if cell.value == name)
        assert cell.data_type == "s" and cell.quotePrefix
    assert "Control chars 🙂 \u200fשלום\u200e" in names
    cut = names["-2+3"]["Internal note"]
    assert len(cut) == CELL_LIMIT and cut.endswith("…")


def test_a_big_export_continues_on_a_second_sheet(world, admin_client, django_capture_on_commit_callbacks, settings):
    settings.EXPORT_SHEET_ROWS = 3
    for i in range(7):
        make_customer(world.company_a, name=f"Customer {i}", phones=[f"+7916000001{i}"])
    export = export_now(admin_client, django_capture_on_commit_callbacks, audience="all")
    workbook = workbook_of(admin_client, export)
    assert workbook.sheetnames == ["Customers", "Customers (2)", "Customers (3)"]
    names = [row["Full name"] for sheet in workbook.worksheets for row in rows_of(sheet)]
    assert names == [f"Customer {i}" for i in reversed(range(7))]  # newest first, each once
    assert all(sheet["A1"].value == "Full name" for sheet in workbook.worksheets)


def test_the_export_reads_a_fixed_number_of_queries_per_chunk(world, admin_client, monkeypatch):
    label = LabelFactory(company=world.company_a)
    monkeypatch.setattr(services, "CHUNK", 10)
    counts = []
    for total in (10, 30):
        Customer.objects.filter(company=world.company_a).delete()
        for i in range(total):
            make_customer(
                world.company_a, name=f"C{i}", phones=[f"+7916100{i:04d}"], emails=[f"c{i}@x.example"], labels=[label]
            )
        export = make_export(world)
        with CaptureQueriesContext(connection) as queries:
            services.build_export(world.company_a, export.pk)
        counts.append(len(queries))
    assert counts[1] - counts[0] == 2 * 5  # two more chunks, five queries each, however many rows


def test_each_audience_is_described_in_words(world, admin_client, django_capture_on_commit_callbacks):
    anna = make_customer(world.company_a, name="Anna", phones=["+79161234567"])
    boris = make_customer(world.company_a, name="Boris", phones=["+79161234568"])
    segment = Segment.objects.create(company=world.company_a, name="Big spenders", query="orders_min=0")

    ticked = export_now(admin_client, django_capture_on_commit_callbacks, audience="selection", selected=[anna.pk])
    assert ticked.description == "1 ticked customer" and ticked.rows_written == 1
    saved = export_now(admin_client, django_capture_on_commit_callbacks, audience="segment", segment=segment.pk)
    assert saved.description == "Segment “Big spenders”" and saved.rows_written == 2
    searched = export_now(admin_client, django_capture_on_commit_callbacks, audience="filter", filter_query="q=Bor")
    assert searched.description == "Filter: search “Bor”" and searched.rows_written == 1
    everyone = export_now(admin_client, django_capture_on_commit_callbacks, audience="all", selected=[boris.pk])
    assert everyone.description == "All customers" and everyone.rows_written == 2

    log = admin_client.get(reverse("exports:list")).content.decode()
    for text in ("1 ticked customer", "Segment “Big spenders”", "search “Bor”", "All customers", "Ready", "Download"):
        assert text in log


@pytest.mark.parametrize(
    "data, message",
    [
        ({"audience": "selection"}, "Tick the customers first."),
        ({"audience": "selection", "selected": ["x"]}, "The selection is not valid"),
        ({"audience": "filter", "filter_query": ""}, "The list is not filtered"),
        ({"audience": "segment", "segment": 999999}, "That segment does not exist"),
        ({"audience": "everything"}, "Choose what to export."),
        ({}, "Choose what to export."),
    ],
)
def test_bad_requests_say_what_is_wrong_and_create_nothing(world, admin_client, data, message):
    response = admin_client.post(CREATE, data, follow=True)
    assert message in response.content.decode()
    assert not Export.objects.exists()


def test_another_companys_segment_or_customers_cannot_be_exported(world, admin_client):
    theirs = Segment.objects.create(company=world.company_b, name="Theirs", query="")
    stranger = make_customer(world.company_b, name="Stranger", phones=["+79160000001"])
    admin_client.post(CREATE, {"audience": "segment", "segment": theirs.pk})
    response = admin_client.post(CREATE, {"audience": "selection", "selected": [stranger.pk]}, follow=True)
    assert "None of the ticked customers exists any more." in response.content.decode()
    assert not Export.objects.exists()


def test_managers_see_the_export_button_disabled_and_cannot_export(world, manager_client, customer_a):
    page = manager_client.get(reverse("customers:list")).content.decode()
    assert 'data-testid="export-disabled"' in page and "Only owners and admins can export" in page
    assert 'data-testid="export-toggle"' not in page
    assert manager_client.post(CREATE, {"audience": "all"}).status_code == 403
    assert manager_client.get(reverse("exports:list")).status_code == 403
    assert not Export.objects.exists()


def test_the_list_offers_the_filter_and_the_open_segment(world, owner_client, customer_a):
    segment = Segment.objects.create(company=world.company_a, name="Moscow", query="q=Anna")
    page = owner_client.get(reverse("customers:list"), {"q": "Anna"}).content.decode()
    assert 'value="filter"' in page and "The 1 customer the filter matches" in page
    page = owner_client.get(reverse("customers:list"), {"q": "Anna", "segment": segment.pk}).content.decode()
    assert 'value="segment"' in page and "Segment “Moscow”: 1 customer" in page


def test_the_progress_page_polls_until_done(world, admin_client):
    export = make_export(world, status=Export.Status.RUNNING, rows_total=4000, rows_written=1000)
    page = admin_client.get(export.get_absolute_url()).content.decode()
    assert world.admin_a.email in page and "1,000 of 4,000 rows written" in page and 'hx-trigger="every 1s"' in page
    Export.objects.filter(pk=export.pk).update(status=Export.Status.FAILED, error="Disk full")
    partial = admin_client.get(reverse("exports:progress", args=[export.pk])).content.decode()
    assert "every 1s" not in partial and "Disk full" in partial and "Retry" in partial


def test_an_expired_link_says_so_and_the_sweeper_deletes_the_file(
    world, admin_client, django_capture_on_commit_callbacks, export_files
):
    make_customer(world.company_a, name="Anna", phones=["+79161234567"])
    export = export_now(admin_client, django_capture_on_commit_callbacks, audience="all")
    stored = export_files / export.file_name
    assert stored.exists()
    Export.objects.filter(pk=export.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    response = admin_client.get(export.get_download_url())
    assert response.status_code == 410 and "This link has expired" in response.content.decode()

    with no_tenant_scope():  # the hourly sweeper, as celery beat runs it
        assert tasks.delete_expired_exports() == 1
    export.refresh_from_db()
    assert export.status == Export.Status.EXPIRED and not export.file_name and not stored.exists()
    assert "Expired" in admin_client.get(reverse("exports:list")).content.decode()
    assert admin_client.get(export.get_download_url()).status_code == 410


def test_a_stalled_export_fails_with_a_reason_and_can_be_retried(
    world, admin_client, django_capture_on_commit_callbacks
):
    make_customer(world.company_a, name="Anna", phones=["+79161234567"])
    stale = timezone.now() - timedelta(minutes=30)
    export = make_export(world, status=Export.Status.RUNNING, heartbeat_at=stale)
    fresh = make_export(world, status=Export.Status.RUNNING, heartbeat_at=timezone.now())
    with no_tenant_scope():  # the five-minute sweeper, as celery beat runs it
        assert tasks.fail_stalled_exports() == 1
    export.refresh_from_db()
    fresh.refresh_from_db()
    assert export.status == Export.Status.FAILED and "stopped before it was done" in export.error
    assert fresh.status == Export.Status.RUNNING

    services.build_export(world.company_a, export.pk)  # a late redelivery of the dead task: no effect
    export.refresh_from_db()
    assert export.status == Export.Status.FAILED

    with no_tenant_scope(), django_capture_on_commit_callbacks(execute=True):  # the task runs as a worker does
        admin_client.post(reverse("exports:retry", args=[export.pk]))
    export.refresh_from_db()
    assert export.status == Export.Status.DONE and export.rows_written == 1 and export.attempts == 1
    response = admin_client.post(reverse("exports:retry", args=[export.pk]), follow=True)
    assert "Only a failed export can be retried." in response.content.decode()


def test_a_download_before_the_file_is_ready_goes_back_to_the_progress(world, admin_client):
    export = make_export(world)
    response = admin_client.get(export.get_download_url())
    assert response.status_code == 302 and response["Location"] == export.get_absolute_url()


def test_the_export_log_has_a_fixed_query_budget(world, admin_client, django_assert_max_num_queries):
    for i in range(30):
        expires_at = timezone.now() + timedelta(days=1)
        make_export(world, description=f"Export {i}", status=Export.Status.DONE, size=1000, expires_at=expires_at)
    with django_assert_max_num_queries(8):
        page = admin_client.get(reverse("exports:list")).content.decode()
    assert page.count('data-testid="export-row"') == 25
