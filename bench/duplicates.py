"""Times the search for possible duplicates over the seeded company, and the pages that show them.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/crm_bench .venv/bin/python bench/duplicates.py

First `customers.duplicates.scan` of the whole company (every phone and email grouped by its
normalized key), --scan-rounds times, with the key lines of the plans of its two grouped passes.
seed_demo leaves about one "legacy twin" per 500 customers (the same name, the number saved under
+1); a company without any pair gets TWINS of them here first, made the same way, and the pairs
table is vacuumed and analyzed. Then the list of pairs (first page and page 50) and one pair side
by side, with the same method as customer_list.py.

Exits 1 when an app median exceeds --budget-ms. (A Seq Scan of the pairs is no failure: a
company has a few thousand open pairs, a few dozen pages, which the planner rightly reads whole.)
See bench/README.md.
"""

import argparse
import statistics
import sys
import time

from common import (
    Case,
    count_rows,
    demo_company,
    finish,
    measure,
    page_queries,
    print_header,
    print_plan,
    print_report,
    signed_in_client,
    summarize,
)
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_scopes import scope, scopes_disabled

from companies.models import Company
from customers.duplicates import open_pairs, scan
from customers.management.commands.seed_demo import Command
from customers.models import DuplicateCandidate

PAIRS = "customers_duplicatecandidate"
PHONES = "customers_customerphone"
EMAILS = "customers_customeremail"
TWINS = 2_000


def prepare(company: Company) -> None:
    """seed_demo's twin cards, only for a company that has no pair at all (the method scans too),
    then the pairs' planner statistics: seed_demo finds the pairs after its VACUUM (ANALYZE), and a
    server without autovacuum would plan the pages for a table it believes empty."""
    with scopes_disabled():
        if not DuplicateCandidate.objects.filter(company=company).exists():
            Command()._add_legacy_twins(company, TWINS)
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM (ANALYZE) {PAIRS}")


def time_scan(company: Company, rounds: int) -> dict:
    """Runs the scan `rounds` times; the first run's statements are kept for their plans."""
    times, new = [], []
    for round_ in range(rounds):
        with scope(company=company), CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            new.append(scan(company))
            times.append(time.perf_counter() - started)
        if round_ == 0:
            queries = [query["sql"] for query in captured.captured_queries]
    return {"times": times, "new": new, "queries": queries}


def print_scan(company: Company, result: dict) -> None:
    runs = ", ".join(f"{seconds:.1f}" for seconds in result["times"])
    print(
        f"scan: median {statistics.median(result['times']):.1f} s (runs: {runs}); "
        f"{count_rows(PAIRS, company)} pairs known, new per run: {result['new']}"
    )
    for sql in result["queries"]:
        print(f"  {summarize(sql)}")


def cases(company: Company) -> list[Case]:
    with scope(company=company):
        pair = open_pairs(company).first()
    if pair is None:
        raise SystemExit("No open pair: every pair has been dismissed.")
    return [
        Case("list: first page", "list", "/customers/duplicates/"),
        Case("list: page 50", "list", "/customers/duplicates/?page=50"),
        Case(f"pair #{pair.pk}", "pair", f"/customers/duplicates/{pair.pk}/"),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--company", default="Demo Shop")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--scan-rounds", type=int, default=3)
    parser.add_argument("--budget-ms", type=float, default=1000.0, help="fail when an app median exceeds it; 0: off")
    parser.add_argument("--plans", action="store_true", help="print the whole EXPLAIN output of each query")
    parser.add_argument("--no-scan", action="store_true", help="skip timing the scan")
    args = parser.parse_args()

    company = demo_company(args.company)
    prepare(company)
    failures = []
    if not args.no_scan:
        phones, emails = (count_rows(table, company) for table in (PHONES, EMAILS))
        print(f"{args.company}: {phones} phones, {emails} emails")
        result = time_scan(company, args.scan_rounds)
        print_scan(company, result)
        print("\nPlans of the scan's grouped passes (EXPLAIN ANALYZE, BUFFERS; key lines, --plans for all):")
        for sql in result["queries"]:
            if "GROUP BY" in sql:  # the other two statements read a few thousand rows by primary key
                print(f"\n== {summarize(sql)}")
                print_plan("scan", sql, full=args.plans)
        print()

    client = signed_in_client(company)
    print_header(args.rounds)
    reports = []
    for each in cases(company):
        report = measure(client, each, args.rounds)
        reports.append(report)
        print_report(report)
        if args.budget_ms and report["app"] > args.budget_ms:
            failures.append(f"{each.what}: {report['app']:.0f} ms is over the {args.budget_ms:.0f} ms budget")

    print("\nPlans of the pairs queries (EXPLAIN ANALYZE, BUFFERS; key lines, --plans for all):")
    for report in reports:
        print(f"\n== {report['case'].what} ({report['case'].url})")
        for role, sql in page_queries(report["queries"], PAIRS).items():
            print_plan(role, sql, full=args.plans)

    return finish(failures, report_memory=True)


if __name__ == "__main__":
    sys.exit(main())
