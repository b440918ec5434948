"""Times the start page of the seeded company against the SQL it emits, and checks its plans.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/crm_bench .venv/bin/python bench/start_page.py

One GET of `/` (django.test.Client, signed in as the demo owner, DEBUG off) timed against its
database floor: the very SQL the page emitted, captured once and run again directly through a
cursor. A warm-up, then rounds alternating app and floor; medians and their ratio. Then one line per
figure query (median of its own runs) and the key lines of its plan.

Exits 1 when a figure query does a Seq Scan of customers, orders or notes, or the app median
exceeds --budget-ms (200 by default; 0 turns it off). See bench/README.md.
"""

import argparse
import resource
import statistics
import sys

from common import (
    Case,
    count_rows,
    demo_company,
    measure,
    print_header,
    print_plan,
    print_report,
    run_sql,
    signed_in_client,
    summarize,
    whole_table_failures,
)

TABLES = ("customers_customer", "orders_order", "customers_note")
# The request's own bookkeeping, not the page's figures.
BOOKKEEPING = ('FROM "django_session"', 'FROM "companies_user"', 'FROM "companies_membership"')

CASES = [Case("start page", "figures", "/")]


def figure_queries(queries: list[str]) -> list[str]:
    return [sql for sql in queries if not any(table in sql for table in BOOKKEEPING)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--company", default="Demo Shop")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--budget-ms", type=float, default=200.0, help="fail when the app median exceeds it; 0: off")
    parser.add_argument("--plans", action="store_true", help="print the whole EXPLAIN output of each query")
    args = parser.parse_args()

    company = demo_company(args.company)
    client = signed_in_client(company)
    print(
        f"{args.company}: {count_rows('customers_customer', company)} customers, "
        f"{count_rows('orders_order', company)} orders, {count_rows('customers_note', company)} notes"
    )
    print_header(args.rounds)

    failures, reports = [], []
    for each in CASES:
        report = measure(client, each, args.rounds)
        reports.append(report)
        print_report(report)
        if args.budget_ms and report["app"] > args.budget_ms:
            failures.append(f"{each.what}: {report['app']:.0f} ms is over the {args.budget_ms:.0f} ms budget")

    for report in reports:
        figures = figure_queries(report["queries"])
        per_query = [[] for _sql in figures]
        for _round in range(args.rounds):
            run_sql(figures, per_query)
        print(f"\nFigure queries of {report['case'].what} (median of {args.rounds} runs, ms):")
        for sql, times in zip(figures, per_query, strict=True):
            print(f"  {statistics.median(times):7.1f}  {summarize(sql)}")
        print("\nPlans (EXPLAIN ANALYZE, BUFFERS; key lines, --plans for all):")
        for n, sql in enumerate(figures, 1):
            print(f"\n== query {n}: {summarize(sql)}")
            plan_nodes = print_plan(f"query {n}", sql, full=args.plans)
            for table in TABLES:
                failures += whole_table_failures(f"query {n}", report["case"].kind, plan_nodes, table)

    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\nmax RSS of this process: {rss:.0f} MB")
    if failures:
        print("\nFAILED:\n  " + "\n  ".join(failures), file=sys.stderr)
        return 1
    print("All checks passed.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
