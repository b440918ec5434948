"""Times the company data archive (the zip of the customers' workbook and every table as JSON Lines)
of the million-customer company against PostgreSQL COPY and a bare JSON loop, and watches its memory.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/crm_bench .venv/bin/python bench/archive.py

The build runs in a fresh child process, as a worker would: `services.request_archive` for the demo
owner, then `services.build_export` (the customers' workbook, each table of `exports.archive.TABLES`
by keyset chunks of 2,000, the README, the stored zip, the email). The child records when each part
of the zip starts, the rows written and the process's RSS at every progress update, and counts the
queries of each table. `--only json` builds the JSON Lines part alone (`archive.write_tables` into
a zip), for a quicker before/after.

The floors, per table and with the same columns (a staff member's email by a join): (a) `COPY
(SELECT … WHERE company_id = …) TO STDOUT` read into nothing, the database's own speed; (b) the same
SELECT through one server-side cursor (itersize 2,000) with each row json-encoded by the archive's
encoder and written to /dev/null, and (b+z) that loop deflating into a zlib stream as the zip does.
Floor rounds run before and after the build (alternating); the report uses their median.
Then the plan of a keyset chunk 90% into the largest tables. Exits 1 when the RSS at the end of the
JSON part exceeds the RSS after its first 100,000 rows by more than 1.5 times, or a keyset query does
a Sort. See bench/README.md.
"""

import argparse
import itertools
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
import zlib
from pathlib import Path

from common import OWNER_EMAIL, ROOT, demo_company, finish, print_plan
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django_scopes import scope

from companies.models import User
from config.celery import app
from exports import archive, services
from exports.models import Export

COMPANY = "Demo Shop"
PAGE_SIZE = 4096


def rss_mb() -> float:
    return int(Path("/proc/self/statm").read_text().split()[1]) * PAGE_SIZE / 2**20


class QueryCounter:
    """Counts the queries by the table they read first (execute_wrapper: no query log)."""

    def __init__(self):
        self.by_table: dict[str, int] = {}
        self.total = 0

    def __call__(self, execute, sql, params, many, context):
        self.total += 1
        found = sql.split(' FROM "', 1)
        table = found[1].split('"', 1)[0] if len(found) == 2 else sql.split(None, 2)[0]
        self.by_table[table] = self.by_table.get(table, 0) + 1
        return execute(sql, params, many, context)


def child(only: str, company_name: str) -> dict:
    """Builds the archive (or its JSON part) in this process and reports its figures."""
    app.conf.task_always_eager = True  # the email task too, as one worker would run it
    company = demo_company(company_name)
    owner = User.objects.get(email=OWNER_EMAIL)
    marks: list[tuple[str, float, int]] = []  # (part, started, rows written before it)
    samples: list[tuple[int, float]] = []  # (rows written, RSS MB) at every progress update
    written = 0

    class TimedZip(zipfile.ZipFile):
        def open(self, name, mode="r", **kwargs):
            if mode == "w" and isinstance(name, str):  # writestr opens a ZipInfo: marked already
                marks.append((name, time.monotonic(), written))
            return super().open(name, mode, **kwargs)

        def write(self, filename, arcname=None, **kwargs):
            marks.append((f"{arcname} (deflate)", time.monotonic(), written))
            return super().write(filename, arcname, **kwargs)

        def writestr(self, name, data, **kwargs):
            marks.append((str(getattr(name, "filename", name)), time.monotonic(), written))
            return super().writestr(name, data, **kwargs)

    def open_archive(path):
        return TimedZip(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6)

    real_progress, real_workbook = services._progress, services._write_workbook

    def progress(export, **fields):
        nonlocal written
        if "rows_written" in fields:
            written = fields["rows_written"]
            samples.append((written, rss_mb()))
        real_progress(export, **fields)

    def write_workbook(*args, **kwargs):
        marks.append(("customers.xlsx (cells)", time.monotonic(), written))
        return real_workbook(*args, **kwargs)

    archive.open_archive, services._progress, services._write_workbook = open_archive, progress, write_workbook
    counter = QueryCounter()
    with scope(company=company), connection.execute_wrapper(counter):
        started = time.monotonic()
        marks.append(("counts", started, 0))
        if only == "json":
            export = Export.objects.create(
                company=company, requested_by=owner, email=owner.email, audience=Export.Audience.ARCHIVE
            )
            Export.objects.filter(pk=export.pk).update(status=Export.Status.RUNNING)
            with tempfile.TemporaryDirectory() as folder:
                path = Path(folder) / "tables.zip"
                with open_archive(path) as zipped:
                    archive.write_tables(company, zipped, lambda rows: progress(export, rows_written=written + rows))
                    marks.append(("end", time.monotonic(), written))
                size, rows = path.stat().st_size, written
            export.delete()
        else:
            with transaction.atomic():
                export = services.request_archive(company, user=owner)
            services.build_export(company, export.pk)
            marks.append(("end", time.monotonic(), written))
            export.refresh_from_db()
            assert export.status == Export.Status.DONE, export.error
            size, rows = export.size, export.rows_written
            services.export_storage().delete(export.file_name)
            export.delete()
        seconds = time.monotonic() - started
    parts = []
    for (name, at, before), (_next, until, after) in itertools.pairwise(marks):
        parts.append({"part": name, "seconds": until - at, "rows": after - before})
    return {
        "only": only,
        "seconds": seconds,
        "rows": rows,
        "mb": size / 1e6,
        "parts": parts,
        "samples": samples,
        "queries": counter.by_table,
        "rss_peak": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def table_sql(company, table: archive.Table) -> tuple[str, list[str], int]:
    """The SELECT of a table's archive columns for the company (parameters inlined), its JSON keys
    and its row count."""
    columns = archive._columns(table.model)
    queryset = table.model._default_manager.filter(company=company).order_by().values_list("pk", *columns.values())
    sql, params = queryset.query.sql_with_params()
    return connection.ops.compose_sql(sql, params), list(columns), queryset.count()


def floors(company) -> list[dict]:
    """Per table: (a) COPY … TO STDOUT into nothing; (b) server-side cursor + json encode; (b+z) with
    deflate."""
    encoder = DjangoJSONEncoder(ensure_ascii=False)
    results = []
    raw = connection.connection
    for table in archive.TABLES:
        sql, keys, count = table_sql(company, table)
        started = time.perf_counter()
        with raw.cursor() as cursor, cursor.copy(f"COPY ({sql}) TO STDOUT") as copy:
            copied = sum(len(block) for block in copy)
        copy_seconds = time.perf_counter() - started
        timings = {}
        for deflate in (False, True):
            compressor = zlib.compressobj(6, zlib.DEFLATED, -15)
            out_bytes = 0
            started = time.perf_counter()
            with (
                transaction.atomic(),
                Path("/dev/null").open("wb") as sink,
                raw.cursor(name=f"floor_{table.name}") as cursor,
            ):
                cursor.itersize = 2000
                cursor.execute(sql)
                while rows := cursor.fetchmany(2000):
                    data = "".join(encoder.encode(dict(zip(keys, row[1:], strict=True))) + "\n" for row in rows)
                    data = data.encode()
                    if deflate:
                        data = compressor.compress(data)
                    out_bytes += len(data)
                    sink.write(data)
            if deflate:
                out_bytes += len(compressor.flush())
            timings["json_z" if deflate else "json"] = time.perf_counter() - started
        results.append({"table": table.name, "rows": count, "copy": copy_seconds, "copy_mb": copied / 1e6, **timings})
        print(
            f"  floor {table.name}: {count} rows, COPY {copy_seconds:.1f} s, json {timings['json']:.1f} s", flush=True
        )
    return results


def run_child(only: str, company: str) -> dict:
    output = subprocess.run(
        [sys.executable, __file__, "--child", only, "--company", company], check=True, capture_output=True, text=True
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def keyset_plans(company, tables: list[str]) -> list[str]:
    """The plan of one chunk's keyset query 90% into each of `tables`; a Sort is a failure."""
    failures = []
    for table in archive.TABLES:
        if table.name not in tables:
            continue
        columns = archive._columns(table.model)
        queryset = table.model._default_manager.filter(company=company).order_by("pk")
        count = queryset.count()
        if not count:
            continue
        deep = queryset.values_list("pk", flat=True)[count * 9 // 10]
        chunk = queryset.filter(pk__gt=deep).values_list("pk", *columns.values())[: archive.CHUNK]
        sql, params = chunk.query.sql_with_params()
        print(f"\n== {table.name}: a keyset chunk 90% in")
        plan_nodes = print_plan(table.name, connection.ops.compose_sql(sql, params), full=False)
        failures += [f"{table.name}: the keyset chunk sorts" for node in plan_nodes if node["Node Type"] == "Sort"]
        if table.name == "order_status_changes":  # the count at the start, of the largest table
            count_sql, count_params = (
                table.model._default_manager.filter(company=company).order_by().values("pk").query.sql_with_params()
            )
            print_plan(
                "count", f"SELECT count(*) FROM ({connection.ops.compose_sql(count_sql, count_params)}) c", full=False
            )
    return failures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--only", choices=["json"], help="the JSON Lines part alone")
    parser.add_argument("--company", default=COMPANY)
    parser.add_argument("--floor-rounds", type=int, default=2, help="1: after the build only; 0: none")
    parser.add_argument("--save", default=str(ROOT / "var" / "bench_archive.json"), help="the figures go here")
    parser.add_argument("--load", help="report the figures saved by an earlier run")
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.company)))
        return 0
    with scope(company=demo_company(args.company)):
        return measure_archive(args)


def measure_archive(args) -> int:

    company = demo_company(args.company)
    if args.load:
        report, floor_rounds = json.loads(Path(args.load).read_text())
    else:
        floor_rounds = []
        if args.floor_rounds > 1:
            print("floors, round 1", flush=True)
            floor_rounds.append(floors(company))
        report = run_child(args.only or "all", args.company)
        print(f"done: the build, {report['seconds']:.0f} s", flush=True)
        if args.floor_rounds > 0:
            print("floors, after the build", flush=True)
            floor_rounds.append(floors(company))
        Path(args.save).parent.mkdir(parents=True, exist_ok=True)
        Path(args.save).write_text(json.dumps([report, floor_rounds]))

    print(f"\n{'part':30} {'rows':>10} {'seconds':>8} {'rows/s':>8}")
    for part in report["parts"]:
        rate = part["rows"] / part["seconds"] if part["rows"] and part["seconds"] else 0
        print(f"{part['part']:30} {part['rows']:10d} {part['seconds']:8.1f} {rate:8.0f}")
    print(f"{'total':30} {report['rows']:10d} {report['seconds']:8.1f} {report['rows'] / report['seconds']:8.0f}")
    print(f"zip {report['mb']:.1f} MB, peak RSS {report['rss_peak']:.0f} MB")

    app_by_table = {part["part"].removesuffix(".jsonl"): part for part in report["parts"]}
    failures = []
    if floor_rounds:
        print(
            f"\n{'table':22} {'rows':>9} {'app s':>7} {'COPY s':>7} {'json s':>7} {'json+z s':>8} "
            f"{'/COPY':>6} {'/json':>6} {'/json+z':>7} {'queries':>7} {'per chunk':>9}"
        )
        sums = {"app": 0.0, "copy": 0.0, "json": 0.0, "json_z": 0.0}
        for index, table in enumerate(archive.TABLES):
            runs = [each[index] for each in floor_rounds]
            floor = {key: statistics.median(run[key] for run in runs) for key in ("copy", "json", "json_z")}
            app_s = app_by_table[table.name]["seconds"]
            for key in floor:
                sums[key] += floor[key]
            sums["app"] += app_s
            rows = runs[0]["rows"]
            queries = report["queries"].get(table.model._meta.db_table, 0)
            chunks = max(1, -(-rows // archive.CHUNK))
            print(
                f"{table.name:22} {rows:9d} {app_s:7.1f} {floor['copy']:7.1f} {floor['json']:7.1f} "
                f"{floor['json_z']:8.1f} {app_s / floor['copy']:6.1f} {app_s / floor['json']:6.2f} "
                f"{app_s / floor['json_z']:7.2f} {queries:7d} {queries / chunks:9.2f}"
            )
        print(
            f"{'JSON part':22} {'':9} {sums['app']:7.1f} {sums['copy']:7.1f} {sums['json']:7.1f} "
            f"{sums['json_z']:8.1f} {sums['app'] / sums['copy']:6.1f} {sums['app'] / sums['json']:6.2f} "
            f"{sums['app'] / sums['json_z']:7.2f}"
        )
    progress_updates = report["queries"].get("exports_export", 0)
    print(
        f"queries: {sum(report['queries'].values())} in all, {progress_updates} on exports_export "
        f"(progress updates), by table: {report['queries']}"
    )

    json_start = next(part for part in report["parts"] if part["part"] == "customers.jsonl")
    start_rows = sum(part["rows"] for part in report["parts"][: report["parts"].index(json_start)])
    json_samples = [(rows - start_rows, rss) for rows, rss in report["samples"] if rows > start_rows]
    everything = report["samples"] or [(0, 0.0)]
    json_samples = json_samples or everything
    at_100k = next((rss for rows, rss in json_samples if rows >= 100_000), json_samples[-1][1])
    at_end = json_samples[-1][1]
    first_100k = next((rss for rows, rss in everything if rows >= 100_000), everything[-1][1])
    print(
        f"\nRSS: after the first 100,000 rows of the build {first_100k:.0f} MB, after 100,000 JSON rows "
        f"{at_100k:.0f} MB, at the end ({everything[-1][0]} rows) {at_end:.0f} MB, peak {report['rss_peak']:.0f} MB"
    )
    if at_end > 1.5 * at_100k:
        failures.append(
            f"the RSS grows with the rows: {at_100k:.0f} MB after 100k JSON rows, {at_end:.0f} MB at the end"
        )

    failures += keyset_plans(company, ["customers", "orders", "order_items", "order_status_changes", "customer_phones"])
    return finish(failures)


if __name__ == "__main__":
    sys.exit(main())
