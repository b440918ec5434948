"""Times the orders page and a customer's orders tab on the seeded company, and the stats rebuild.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/crm_bench .venv/bin/python bench/order_list.py

Same method as customer_list.py: each case is a GET of the real view timed against the SQL it
emitted (the database floor), warm-up, alternating rounds, medians. Then the key lines of the
plans of the orders queries, and one timed run of `rebuild_all_customer_stats` (what the
`rebuild_customer_stats` command does per company; it rewrites every customer's figures, which
on seeded data are already right, so the run changes nothing).

Exits 1 when a list reads or sorts the whole company's orders instead of an index, or an app
median exceeds --budget-ms. See bench/README.md.
"""

import argparse
import sys
import time
from datetime import timedelta
from urllib.parse import urlencode

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
    whole_table_failures,
)
from django.db import connection
from django.utils import timezone
from django_scopes import scope

from customers.models import Customer
from customers.services import rebuild_all_customer_stats

ORDERS = "orders_order"
TRGM_INDEX = "order_search_trgm_idx"


def page(what: str, kind: str, **query) -> Case:
    return Case(what, kind, "/orders/" + ("?" + urlencode(query) if query else ""))


def tab(what: str, customer_id: int) -> Case:
    """The card's orders tab: the same view, asked for by htmx for one customer."""
    return Case(what, "list", f"/orders/?customer={customer_id}", headers={"HX-Request": "true"})


def cases(company) -> list[Case]:
    with scope(company=company):
        customers = Customer.objects.filter(company=company)
        busiest = customers.order_by("-orders_count", "pk").values_list("pk", "orders_count").first()
        typical = customers.filter(orders_count=3).order_by("pk").values_list("pk", "orders_count").first()
    month_ago = (timezone.localdate() - timedelta(days=30)).isoformat()
    year_ago = timezone.localdate() - timedelta(days=365)
    return [
        page("default page", "list"),
        page("status new", "list", status="new"),
        page("status completed", "list", status="completed"),
        page("source quick_link", "list", source="quick_link"),
        page("placed last 30 days", "list", placed_from=month_ago),
        page("placed one day a year ago", "list", placed_from=year_ago.isoformat(), placed_to=year_ago.isoformat()),
        page("search number '#1234567'", "search", q="#1234567"),
        page("search name 'Смирн'", "search", q="Смирн"),
        page("search name 'Зайцева Вер'", "search", q="Зайцева Вер"),
        page("search phone '916 123'", "search", q="916 123"),
        page("search email 'ivan'", "search", q="ivan"),
        page("sort -total", "list", sort="-total"),
        page("sort number", "list", sort="number"),
        page("last page (500, the cap)", "list", page=500),
        tab(f"tab: busiest ({busiest[1]} orders)", busiest[0]),
        tab(f"tab: typical ({typical[1]} orders)", typical[0]),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--company", default="Demo Shop")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--budget-ms", type=float, default=300.0, help="fail when an app median exceeds it; 0: off")
    parser.add_argument("--only", help="run only the cases whose name contains this text")
    parser.add_argument("--plans", action="store_true", help="print the whole EXPLAIN output of each query")
    parser.add_argument("--no-rebuild", action="store_true", help="skip timing rebuild_customer_stats")
    args = parser.parse_args()

    company = demo_company(args.company)
    client = signed_in_client(company)
    print(f"{args.company}: {count_rows(ORDERS, company)} orders")
    print_header(args.rounds)
    failures, reports = [], []
    for each in cases(company):
        if args.only and args.only not in each.what:
            continue
        report = measure(client, each, args.rounds)
        reports.append(report)
        print_report(report)
        if args.budget_ms and report["app"] > args.budget_ms:
            failures.append(f"{each.what}: {report['app']:.0f} ms is over the {args.budget_ms:.0f} ms budget")

    print("\nPlans of the orders queries (EXPLAIN ANALYZE, BUFFERS; key lines, --plans for all):")
    for report in reports:
        print(f"\n== {report['case'].what} ({report['case'].url})")
        for role, sql in page_queries(report["queries"], ORDERS).items():
            plan_nodes = print_plan(role, sql, full=args.plans)
            where = f"{report['case'].what} [{role}]"
            failures += whole_table_failures(where, report["case"].kind, plan_nodes, ORDERS)

    if not args.no_rebuild:
        started = time.monotonic()
        with scope(company=company):
            updated = rebuild_all_customer_stats(company)
        print(f"\nrebuild_all_customer_stats: {updated} customers in {time.monotonic() - started:.1f} s")
        with connection.cursor() as cursor:
            cursor.execute("VACUUM (ANALYZE) customers_customer")  # the rebuild rewrote every row

    return finish(failures)


if __name__ == "__main__":
    sys.exit(main())
