"""Times the Excel export of the million-customer company, and its memory, against a bare openpyxl
write-only loop as the ceiling.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/crm_bench .venv/bin/python bench/export.py

Each case runs in a fresh child process, as a worker would run it: an `Export` row is recorded for
the demo owner and `exports.services.build_export` builds it (the keyset chunks, the cells, the
file, the stored copy and the email), so the child's peak RSS is the worker's. Cases: all
customers (1,000,000 rows) and the filter `region=Москва` (about 110,000): the peak must not grow
with the row count. The ceiling writes the same number of rows of the same columns from a list
built beforehand (2,000 real rows' values, cycled), with no database and no cell styles. Then the
plan of a chunk query deep in the company. Exits 1 when the 1M export's peak RSS is more than
1.5 times the 100k one's. See bench/README.md.
"""

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from common import OWNER_EMAIL, demo_company, print_plan
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_scopes import scope
from openpyxl import Workbook

from companies.models import User
from config.celery import app
from exports import services
from exports.columns import BY_KEY
from exports.models import Export

COMPANY = "Demo Shop"
CASES = {"all": ("all", ""), "region": ("filter", "region=Москва")}
PAGE_SIZE = 4096


class RssSampler(threading.Thread):
    """The process's resident memory every 0.2 s, to tell a flat line from a growing one."""

    def __init__(self):
        super().__init__(daemon=True)
        self.samples: list[tuple[float, float]] = []
        self.running = True

    def run(self):
        started = time.monotonic()
        while self.running:
            pages = int(Path("/proc/self/statm").read_text().split()[1])
            self.samples.append((time.monotonic() - started, pages * PAGE_SIZE / 2**20))
            time.sleep(0.2)

    def at(self, share: float) -> float:
        """The RSS once `share` of the run has passed."""
        end = self.samples[-1][0]
        return next(rss for seconds, rss in self.samples if seconds >= share * end)


def child(case: str) -> dict:
    """Builds one export in this process and reports its figures."""
    app.conf.task_always_eager = True  # the email task too, as one worker would run it
    company = demo_company(COMPANY)
    owner = User.objects.get(email=OWNER_EMAIL)
    audience, query = CASES[case]
    sampler = RssSampler()
    with scope(company=company):
        columns = services.export_columns([])
        export = Export.objects.create(
            company=company,
            requested_by=owner,
            email=owner.email,
            language="ru",
            audience=audience,
            query=query,
            description=case,
            columns=columns,
        )
        sampler.start()
        started = time.monotonic()
        services.build_export(company, export.pk)
        seconds = time.monotonic() - started
        sampler.running = False
        export.refresh_from_db()
        assert export.status == Export.Status.DONE, export.error
        services.export_storage().delete(export.file_name)
        export.delete()
    return {
        "case": f"{audience} {query}".strip(),
        "rows": export.rows_written,
        "columns": len(columns),
        "seconds": seconds,
        "mb": export.size / 1e6,
        "rss_10": sampler.at(0.1),
        "rss_50": sampler.at(0.5),
        "rss_peak": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def ceiling(rows: int) -> dict:
    """The same rows and columns written from a list built beforehand: openpyxl's own speed."""
    company = demo_company(COMPANY)
    columns = [BY_KEY[key] for key in services.export_columns([])]
    with scope(company=company):
        customers = next(services._chunks(company, services.Customer.objects.filter(company=company)))
    values = []
    for customer in customers:
        row = []
        for column in columns:
            value = column.value(customer)
            if hasattr(value, "tzinfo") and getattr(value, "tzinfo", None) is not None:
                value = value.replace(tzinfo=None)
            row.append(str(value) if column.kind in ("text", "bool") and value not in (None, "") else value)
        values.append(row)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Customers")
    sheet.append([str(column.header) for column in columns])
    started = time.monotonic()
    for index in range(rows):
        sheet.append(values[index % len(values)])
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "ceiling.xlsx"
        workbook.save(path)
        size = path.stat().st_size
    seconds = time.monotonic() - started
    return {
        "case": f"bare openpyxl, {rows} rows",
        "rows": rows,
        "columns": len(columns),
        "seconds": seconds,
        "mb": size / 1e6,
        "rss_10": 0,
        "rss_50": 0,
        "rss_peak": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def run_child(*args: str) -> dict:
    output = subprocess.run(
        [sys.executable, __file__, "--child", *args], check=True, capture_output=True, text=True
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def print_chunk_plan() -> None:
    """The plans of a chunk's five queries, 900,000 customers into the company."""
    company = demo_company(COMPANY)
    with scope(company=company):
        queryset = services.Customer.objects.filter(company=company)
        deep = queryset.order_by("-pk").values_list("pk", flat=True)[900_000]
        with CaptureQueriesContext(connection) as captured:
            next(services._chunks(company, queryset.filter(pk__lte=deep)))
    print(f"\nThe queries of one chunk, 900,000 customers deep ({len(captured.captured_queries)} queries):")
    for index, query in enumerate(captured.captured_queries, start=1):
        print_plan(f"chunk query {index}", query["sql"], full=False)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    parser.add_argument("--only", choices=[*CASES, "ceiling"], help="one case")
    args = parser.parse_args()
    if args.child:
        kind, *rest = args.child
        print(json.dumps(ceiling(int(rest[0])) if kind == "ceiling" else child(kind)))
        return 0

    cases = [] if args.only == "ceiling" else [args.only] if args.only else ["region", "all"]
    reports = []
    for case in cases:
        reports.append(run_child(case))
        print(f"done: {reports[-1]['case']}", flush=True)
    if args.only in (None, "ceiling"):
        for rows in [report["rows"] for report in reports] or [1_000_000]:
            reports.append(run_child("ceiling", str(rows)))

    print(
        f"\n{'case':32} {'rows':>9} {'cols':>4} {'seconds':>8} {'rows/s':>7} {'MB':>6} "
        f"{'RSS 10%':>8} {'RSS 50%':>8} {'peak':>6}"
    )
    for report in reports:
        print(
            f"{report['case']:32} {report['rows']:9d} {report['columns']:4d} {report['seconds']:8.1f} "
            f"{report['rows'] / report['seconds']:7.0f} {report['mb']:6.1f} "
            f"{report['rss_10']:8.0f} {report['rss_50']:8.0f} {report['rss_peak']:6.0f}"
        )
    if not args.only:
        print_chunk_plan()
    exports = {report["case"]: report for report in reports if not report["case"].startswith("bare")}
    if "all" in exports and "filter region=Москва" in exports:
        growth = exports["all"]["rss_peak"] / exports["filter region=Москва"]["rss_peak"]
        print(f"\npeak RSS, 1M rows against ~100k rows: x{growth:.2f}")
        if growth > 1.5:
            print("FAIL: the worker's memory grows with the row count")
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
