"""Times the customer card and its "All activity" timeline for a customer with a long history.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/crm_bench .venv/bin/python bench/card.py

Prepares, once, a customer of the seeded company with 2,000 orders (their items and status
histories, as seed_demo writes them) and 500 notes: "Bench heavy customer". Then the same method
as customer_list.py: each case is a GET of the real view timed against the SQL it emitted (the
database floor), warm-up, alternating rounds, medians (a typical customer's card is timed too, to
compare); then the key lines of the plan of each page's slowest query.

Exits 1 when a query reads a whole table of orders, status changes or notes (Seq Scan), or an app
median exceeds --budget-ms. See bench/README.md.
"""

import argparse
import random
import statistics
import sys
from datetime import timedelta
from decimal import Decimal
from types import SimpleNamespace
from unittest import mock
from urllib.parse import urlencode

from common import (
    Case,
    demo_company,
    explain,
    finish,
    measure,
    nodes,
    print_header,
    print_plan,
    print_report,
    run_sql,
    signed_in_client,
    summarize,
    whole_table_failures,
)
from django.db import transaction
from django.utils import timezone
from django_scopes import scopes_disabled

from companies.models import Company, User
from customers.management.commands.seed_demo import (
    BATCH,
    NOTES,
    OWNER_EMAIL,
    _Catalog,
    _history_fields,
    _item_fields,
    _keep_given_created_at,
    _order_record,
    _order_rows,
)
from customers.models import Customer, Note
from customers.services import build_search_document, refresh_customer_stats
from customers.timeline import timeline
from orders.models import Order, OrderItem, OrderStatusChange

HEAVY_NAME = "Bench heavy customer"
ORDERS_WANTED = 2_000
NOTES_WANTED = 500
HISTORY_DAYS = 3 * 365  # the orders and notes are spread over the last three years
MIDDLE_ENTRIES = 1_000  # the middle timeline page starts this many entries back
# Tables the card reads one customer's rows of: a Seq Scan of any of them reads every customer's.
CUSTOMER_ROWS = ("orders_order", "orders_orderstatuschange", "customers_note", "customers_customerevent")


# The heavy customer ------------------------------------------------------------------------------


def heavy_customer(company: Company) -> Customer:
    """The customer with ORDERS_WANTED orders and NOTES_WANTED notes, made or topped up once."""
    with scopes_disabled(), transaction.atomic():
        customer = Customer.objects.filter(company=company, full_name=HEAVY_NAME).order_by("pk").first()
        if customer is None:
            customer = Customer.objects.create(
                company=company, full_name=HEAVY_NAME, search_document=build_search_document(HEAVY_NAME, [], [])
            )
        owner = User.objects.get(email=OWNER_EMAIL)
        rng = random.Random(customer.pk)
        missing_orders = ORDERS_WANTED - Order.objects.filter(company=company, customer=customer).count()
        missing_notes = NOTES_WANTED - Note.objects.filter(company=company, customer=customer).count()
        if missing_orders > 0:
            add_orders(company, customer, owner, missing_orders, rng)
        if missing_notes > 0:
            add_notes(company, customer, owner, missing_notes, rng)
        if missing_orders > 0 or missing_notes > 0:
            refresh_customer_stats(customer)
            print(f"{HEAVY_NAME}: added {max(missing_orders, 0)} orders and {max(missing_notes, 0)} notes")
    return customer


def add_orders(company: Company, customer: Customer, owner: User, count: int, rng: random.Random) -> None:
    """Orders as seed_demo makes them, numbered by date after the company's last number."""
    catalog = _Catalog(company)
    now = timezone.now()
    generated = sorted(
        (
            _order_record(
                rng,
                catalog=catalog,
                created=now - timedelta(days=rng.random() * HISTORY_DAYS),
                now=now,
                currency=company.base_currency,
                discount=Decimal("0"),
                name=customer.full_name,
                phone="",
                email="",
            )
            for _n in range(count)
        ),
        key=lambda order: order.fields["created_at"],
    )
    rows = list(_order_rows(company, [SimpleNamespace(orders=generated)], catalog, owner))
    last_number = Company.objects.select_for_update().get(pk=company.pk).last_order_number
    with _keep_given_created_at():
        saved = Order.objects.bulk_create(
            [
                Order(customer=customer, **{**fields, "number": last_number + n})
                for n, (_index, _order, fields) in enumerate(rows, start=1)
            ],
            batch_size=BATCH,
        )
        OrderItem.objects.bulk_create(
            [
                OrderItem(**_item_fields(company, order.pk, *item))
                for order, (_index, generated_order, _fields) in zip(saved, rows, strict=True)
                for item in generated_order.items
            ],
            batch_size=BATCH,
        )
        OrderStatusChange.objects.bulk_create(
            [
                OrderStatusChange(**_history_fields(company, order.pk, step, owner))
                for order, (_index, generated_order, _fields) in zip(saved, rows, strict=True)
                for step in generated_order.history
            ],
            batch_size=BATCH,
        )
    Company.objects.filter(pk=company.pk).update(last_order_number=last_number + len(rows))


def add_notes(company: Company, customer: Customer, owner: User, count: int, rng: random.Random) -> None:
    now = timezone.now()
    with mock.patch.object(Note._meta.get_field("created_at"), "auto_now_add", False):
        Note.objects.bulk_create(
            [
                Note(
                    company=company,
                    customer=customer,
                    author=owner,
                    text=rng.choice(NOTES),
                    priority=rng.choice([0, 0, 1, 2]),
                    created_at=now - timedelta(days=rng.random() * HISTORY_DAYS),
                )
                for _n in range(count)
            ],
            batch_size=BATCH,
        )


# Cases -------------------------------------------------------------------------------------------


def cases(company: Company, customer: Customer) -> list[Case]:
    """The heavy customer's card and two timeline pages, and, to compare, a typical card."""
    with scopes_disabled():
        middle = timeline(company, customer, size=MIDDLE_ENTRIES)[0][-1].when
        typical = Customer.objects.filter(company=company, orders_count=3).order_by("pk").values_list("pk").first()
    htmx = {"HX-Request": "true"}
    return [
        Case("card: typical (3 orders)", "card", f"/customers/{typical[0]}/"),
        Case("card", "card", f"/customers/{customer.pk}/"),
        Case("timeline: first page", "timeline", f"/customers/{customer.pk}/timeline/", htmx),
        Case(
            f"timeline: {MIDDLE_ENTRIES} entries back",
            "timeline",
            f"/customers/{customer.pk}/timeline/?" + urlencode({"before": middle.isoformat()}),
            htmx,
        ),
    ]


def slowest(queries: list[str], rounds: int = 3) -> str:
    """The statement with the highest median time when run on its own."""
    per_query = [[] for _query in queries]
    for _round in range(rounds):
        run_sql(queries, per_query)
    return max(zip(queries, per_query, strict=True), key=lambda pair: statistics.median(pair[1]))[0]


def seq_scans(report: dict) -> list[str]:
    """Every SELECT of the page that reads a whole table of per-customer rows."""
    failures = []
    for sql in report["queries"]:
        if sql.startswith("SELECT"):
            plan_nodes = list(nodes(explain(sql, "JSON")["Plan"]))
            for table in CUSTOMER_ROWS:
                failures += whole_table_failures(report["case"].what, report["case"].kind, plan_nodes, table)
    return failures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--company", default="Demo Shop")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--budget-ms", type=float, default=300.0, help="fail when an app median exceeds it; 0: off")
    parser.add_argument("--plans", action="store_true", help="print the whole EXPLAIN output of each query")
    args = parser.parse_args()

    company = demo_company(args.company)
    customer = heavy_customer(company)
    client = signed_in_client(company)
    with scopes_disabled():
        orders = Order.objects.filter(company=company, customer=customer).count()
        changes = OrderStatusChange.objects.filter(company=company, order__customer=customer).count()
        notes = Note.objects.filter(company=company, customer=customer).count()
    print(f"{HEAVY_NAME} (#{customer.pk}): {orders} orders, {changes} status changes, {notes} notes")
    print_header(args.rounds)
    failures, reports = [], []
    for each in cases(company, customer):
        report = measure(client, each, args.rounds)
        reports.append(report)
        print_report(report)
        if args.budget_ms and report["app"] > args.budget_ms:
            failures.append(f"{each.what}: {report['app']:.0f} ms is over the {args.budget_ms:.0f} ms budget")

    print("\nPlan of each page's slowest query (EXPLAIN ANALYZE, BUFFERS; key lines, --plans for all):")
    for report in reports:
        sql = slowest(report["queries"])
        print(f"\n== {report['case'].what} ({report['case'].url}): {summarize(sql)}")
        print_plan("slowest", sql, full=args.plans)
        failures += seq_scans(report)

    return finish(failures)


if __name__ == "__main__":
    sys.exit(main())
