"""Times the start page of the seeded company against the SQL it emits, and checks its plans.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/crm_bench .venv/bin/python bench/start_page.py

One GET of `/` (django.test.Client, signed in as the demo owner, DEBUG off) timed against its
database floor: the very SQL the page emitted, captured once and run again directly through a
cursor. A warm-up, then rounds alternating app and floor; medians and their ratio. Then the lists
the page links to, built by the page's own link code (customers added this week, birthdays in the
next 14 days, orders waiting in "new", the orders of this week), timed the same way. Then one line
per figure query of the start page (median of its own runs) and the key lines of every plan.

Exits 1 when a query does a Seq Scan of customers, orders or notes, a linked list sorts more than
50,000 rows, the start page's app median exceeds --budget-ms (200 by default) or a linked list's
exceeds --list-budget-ms (300, the list benchmarks' budget); 0 turns a budget off. See
bench/README.md.
"""

import argparse
import statistics
import sys
from datetime import timedelta

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
    run_sql,
    signed_in_client,
    summarize,
    whole_table_failures,
)
from django.utils import timezone

from dashboard.queries import BIRTHDAY_DAYS, week_start
from dashboard.views import customers_added_url, customers_url, orders_url

TABLES = ("customers_customer", "orders_order", "customers_note")
# The request's own bookkeeping, not the page's figures.
BOOKKEEPING = ('FROM "django_session"', 'FROM "companies_user"', 'FROM "companies_membership"')


def cases(company) -> list[Case]:
    """The start page and the lists it links to, with the links built as the page builds them."""
    timezone.activate(company.time_zone)
    today = timezone.localdate()
    monday = week_start(today)
    return [
        Case("start page", "figures", "/"),
        Case("→ customers added this week", "list", customers_added_url(monday, today)),
        Case("→ birthdays in 14 days", "list", customers_url(birthday_days=str(BIRTHDAY_DAYS))),
        Case("→ orders waiting: new", "list", orders_url(status="new")),
        Case(
            "→ orders of this week",
            "list",
            orders_url(placed_from=monday.isoformat(), placed_to=(monday + timedelta(days=6)).isoformat()),
        ),
    ]


def figure_queries(queries: list[str]) -> list[str]:
    return [sql for sql in queries if not any(table in sql for table in BOOKKEEPING)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--company", default="Demo Shop")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--budget-ms", type=float, default=200.0, help="the start page's budget; 0: off")
    parser.add_argument("--list-budget-ms", type=float, default=300.0, help="a linked list's budget; 0: off")
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
    for each in cases(company):
        report = measure(client, each, args.rounds)
        reports.append(report)
        print_report(report)
        budget = args.budget_ms if each.kind == "figures" else args.list_budget_ms
        if budget and report["app"] > budget:
            failures.append(f"{each.what}: {report['app']:.0f} ms is over the {budget:.0f} ms budget")

    for report in reports[1:]:
        print(f"\n== {report['case'].what} ({report['case'].url})")
        table = "orders_order" if report["case"].url.startswith("/orders/") else "customers_customer"
        for role, sql in page_queries(report["queries"], table).items():
            plan_nodes = print_plan(role, sql, full=args.plans)
            failures += whole_table_failures(f"{report['case'].what} [{role}]", "list", plan_nodes, table)

    for report in reports[:1]:
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

    return finish(failures, report_memory=True)


if __name__ == "__main__":
    sys.exit(main())
