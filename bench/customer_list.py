"""Times the customer list of the seeded company against the SQL it emits, and checks its plans.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/crm_bench .venv/bin/python bench/customer_list.py

Each case is one GET of the real view (django.test.Client, signed in as the demo owner), timed
against its database floor: the very SQL the page emitted, captured once and run again directly
through a cursor. A warm-up, then rounds alternating app and floor; medians and their ratio.

Exits 1 when a plan check fails (a search that does not use the trigram index, a list that scans
or sorts the whole company instead of reading an index) or an app median exceeds --budget-ms.
See bench/README.md.
"""

import argparse
import json
import os
import re
import resource
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

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
TRGM_INDEX = "customer_search_trgm_idx"
CUSTOMERS = "customers_customer"
# A scan or Sort over more rows than this reads the company instead of an index.
WHOLE_COMPANY_ROWS = 50_000
DECLARE = re.compile(r'^DECLARE "[^"]+" .*?CURSOR (?:WITH(?:OUT)? HOLD )?FOR ')
CSRF = re.compile(r"\b[A-Za-z0-9]{64}\b")  # masked CSRF tokens differ on every response


class Case:
    def __init__(self, what: str, kind: str, **query):
        self.what, self.kind = what, kind
        self.url = "/customers/" + ("?" + urlencode(query) if query else "")


# kind "list": the order must come from an index; kind "search": the trigram index must serve it.
CASES = [
    Case("default page", "list"),
    Case("search phone '916 123'", "search", q="916 123"),
    Case("search phone '8 916 12'", "search", q="8 916 12"),
    Case("search name 'Смирн'", "search", q="Смирн"),
    Case("search name 'Зайцева Вер'", "search", q="Зайцева Вер"),
    Case("search email 'ivan'", "search", q="ivan"),
    Case("sort -orders_sum", "list", sort="-orders_sum"),
    Case("sort -orders_count", "list", sort="-orders_count"),
    Case("sort -last_order_at", "list", sort="-last_order_at"),
    Case("sort last_order_at", "list", sort="last_order_at"),
    Case("sort full_name", "list", sort="full_name"),
    Case("deep page 2000", "list", page=2000),
    Case("last page 50000", "list", page=50000),
]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--company", default="Demo Shop")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--budget-ms", type=float, default=300.0, help="fail when an app median exceeds it; 0: off")
    parser.add_argument("--only", help="run only the cases whose name contains this text")
    parser.add_argument("--plans", action="store_true", help="print the whole EXPLAIN output of each query")
    args = parser.parse_args()

    if connection.vendor != "postgresql":
        print("The benchmark needs the seeded PostgreSQL database: set DATABASE_URL.", file=sys.stderr)
        return 2
    company = Company.objects.filter(name=args.company).first()
    if company is None:
        print(f"No company {args.company!r}: run `manage.py seed_demo --customers 1000000` first.", file=sys.stderr)
        return 2
    client = signed_in_client(company)
    total = company_size(company)
    print(f"{args.company}: {total} customers; warm-up + {args.rounds} alternating rounds; medians in ms")
    print(f"{'what':<26} {'app':>7} {'SQL':>7} {'ratio':>6} {'queries':>7} {'matches':>8}  slowest query")

    failures, reports = [], []
    for case in CASES:
        if args.only and args.only not in case.what:
            continue
        report = measure(client, case, args.rounds)
        reports.append(report)
        print(
            f"{case.what:<26} {report['app']:7.1f} {report['sql']:7.1f} {report['app'] / report['sql']:6.2f} "
            f"{len(report['queries']):7d} {report['matches']:>8}  {report['slowest']}",
            flush=True,
        )
        if args.budget_ms and report["app"] > args.budget_ms:
            failures.append(f"{case.what}: {report['app']:.0f} ms is over the {args.budget_ms:.0f} ms budget")

    print("\nPlans of the list queries (EXPLAIN ANALYZE, BUFFERS; key lines, --plans for all):")
    for report in reports:
        failures += check_plans(report, full=args.plans)

    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\nmax RSS of this process: {rss:.0f} MB")
    if failures:
        print("\nFAILED:\n  " + "\n  ".join(failures), file=sys.stderr)
        return 1
    print("All checks passed.")
    return 0


def signed_in_client(company: Company) -> Client:
    client = Client()
    client.force_login(User.objects.get(email=OWNER_EMAIL))
    session = client.session
    session["company_id"] = company.pk  # companies.middleware.SESSION_KEY: the current company
    session.save()
    return client


def company_size(company: Company) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {CUSTOMERS} WHERE company_id = %s", [company.pk])
        return cursor.fetchone()[0]


# Timing ------------------------------------------------------------------------------------------


def get(client: Client, url: str) -> str:
    response = client.get(url)
    if response.status_code != 200:
        raise SystemExit(f"{url} answered {response.status_code}")
    return response.content.decode()


def measure(client: Client, case: Case, rounds: int) -> dict:
    with CaptureQueriesContext(connection) as captured:
        html = get(client, case.url)
    # A server-side cursor (a ModelChoiceField iterates its queryset) is logged as its DECLARE; the
    # floor runs the SELECT inside it.
    queries = [DECLARE.sub("", q["sql"]) for q in captured.captured_queries]
    run_sql(queries)  # warms the floor too

    app_times, sql_times, per_query = [], [], [[] for _query in queries]
    for _round in range(rounds):
        started = time.perf_counter()
        get(client, case.url)
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


def alternate(rounds: int, before, after) -> tuple[float, float]:
    """Median ms of two callables run A, B, A, B … after one warm-up of each."""
    before(), after()
    times = ([], [])
    for _round in range(rounds):
        for i, call in enumerate((before, after)):
            started = time.perf_counter()
            call()
            times[i].append((time.perf_counter() - started) * 1000)
    return statistics.median(times[0]), statistics.median(times[1])


def total_count(html: str) -> str:
    found = re.search(r'data-testid="total-count">([^<]*)<', html)
    return re.sub(r"\D", "", found.group(1)) if found else "?"


def summarize(sql: str) -> str:
    sql = re.sub(r"SELECT .*? FROM", "SELECT … FROM", sql, count=1, flags=re.S)
    return (sql[:80] + "…") if len(sql) > 80 else sql


# Plans -------------------------------------------------------------------------------------------


def list_queries(queries: list[str]) -> dict[str, str]:
    """The page's COUNT and its page SELECT on the customers table."""
    found = {}
    for sql in queries:
        if f'FROM "{CUSTOMERS}"' not in sql:
            continue
        if sql.startswith("SELECT COUNT(*)"):
            found["count"] = sql
        elif "LIMIT" in sql:
            found["page"] = sql
    return found


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


KEY_LINE = re.compile(r"->|^\S|Index Cond|Filter|Sort Key|Sort Method|Heap Fetches|Buffers: shared")


def check_plans(report: dict, *, full: bool) -> list[str]:
    case, failures = report["case"], []
    print(f"\n== {case.what} ({case.url})")
    for role, sql in list_queries(report["queries"]).items():
        plan = explain(sql, "JSON")
        lines = explain(sql, "TEXT")
        print(f"  [{role}] execution {plan['Execution Time']:.1f} ms")
        for line in lines if full else [line for line in lines if KEY_LINE.search(line)]:
            if full or not line.startswith("Planning"):
                print("    " + line)
        failures += plan_failures(case, role, list(nodes(plan["Plan"])))
    return failures


def plan_failures(case: Case, role: str, plan_nodes: list[dict]) -> list[str]:
    failures = []
    where = f"{case.what} [{role}]"
    for node in plan_nodes:
        if node["Node Type"] == "Seq Scan" and node.get("Relation Name") == CUSTOMERS:
            failures.append(f"{where}: Seq Scan on {CUSTOMERS} ({rows_read(node)} rows)")
        if node["Node Type"] == "Sort" and case.kind == "list":
            sorted_rows = sum(rows_read(child) for child in node.get("Plans", []))
            if sorted_rows > WHOLE_COMPANY_ROWS:
                failures.append(f"{where}: sorts {sorted_rows} rows instead of reading them in order from an index")
    if case.kind == "search":
        uses_trigram = any(node.get("Index Name") == TRGM_INDEX for node in plan_nodes)
        # For a frequent term the planner may rightly walk the sort index and stop after one page of
        # matches; that is fine as long as the walk stops early. The COUNT must use the index.
        walked = max((rows_read(n) for n in plan_nodes if n.get("Relation Name") == CUSTOMERS), default=0)
        if not uses_trigram and (role == "count" or walked > WHOLE_COMPANY_ROWS):
            failures.append(f"{where}: does not use {TRGM_INDEX} (reads {walked} rows)")
    return failures


if __name__ == "__main__":
    sys.exit(main())
