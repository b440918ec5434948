"""An export end to end with a real Celery worker on Redis, not run inline: the list's Export
menu → the worker builds the file and sends the email (the real file email backend) → the link in
it downloads a workbook that openpyxl reads back with the expected rows and cell types."""

import io
import os
import re
import subprocess
import sys
import time
import uuid
from datetime import date, datetime
from decimal import Decimal

import pytest
from django.conf import settings
from django.db import connection
from django.urls import reverse
from openpyxl import load_workbook

from config.celery import app
from exports.models import Export
from tests.factories import LabelFactory, make_customer

pytestmark = pytest.mark.skipif(
    not settings.REDIS_URL and not os.environ.get("CI"), reason="needs REDIS_URL (CI always sets it)"
)
WAIT_SECONDS = 90


def database_url() -> str:
    """The test database, for the worker process to use."""
    db = connection.settings_dict
    user = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "") + "@" if db["USER"] else ""
    return f"postgres://{user}{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture
def worker(transactional_db, tmp_path):
    """A worker process reading a queue of its own (the export task and the email it sends both
    go there), with its var/ in tmp_path: mail in tmp_path/mail, files in tmp_path/exports, the
    folder tests/exports/conftest.py points this process's export storage at."""
    assert connection.vendor == "postgresql", "the worker needs a database it can share: run on PostgreSQL"
    queue = f"test-{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "VAR_DIR": str(tmp_path),
        "CELERY_QUEUE": queue,
        "SECRET_KEY": "worker-test",
        "DEBUG": "0",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=solo", "--loglevel=WARNING"],
        cwd=settings.BASE_DIR,
        env=env,
    )
    app.conf.task_always_eager = False
    default_queue, app.conf.task_default_queue = app.conf.task_default_queue, queue
    try:
        yield tmp_path / "mail"
    finally:
        app.conf.task_always_eager = True
        app.conf.task_default_queue = default_queue
        process.terminate()
        process.wait(timeout=20)


def wait_for(what: str, found):
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        if result := found():
            return result
        time.sleep(0.2)
    pytest.fail(f"{what} within {WAIT_SECONDS} s")


def test_a_worker_builds_the_export_and_emails_the_link(worker, world, in_company_a):
    assert settings.REDIS_URL, "CI must provide REDIS_URL"
    mail_dir = worker
    vip = LabelFactory(company=world.company_a, name="VIP")
    make_customer(
        world.company_a,
        name="Anna Smirnova",
        phones=["+7 916 123-45-67"],
        emails=["anna@example.com"],
        labels=[vip],
        birthday=date(1990, 5, 17),
        discount_percent=Decimal("7.5"),
    )
    make_customer(world.company_a, name='=HYPERLINK("http://evil.example")', phones=["+7 916 000-00-02"])
    make_customer(world.company_a, name="-2+3", emails=["minus@example.com"])
    make_customer(world.company_b, name="Other Company", phones=["+7 916 123-45-67"])
    client = world.client_for(world.admin_a)

    response = client.post(reverse("exports:create"), {"audience": "all"})
    assert response.status_code == 302
    export = Export.objects.get(company=world.company_a)
    page = client.get(response["Location"]).content.decode()
    assert "will be emailed to you at <strong>admin@a.example</strong>" in page

    def sent():
        files = sorted(mail_dir.glob("*.log")) if mail_dir.exists() else []
        return next((file.read_text() for file in files if export.get_download_url() in file.read_text()), None)

    email = wait_for("the worker did not email the link", sent)
    assert "To: admin@a.example" in email
    export.refresh_from_db()
    assert (export.status, export.rows_written, export.rows_total) == (Export.Status.DONE, 3, 3)
    link = re.search(r"https?://\S+(/exports/\S+/download/)", email)
    assert link and link.group(1) == export.get_download_url()

    response = client.get(link.group(1))
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    sheet = book.active
    assert sheet.freeze_panes == "A2"
    header = [cell.value for cell in sheet[1]]
    rows = {row[0].value: dict(zip(header, row, strict=True)) for row in sheet.iter_rows(min_row=2)}
    assert set(rows) == {"Anna Smirnova", '=HYPERLINK("http://evil.example")', "-2+3"}
    anna = rows["Anna Smirnova"]
    assert anna["Birthday"].value == datetime(1990, 5, 17) and anna["Birthday"].is_date
    assert anna["Discount, %"].value == 7.5 and anna["Discount, %"].data_type == "n"
    assert anna["Labels"].value == "VIP"
    assert not any(cell.data_type == "f" for row in sheet.iter_rows() for cell in row)
    assert rows['=HYPERLINK("http://evil.example")']["Full name"].data_type == "s"


def test_a_worker_builds_the_company_data_archive(worker, world, in_company_a):
    import json
    import zipfile

    make_customer(world.company_a, name="Anna Smirnova", phones=["+7 916 123-45-67"])
    make_customer(world.company_b, name="Other Company", phones=["+7 916 123-45-67"])
    client = world.client_for(world.owner_a)
    response = client.post(reverse("exports:archive"))
    assert response.status_code == 302
    export = Export.objects.get(company=world.company_a, audience=Export.Audience.ARCHIVE)

    def done():
        export.refresh_from_db()
        return export.status == Export.Status.DONE

    wait_for("the worker did not build the archive", done)
    download = client.get(export.get_download_url())
    with zipfile.ZipFile(io.BytesIO(b"".join(download.streaming_content))) as zipped:
        customers = [json.loads(line) for line in zipped.read("customers.jsonl").decode().splitlines()]
    assert [customer["full_name"] for customer in customers] == ["Anna Smirnova"]
