"""Export in a real browser: filter the list → Export menu → the progress page reaches done →
download the file from the export log and open it back with openpyxl."""

import pytest
from openpyxl import load_workbook
from playwright.sync_api import Page, expect

from exports.models import Export
from tests.e2e.conftest import sign_in
from tests.factories import make_customer

pytestmark = pytest.mark.usefixtures("in_company_a")


def test_filter_export_and_download_from_the_log(transactional_db, live_server, world, page: Page, settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "exports": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path)}},
    }
    company = world.company_a
    make_customer(company, name="Tanya Tver", phones=["+7 916 000-00-01"], city="Tver")
    make_customer(company, name="Tom Tver", phones=["+7 916 000-00-02"], emails=["=cmd@example.com"], city="Tver")
    make_customer(company, name="Olga Omsk", phones=["+7 916 000-00-03"], city="Omsk")
    base = live_server.url
    sign_in(page, base)
    page.goto(f"{base}/customers/")

    # Filter the list down to the two Tver customers by a search.
    page.locator("#id_q").fill("Tver")
    page.locator("#id_q").press("Enter")
    expect(page.get_by_test_id("total-count")).to_have_text("2 customers")

    # The Export menu offers the filter, picked by default, and says where the link goes.
    page.get_by_test_id("export-toggle").click()
    menu = page.get_by_test_id("export-menu")
    expect(menu).to_contain_text("The 2 customers the filter matches")
    expect(menu).to_contain_text("a link goes to owner@a.example")
    expect(menu.locator("#export-filter")).to_be_checked()
    page.get_by_test_id("export-submit").click()

    # The export's own page: the link is promised at once, the progress reaches done.
    progress = page.get_by_test_id("export-progress")
    expect(progress).to_have_attribute("data-status", "done")
    expect(page.locator("main")).to_contain_text("owner@a.example")
    export = Export.objects.get(company=company)
    assert export.rows_written == 2

    # The export log lists it in words, with its download.
    page.goto(f"{base}/exports/")
    row = page.get_by_test_id("export-row")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Tver")
    expect(row).to_have_attribute("data-status", "done")
    with page.expect_download() as download_info:
        row.get_by_test_id("download").click()
    download = download_info.value
    assert download.suggested_filename.startswith("customers-") and download.suggested_filename.endswith(".xlsx")
    path = tmp_path / "downloaded.xlsx"
    download.save_as(path)

    sheet = load_workbook(path).active
    header = [cell.value for cell in sheet[1]]
    rows = [dict(zip(header, [cell.value for cell in row], strict=True)) for row in sheet.iter_rows(min_row=2)]
    assert sorted(row["Full name"] for row in rows) == ["Tanya Tver", "Tom Tver"]
    assert not any(cell.data_type == "f" for row in sheet.iter_rows() for cell in row)  # "=cmd…" stays text
