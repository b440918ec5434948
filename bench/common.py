"""What the benchmarks share: Django set up for a seeded PostgreSQL, a signed-in client, timing
of a page against its own SQL (the database floor), and EXPLAIN helpers. See bench/README.md."""

import json
import os
import re
import resource
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
# DEBUG=1 only while settings load: it allows running without SECRET_KEY and picks the plain static
# storage (no collectstatic manifest needed). The requests themselves run with DEBUG off, below.
os.environ["DEBUG"] = "1"

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from companies.models import Company, User  # noqa: E402

settings.DEBUG = False  # the production path: no query log, no template debug information
settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]

OWNER_EMAIL = "owner@demo.example"
# A scan or Sort over more rows than this reads the company instead of an index.
WHOLE_COMPANY_ROWS = 50_000
DECLARE = re.compile(r'^DECLARE "[^"]+" .*?CURSOR (?:WITH(?:OUT)? HOLD )?FOR ')
KEY_LINE = re.compile(r"->|^\S|Index Cond|Filter|Sort Key|Sort Method|Heap Fetches|Buffers: shared")


class Case:
    def __init__(self, what: str, kind: str, url: str, headers: dict | None = None):
        self.what, self.kind, self.url, self.headers = what, kind, url, headers or {}


def demo_company(name: str) -> Company:
    if connection.vendor != "postgresql":
        raise SystemExit("The benchmark needs the seeded PostgreSQL database: set DATABASE_URL.")
    company = Company.objects.filter(name=name).first()
    if company is None:
        raise SystemExit(f"No company {name!r}: run `manage.py seed_demo --customers 1000000` first.")
    return company


def signed_in_client(company: Company) -> Client:
    client = Client()
    client.force_login(User.objects.get(email=OWNER_EMAIL))
    session = client.session
    session["company_id"] = company.pk  # companies.middleware.SESSION_KEY: the current company
    session.save()
    return client


def count_rows(table: str, company: Company) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {table} WHERE company_id = %s", [company.pk])
        return cursor.fetchone()[0]


# Timing ------------------------------------------------------------------------------------------


def get(client: Client, case: Case) -> str:
    response = client.get(case.url, headers=case.headers)
    if response.status_code != 200:
        raise SystemExit(f"{case.url} answered {response.status_code}")
    return response.content.decode()


def measure(client: Client, case: Case, rounds: int) -> dict:
    with CaptureQueriesContext(connection) as captured:
        html = get(client, case)
    # A server-side cursor (a ModelChoiceField iterates its queryset) is logged as its DECLARE; the
    # floor runs the SELECT inside it.
    queries = [DECLARE.sub("", q["sql"]) for q in captured.captured_queries]
    run_sql(queries)  # warms the floor too

    app_times, sql_times, per_query = [], [], [[] for _query in queries]
    for _round in range(rounds):
        started = time.perf_counter()
        get(client, case)
        app_times.append((time.perf_counter() - started) * 1000)
        sql_times.append(sum(run_sql(queries, per_query)))
    medians = [statistics.median(times) for times in per_query]
    slowest = max(range(len(queries)), key=medians.__getitem__)
    return {
        "case": case,
        "app": statistics.median(app_times),
        "sql": statistics.median(sql_times),
        "queries": queries,
        "matches": total_count(html),
        "slowest": f"{medians[slowest]:.1f}: {summarize(queries[slowest])}",
    }


def print_header(rounds: int) -> None:
    print(f"warm-up + {rounds} alternating rounds; medians in ms")
    print(f"{'what':<30} {'app':>7} {'SQL':>7} {'ratio':>6} {'queries':>7} {'matches':>8}  slowest query")


def print_report(report: dict) -> None:
    print(
        f"{report['case'].what:<30} {report['app']:7.1f} {report['sql']:7.1f} {report['app'] / report['sql']:6.2f} "
        f"{len(report['queries']):7d} {report['matches']:>8}  {report['slowest']}",
        flush=True,
    )


def run_sql(queries: list[str], per_query: list[list[float]] | None = None) -> list[float]:
    """Runs the captured statements (parameters already inlined) and fetches every row."""
    times = []
    with connection.cursor() as cursor:
        for i, sql in enumerate(queries):
            started = time.perf_counter()
            cursor.execute(sql)
            if cursor.description is not None:
                cursor.fetchall()
            elapsed = (time.perf_counter() - started) * 1000
            times.append(elapsed)
            if per_query is not None:
                per_query[i].append(elapsed)
    return times


def total_count(html: str) -> str:
    """The "N customers" / "N orders" line under a results table."""
    found = re.search(r'data-testid="total-count">([^<]*)<', html)
    return re.sub(r"\D", "", found.group(1)) if found else "?"


def page_queries(queries: list[str], table: str) -> dict[str, str]:
    """A list page's COUNT and its page SELECT on `table`."""
    found = {}
    for sql in queries:
        if f'FROM "{table}"' not in sql:
            continue
        if sql.startswith("SELECT COUNT(*)"):
            found["count"] = sql
        elif "LIMIT" in sql:
            found["page"] = sql
    return found


def summarize(sql: str) -> str:
    sql = re.sub(r"SELECT .*? FROM", "SELECT … FROM", sql, count=1, flags=re.S)
    return (sql[:80] + "…") if len(sql) > 80 else sql


# Plans -------------------------------------------------------------------------------------------


def explain(sql: str, fmt: str):
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS, FORMAT {fmt}) {sql}")
        rows = cursor.fetchall()
    if fmt == "JSON":
        plan = rows[0][0]
        return (json.loads(plan) if isinstance(plan, str) else plan)[0]
    return [row[0] for row in rows]


def nodes(node: dict):
    yield node
    for child in node.get("Plans", []):
        yield from nodes(child)


def rows_read(node: dict) -> int:
    loops = node.get("Actual Loops", 1)
    return (node.get("Actual Rows", 0) + node.get("Rows Removed by Filter", 0)) * loops


def print_plan(role: str, sql: str, *, full: bool) -> list[dict]:
    """Prints the key lines of the query's plan (all with `full`) and returns its nodes."""
    plan = explain(sql, "JSON")
    lines = explain(sql, "TEXT")
    print(f"  [{role}] execution {plan['Execution Time']:.1f} ms")
    for line in lines if full else [line for line in lines if KEY_LINE.search(line)]:
        if full or not line.startswith("Planning"):
            print("    " + (line if full or len(line) < 200 else line[:200] + "…"))  # long IN lists
    return list(nodes(plan["Plan"]))


def whole_table_failures(where: str, kind: str, plan_nodes: list[dict], table: str) -> list[str]:
    """A Seq Scan of the table, or (for a list) a Sort of more than a page's worth of rows."""
    failures = []
    for node in plan_nodes:
        if node["Node Type"] == "Seq Scan" and node.get("Relation Name") == table:
            failures.append(f"{where}: Seq Scan on {table} ({rows_read(node)} rows)")
        if node["Node Type"] == "Sort" and kind == "list":
            sorted_rows = sum(rows_read(child) for child in node.get("Plans", []))
            if sorted_rows > WHOLE_COMPANY_ROWS:
                failures.append(f"{where}: sorts {sorted_rows} rows instead of reading them in order from an index")
    return failures


def finish(failures: list[str], *, report_memory: bool = False) -> int:
    """The benchmark's last lines and exit status: the failed checks, or that all passed."""
    if report_memory:
        print(f"\nmax RSS of this process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    if failures:
        print("\nFAILED:\n  " + "\n  ".join(failures), file=sys.stderr)
        return 1
    print("All checks passed.")
    return 0
