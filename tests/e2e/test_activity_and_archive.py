"""The activity log and the company data archive in a real browser: an owner's change shows in the
log, the log filters by action and exports to Excel; the archive is built and downloaded as a
zip whose tables open back."""

import io
import json
import zipfile

import pytest
from openpyxl import load_workbook
from playwright.sync_api import Page, expect

from tests.e2e.conftest import sign_in
from tests.factories import make_customer

pytestmark = pytest.mark.usefixtures("in_company_a")


@pytest.fixture
def export_files(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "exports": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path)}},
    }
    return tmp_path


def test_a_change_shows_in_the_activity_log_which_filters_and_exports(
    transactional_db, live_server, world, page: Page, export_files
):
    make_customer(world.company_a, name="Anna Smirnova", phones=["+7 916 000-00-01"])
    base = live_server.url
    sign_in(page, base)
    page.goto(f"{base}/customers/labels/")
    page.get_by_label("Name").fill("Wholesale")
    page.get_by_role("button", name="Create label").click()
    expect(page.locator("main")).to_contain_text("Wholesale")

    page.get_by_test_id("user-menu").click()
    page.get_by_role("link", name="Activity log").click()
    rows = page.get_by_test_id("activity-row")
    expect(rows.first).to_contain_text("Label created")
    expect(rows.first).to_contain_text("Wholesale")
    expect(rows.first).to_contain_text("owner@a.example")
    expect(page.get_by_test_id("activity-log")).to_contain_text("Signed in")

    page.get_by_label("Action").select_option(label="Label created")
    page.get_by_role("button", name="Show").click()
    expect(rows).to_have_count(1)

    page.get_by_test_id("activity-export").click()
    expect(page.get_by_test_id("export-progress")).to_have_attribute("data-status", "done")
    with page.expect_download() as download_info:
        page.get_by_test_id("download").click()
    download = download_info.value
    assert download.suggested_filename.startswith("activity-")
    sheet = load_workbook(io.BytesIO(download.path().read_bytes())).worksheets[0]
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert len(values) == 2 and values[1][2] == "Label created" and values[1][3] == "Wholesale"


def test_an_owner_downloads_all_the_company_data_as_a_zip(
    transactional_db, live_server, world, page: Page, export_files
):
    make_customer(world.company_a, name="Anna Smirnova", phones=["+7 916 000-00-01"], emails=["anna@example.com"])
    base = live_server.url
    sign_in(page, base)
    page.goto(f"{base}/exports/")
    expect(page.get_by_test_id("archive-card")).to_contain_text("All your company's data")
    page.get_by_test_id("archive").click()
    expect(page.locator("h1")).to_have_text("All company data")
    expect(page.get_by_test_id("export-progress")).to_have_attribute("data-status", "done")
    with page.expect_download() as download_info:
        page.get_by_test_id("download").click()
    download = download_info.value
    assert download.suggested_filename.startswith("company-data-") and download.suggested_filename.endswith(".zip")
    with zipfile.ZipFile(download.path()) as zipped:
        customers = [json.loads(line) for line in zipped.read("customers.jsonl").decode().splitlines()]
        workbook = load_workbook(io.BytesIO(zipped.read("customers.xlsx")))
    assert [c["full_name"] for c in customers] == ["Anna Smirnova"]
    assert "Anna Smirnova" in [cell.value for cell in workbook.worksheets[0][2]]
