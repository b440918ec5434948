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
import sys
from urllib.parse import urlencode

from common import (
    WHOLE_COMPANY_ROWS,
    Case,
    count_rows,
    demo_company,
    finish,
    measure,
    page_queries,
    print_header,
    print_plan,
    print_report,
    rows_read,
    signed_in_client,
    whole_table_failures,
)

TRGM_INDEX = "customer_search_trgm_idx"
CUSTOMERS = "customers_customer"


def case(what: str, kind: str, **query) -> Case:
    return Case(what, kind, "/customers/" + ("?" + urlencode(query) if query else ""))


# kind "list": the order must come from an index; kind "search": the trigram index must serve it.
CASES = [
    case("default page", "list"),
    case("search phone '916 123'", "search", q="916 123"),
    case("search phone '8 916 12'", "search", q="8 916 12"),
    case("search name 'Смирн'", "search", q="Смирн"),
    case("search name 'Зайцева Вер'", "search", q="Зайцева Вер"),
    case("search email 'ivan'", "search", q="ivan"),
    case("sort -orders_sum", "list", sort="-orders_sum"),
    case("sort -orders_count", "list", sort="-orders_count"),
    case("sort -last_order_at", "list", sort="-last_order_at"),
    case("sort last_order_at", "list", sort="last_order_at"),
    case("sort full_name", "list", sort="full_name"),
    case("deep page 2000", "list", page=2000),
    case("last page 50000", "list", page=50000),
    case("pipeline sections", "list", view="pipeline"),
    case("pipeline, potential page 500", "list", view="pipeline", **{"potential-page": 500}),
    case("pipeline, potential + hot", "list", view="pipeline", status="potential", temperature="hot"),
]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--company", default="Demo Shop")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--budget-ms", type=float, default=300.0, help="fail when an app median exceeds it; 0: off")
    parser.add_argument("--only", help="run only the cases whose name contains this text")
    parser.add_argument("--plans", action="store_true", help="print the whole EXPLAIN output of each query")
    args = parser.parse_args()

    company = demo_company(args.company)
    client = signed_in_client(company)
    print(f"{args.company}: {count_rows(CUSTOMERS, company)} customers")
    print_header(args.rounds)

    failures, reports = [], []
    for each in CASES:
        if args.only and args.only not in each.what:
            continue
        report = measure(client, each, args.rounds)
        reports.append(report)
        print_report(report)
        if args.budget_ms and report["app"] > args.budget_ms:
            failures.append(f"{each.what}: {report['app']:.0f} ms is over the {args.budget_ms:.0f} ms budget")

    print("\nPlans of the list queries (EXPLAIN ANALYZE, BUFFERS; key lines, --plans for all):")
    for report in reports:
        print(f"\n== {report['case'].what} ({report['case'].url})")
        for role, sql in page_queries(report["queries"], CUSTOMERS).items():
            plan_nodes = print_plan(role, sql, full=args.plans)
            failures += plan_failures(report["case"], role, plan_nodes)

    return finish(failures, report_memory=True)


def plan_failures(case: Case, role: str, plan_nodes: list[dict]) -> list[str]:
    where = f"{case.what} [{role}]"
    failures = whole_table_failures(where, case.kind, plan_nodes, CUSTOMERS)
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
