"""Times an Excel import of ROWS customers: the upload checks, the row check and the application.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/crm_bench .venv/bin/python bench/import_rows.py

Builds a workbook of --rows rows (name, phone, email, city, birthday, discount, labels; a tenth of
them repeat an earlier row's phone, a hundredth have a bad phone), then runs the import's own
steps in this process, as a worker would: `upload_import`, `start_validation` + the validation,
`confirm_import` + the application, and `start_undo` + the undo. It imports into a company of its
own ("Import Bench", created on the paid plan beside the seeded one, so the indexes are those of
a million customers) and deletes it afterwards. Prints rows per second for each step and the peak
RSS. See bench/README.md.
"""

import argparse
import io
import random
import resource
import sys
import time
from datetime import date

from common import demo_company  # noqa: F401 - sets Django up
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django_scopes import scope, scopes_disabled
from openpyxl import Workbook

from companies.models import Company, Membership, User
from config.celery import app
from imports import services as import_services
from imports.models import Import

HEADERS = ["ФИО", "Телефон", "E-mail", "Город", "Дата рождения", "Скидка", "Метки"]
CITIES = ["Москва", "Санкт-Петербург", "Казань", "Тверь", "Самара"]
LABELS = ["VIP", "Опт", "Розница", ""]


def workbook(rows: int, rng: random.Random) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet("Клиенты")
    sheet.append(HEADERS)
    for index in range(rows):
        number = index if index % 10 else max(0, index - 7)  # a tenth repeat an earlier customer
        phone = (
            "12" if index % 100 == 99 else f"+7 916 {number // 10000:03d}-{number // 100 % 100:02d}-{number % 100:02d}"
        )
        sheet.append(
            [
                f"Клиент {number}",
                phone,
                f"client{number}@bench.example" if index % 3 else "",
                rng.choice(CITIES),
                date(1960 + index % 40, 1 + index % 12, 1 + index % 28),
                index % 15,
                rng.choice(LABELS),
            ]
        )
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--keep", action="store_true", help="keep the bench company afterwards")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        raise SystemExit("Set DATABASE_URL to the seeded PostgreSQL database.")
    app.conf.task_always_eager = True  # each step runs here, in this process, as a worker runs it

    started = time.monotonic()
    content = workbook(args.rows, random.Random(2026))
    print(f"workbook of {args.rows} rows: {len(content) / 1e6:.1f} MB, built in {time.monotonic() - started:.1f} s")

    with scopes_disabled():
        Company.objects.filter(name="Import Bench").delete()
        company = Company.objects.create(name="Import Bench", plan=Company.Plan.PAID)
        owner = User.objects.get(email="owner@demo.example")
        Membership.objects.create(company=company, user=owner, role=Membership.Role.OWNER)
    figures = []
    try:
        with scope(company=company):
            started = time.monotonic()
            source = import_services.upload_import(
                company, user=owner, upload=SimpleUploadedFile("bench.xlsx", content)
            )
            figures.append(("upload: checks, header and preview", time.monotonic() - started, None))

            started = time.monotonic()
            import_services.start_validation(
                company, source=source, user=owner, mapping=source.mapping, update_existing=True, on_error="skip"
            )
            source.refresh_from_db()
            figures.append(("check every row", time.monotonic() - started, source.rows_done))
            print(f"report: {source.to_create} to create, {source.to_update} to update, {source.rejected} rejected")

            started = time.monotonic()
            import_services.confirm_import(company, source=source, user=owner)
            source.refresh_from_db()
            figures.append(("apply", time.monotonic() - started, source.rows_done))
            print(f"applied: {source.created} created, {source.updated} updated, {source.rejected} rejected")
            assert source.status == Import.Status.DONE, source.error

            started = time.monotonic()
            import_services.start_undo(company, source=source, user=owner)
            source.refresh_from_db()
            figures.append(("undo", time.monotonic() - started, source.rows_done))
            assert source.status == Import.Status.UNDONE, source.error
    finally:
        if not args.keep:
            with scopes_disabled():
                company.delete()

    print(f"\n{'step':40} {'seconds':>8} {'rows':>8} {'rows/s':>8}")
    for what, seconds, rows in figures:
        rate = f"{rows / seconds:8.0f}" if rows else ""
        print(f"{what:40} {seconds:8.1f} {rows or '':>8} {rate}")
    print(f"\npeak RSS of this process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
