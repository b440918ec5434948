"""Excel import: upload → mapping → exact report → confirm → apply → undo, and hostile files."""

import io
import zipfile
from datetime import date
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from companies.middleware import no_tenant_scope
from customers.models import Customer, CustomerPhone, Label
from customers.services import erase_customer
from imports import services as import_services
from imports.models import Import, ImportMapping
from tests.factories import LabelFactory, make_customer

pytestmark = pytest.mark.usefixtures("in_company_a")

UPLOAD = reverse("imports:upload")
HEADERS = ["ФИО", "Телефон", "E-mail", "Город", "Дата рождения", "Скидка", "Метки", "Комментарий"]


@pytest.fixture
def admin_client(world):
    return world.client_for(world.admin_a)


def workbook_bytes(rows, headers=HEADERS) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "База"
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def upload(client, content: bytes, name="clients.xlsx"):
    return client.post(UPLOAD, {"file": SimpleUploadedFile(name, content)})


FIXTURE_ROWS = [
    [
        "Анна Смирнова",
        "+7 916 123-45-67",
        "anna@example.com",
        "Москва",
        date(1990, 5, 17),
        5,
        "VIP, Опт",
        "Звонить после 18",
    ],
    ["Борис Орлов", "8 (916) 222-22-22", "", "Тверь", "17.03.1985", "7,5", "", ""],
    ["Old Customer Renamed", "", "old@example.com", "Казань", None, None, "VIP", None],  # matches an existing one
    ["Bad Phone", "12", "bad-phone@example.com", "", None, None, "", ""],
    ["Bad Email", "+79160000003", "not-an-email", "", None, None, "", ""],
    [None, None, None, None, None, None, None, None],  # an empty row
    ["Too Long City", "+79160000004", "", "Г" * 101, None, None, "", ""],
    ["No Contacts", "", "", "Москва", None, None, "", ""],
    ["Bad Birthday", "+79160000005", "", "", "31.02.1990", None, "", ""],
    ["Same Person Again", "+7 916 123 45 67", "", "", None, None, "", ""],  # the same as row 2: an update
]


def run_import(client, django_capture_on_commit_callbacks, content=None, **options) -> Import:
    response = upload(client, content or workbook_bytes(FIXTURE_ROWS))
    assert response.status_code == 302, response.content.decode()[:2000]
    source = Import.objects.latest("pk")
    mapping = {f"column_{index}": key for index, key in enumerate(source.mapping)}
    data = {"update_existing": "1", "on_error": "skip", **mapping, **options}
    with no_tenant_scope(), django_capture_on_commit_callbacks(execute=True):  # the task runs as a worker does
        response = client.post(reverse("imports:mapping", args=[source.pk]), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    source.refresh_from_db()
    return source


def confirm(client, django_capture_on_commit_callbacks, source: Import) -> Import:
    with no_tenant_scope(), django_capture_on_commit_callbacks(execute=True):  # the task runs as a worker does
        client.post(reverse("imports:confirm", args=[source.pk]))
    source.refresh_from_db()
    return source


def test_the_upload_guesses_the_columns_from_russian_headers_and_shows_the_first_rows(world, admin_client):
    response = upload(admin_client, workbook_bytes(FIXTURE_ROWS))
    source = Import.objects.get()
    assert response["Location"] == source.get_absolute_url()
    assert source.mapping == [
        "full_name",
        "phone",
        "email",
        "city",
        "birthday",
        "discount_percent",
        "labels",
        "internal_note",
    ]
    assert source.sheet == "База" and len(source.preview) == 5 and source.preview[0][0] == "Анна Смирнова"
    page = admin_client.get(source.get_absolute_url()).content.decode()
    assert "Анна Смирнова" in page and "Which column is which field" in page


def test_the_report_is_exact_and_nothing_changes_before_confirming(
    world, admin_client, django_capture_on_commit_callbacks
):
    old = make_customer(world.company_a, name="Old Customer", emails=["old@example.com"], city="Самара")
    before = Customer.objects.count()

    source = run_import(admin_client, django_capture_on_commit_callbacks)

    assert source.status == Import.Status.VALIDATED
    assert (source.to_create, source.to_update, source.rejected, source.empty_rows) == (2, 2, 5, 1)
    reasons = dict(source.issues.values_list("row", "reason"))
    assert sorted(reasons) == [5, 6, 8, 9, 10]
    assert reasons[5].startswith("Phone:") and reasons[6].startswith("Email:")
    assert reasons[8] == "City: 101 characters; at most 100 fit."
    assert reasons[9] == "No phone or email: a customer is identified by them."
    assert reasons[10].startswith("Birthday:")
    assert Customer.objects.count() == before
    old.refresh_from_db()
    assert old.city == "Самара"

    page = admin_client.get(source.get_absolute_url()).content.decode()
    assert "Confirm and import" in page and "101 characters" in page


def test_confirming_creates_and_updates_through_identification(world, admin_client, django_capture_on_commit_callbacks):
    old = make_customer(world.company_a, name="Old Customer", emails=["old@example.com"], city="Самара")
    LabelFactory(company=world.company_a, name="vip")

    source = confirm(
        admin_client, django_capture_on_commit_callbacks, run_import(admin_client, django_capture_on_commit_callbacks)
    )

    assert source.status == Import.Status.DONE
    assert (source.created, source.updated, source.unchanged, source.rejected) == (2, 2, 0, 5)
    anna = Customer.objects.get(phones__number="+79161234567")
    assert anna.full_name == "Same Person Again"  # row 11 updated the customer row 2 created
    assert (anna.city, anna.birthday, anna.discount_percent) == ("Москва", date(1990, 5, 17), Decimal("5.00"))
    assert sorted(anna.labels.values_list("name", flat=True)) == ["vip", "Опт"]  # existing label matched
    assert anna.acquisition_channel == Customer.Channel.IMPORT
    boris = Customer.objects.get(phones__number="+79162222222")
    assert boris.birthday == date(1985, 3, 17) and boris.discount_percent == Decimal("7.50")
    old.refresh_from_db()
    assert (old.full_name, old.city) == ("Old Customer Renamed", "Казань")
    assert not Customer.objects.filter(full_name__in=["Bad Phone", "Bad Email", "Too Long City", "Bad Birthday"])
    assert not CustomerPhone.objects.filter(number="+79160000003").exists()  # no half-created customer

    again = confirm(
        admin_client, django_capture_on_commit_callbacks, run_import(admin_client, django_capture_on_commit_callbacks)
    )
    # No duplicates; rows 2 and 11 are one person whose name each row sets in turn: two updates.
    assert (again.to_create, again.created, again.updated) == (0, 0, 2)
    assert Customer.objects.filter(company=world.company_a).count() == 3


def test_existing_customers_can_be_left_as_they_are(world, admin_client, django_capture_on_commit_callbacks):
    old = make_customer(world.company_a, name="Old Customer", emails=["old@example.com"], city="Самара")
    source = run_import(admin_client, django_capture_on_commit_callbacks, update_existing="0")
    page = admin_client.get(source.get_absolute_url()).content.decode()
    assert "Already exist, left as they are" in page
    source = confirm(admin_client, django_capture_on_commit_callbacks, source)
    assert (source.created, source.updated, source.unchanged) == (2, 0, 2)
    old.refresh_from_db()
    assert (old.full_name, old.city) == ("Old Customer", "Самара") and not old.labels.exists()


def test_stop_on_bad_rows_imports_nothing(world, admin_client, django_capture_on_commit_callbacks):
    source = run_import(admin_client, django_capture_on_commit_callbacks, on_error="stop")
    assert "Fix the file and upload it again" in admin_client.get(source.get_absolute_url()).content.decode()
    response = admin_client.post(reverse("imports:confirm", args=[source.pk]), follow=True)
    assert "you chose to import nothing while any row is bad" in response.content.decode()
    source.refresh_from_db()
    assert source.status == Import.Status.VALIDATED and not Customer.objects.exists()


def test_the_mapping_is_remembered_for_the_next_file_with_the_same_headers(
    world, admin_client, django_capture_on_commit_callbacks
):
    source = run_import(admin_client, django_capture_on_commit_callbacks, column_7="")  # skip the comment
    assert source.mapping[7] == "" and ImportMapping.objects.filter(company=world.company_a).count() == 1
    upload(admin_client, workbook_bytes(FIXTURE_ROWS[:2]))
    assert Import.objects.latest("pk").mapping[7] == ""
    upload(admin_client, workbook_bytes(FIXTURE_ROWS[:2], headers=[*HEADERS[:7], "Заметка"]))
    assert Import.objects.latest("pk").mapping[7] == "internal_note"  # other headers: guessed afresh


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"column_1": "", "column_2": ""}, "Map at least one column to Phone or Email"),
        ({"column_3": "full_name"}, "Each field can come from one column only: Full name."),
        ({"column_3": "favourite_colour"}, "Select a valid choice."),
    ],
)
def test_a_bad_mapping_says_what_is_wrong(world, admin_client, changes, message):
    upload(admin_client, workbook_bytes(FIXTURE_ROWS))
    source = Import.objects.get()
    data = {"update_existing": "1", "on_error": "skip"}
    data.update({f"column_{index}": key for index, key in enumerate(source.mapping)})
    data.update(changes)
    response = admin_client.post(reverse("imports:mapping", args=[source.pk]), data)
    assert response.status_code == 400 and message in response.content.decode()
    source.refresh_from_db()
    assert source.status == Import.Status.MAPPING


def test_the_report_downloads_with_a_reason_column(world, admin_client, django_capture_on_commit_callbacks):
    source = run_import(admin_client, django_capture_on_commit_callbacks)
    response = admin_client.get(reverse("imports:report", args=[source.pk]))
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("Row", "Reason", "ФИО")
    assert [row[0] for row in rows[1:]] == [5, 6, 8, 9, 10]
    assert rows[3][1] == "City: 101 characters; at most 100 fit." and rows[3][2] == "Too Long City"


def test_undo_removes_what_it_created_and_restores_what_it_changed_unless_changed_since(
    world, admin_client, django_capture_on_commit_callbacks
):
    old = make_customer(world.company_a, name="Old Customer", emails=["old@example.com"], city="Самара")
    source = confirm(
        admin_client, django_capture_on_commit_callbacks, run_import(admin_client, django_capture_on_commit_callbacks)
    )
    Customer.objects.filter(pk=old.pk).update(full_name="Renamed By Staff")  # changed since the import
    boris = Customer.objects.get(full_name="Борис Орлов")
    boris.city = "Клин"
    boris.save()  # a created customer edited since: kept

    with no_tenant_scope(), django_capture_on_commit_callbacks(execute=True):  # the task runs as a worker does
        admin_client.post(reverse("imports:undo", args=[source.pk]))
    source.refresh_from_db()
    assert source.status == Import.Status.UNDONE
    assert set(Customer.objects.filter(company=world.company_a)) == {old, boris}
    old.refresh_from_db()
    assert (old.full_name, old.city) == ("Renamed By Staff", "Самара")  # the name kept, the city restored
    assert not old.labels.exists()
    assert source.undo_conflicts == [
        {"customer": old.pk, "name": "Renamed By Staff", "fields": ["full name"], "kept": False},
        {"customer": boris.pk, "name": "Борис Орлов", "fields": [], "kept": True},
    ]
    page = admin_client.get(source.get_absolute_url()).content.decode()
    assert "Left as they are: changed since the import" in page and "full name" in page


def company_statistics() -> list[tuple]:
    """What PostgreSQL's planner knows of the company column of the tables an import grows."""
    tables = [model._meta.db_table for model in import_services.GROWN_TABLES]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tablename, n_distinct, most_common_vals::text, most_common_freqs::text, histogram_bounds::text"
            " FROM pg_stats WHERE attname = 'company_id' AND tablename = ANY(%s) ORDER BY tablename",
            [tables],
        )
        return cursor.fetchall()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="planner statistics are PostgreSQL's")
def test_a_growing_import_refreshes_the_planner_statistics_of_the_company(
    world, admin_client, django_capture_on_commit_callbacks, monkeypatch
):
    # Every second row here; after 1,000 customers and each doubling in a real import.
    monkeypatch.setattr(import_services, "CHUNK", 2)
    monkeypatch.setattr(import_services, "ANALYZE_AFTER", 1)
    before = company_statistics()
    source = confirm(
        admin_client, django_capture_on_commit_callbacks, run_import(admin_client, django_capture_on_commit_callbacks)
    )
    assert source.status == Import.Status.DONE
    after = company_statistics()
    assert [row[0] for row in after] == sorted(model._meta.db_table for model in import_services.GROWN_TABLES)
    assert after != before


def test_an_erased_persons_contacts_are_refused_with_the_reason(
    world, admin_client, django_capture_on_commit_callbacks
):
    gone = make_customer(world.company_a, name="Gone", phones=["+79162222222"])
    erase_customer(world.company_a, customer=gone, actor=world.owner_a)
    source = run_import(admin_client, django_capture_on_commit_callbacks)
    assert "erased on request" in source.issues.get(row=3).reason


def test_managers_cannot_import(world, manager_client):
    assert manager_client.get(UPLOAD).status_code == 403
    assert upload(manager_client, workbook_bytes(FIXTURE_ROWS)).status_code == 403
    assert not Import.objects.exists()


def zip_with(parts: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in parts.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def real_parts() -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(workbook_bytes(FIXTURE_ROWS[:2]))) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>
<row r="1"><c r="A1" t="inlineStr"><is><t>&lol2;</t></is></c></row></sheetData></worksheet>"""


def hostile_files(settings):
    settings.IMPORT_LIMITS = {**settings.IMPORT_LIMITS, "unpacked_bytes": 2_000_000, "shared_strings_bytes": 500_000}
    macro = real_parts()
    macro["xl/vbaProject.bin"] = b"\x00" * 100
    bomb = real_parts()
    bomb["xl/media/zeros.bin"] = b"\x00" * 3_000_000
    strings = real_parts()
    strings["xl/sharedStrings.xml"] = b"<sst>" + b"<si><t>x</t></si>" * 40_000 + b"</sst>"
    laughs = real_parts()
    laughs["xl/worksheets/sheet1.xml"] = BILLION_LAUGHS
    return [
        (b"name,phone\nAnna,+79161234567\n", "This is not an Excel workbook (.xlsx)"),
        (zip_with({"hello.txt": b"hi"}), "This is not an Excel workbook (.xlsx)"),
        (zip_with(macro), "The workbook contains macros"),
        (zip_with(bomb), "The file unpacks to more than 1.9"),
        (zip_with(strings), "table of texts is larger than"),
        (zip_with(laughs), "The file contains XML that is not allowed"),
    ]


def test_hostile_and_fake_files_are_refused_with_a_clear_message(world, admin_client, settings):
    for content, message in hostile_files(settings):
        response = upload(admin_client, content)
        assert response.status_code == 400
        assert message in response.content.decode(), message
    response = upload(admin_client, workbook_bytes(FIXTURE_ROWS), name="clients.xlsm")
    assert "Only Excel workbooks (.xlsx) can be imported" in response.content.decode()
    settings.IMPORT_LIMITS = {**settings.IMPORT_LIMITS, "file_bytes": 1000}
    assert "The file is larger than 1000" in upload(admin_client, workbook_bytes(FIXTURE_ROWS)).content.decode()
    assert not Import.objects.exists()


def test_a_file_over_the_row_limit_fails_with_the_reason(
    world, admin_client, settings, django_capture_on_commit_callbacks
):
    settings.IMPORT_LIMITS = {**settings.IMPORT_LIMITS, "rows": 3}
    source = run_import(admin_client, django_capture_on_commit_callbacks)
    assert source.status == Import.Status.FAILED
    assert source.error == "The file has more than 3 rows; split it into smaller files."
    assert not Customer.objects.exists()


def test_the_import_log_lists_imports(world, admin_client, django_capture_on_commit_callbacks):
    run_import(admin_client, django_capture_on_commit_callbacks)
    page = admin_client.get(reverse("imports:list")).content.decode()
    assert "clients.xlsx" in page and 'data-status="validated"' in page
    assert Label.objects.count() == 0  # nothing was applied
