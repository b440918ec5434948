"""Times the activity log page (`/activity/`) at two million entries against its own SQL, checks its
plans, and times the log's Excel export.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/crm_bench .venv/bin/python bench/activity_log.py

seed_demo writes a few entries, so the script first inserts (once; `details` carry `"bench": true`)
2,000,000 entries for "Demo Shop" with one INSERT … SELECT generate_series: the actions of
`AuditEntry.Action` (skewed: the first ones are the most frequent), the actor the demo owner, the
manager or nobody ("system"), half of them on a real customer, created over the last two years in
id order as a log is written, and 200,000 for the other company; then ANALYZE.

GETs (signed in as the demo owner, DEBUG off) of the first page, page 100 by keyset
(`?before=<id>`), one user, the most and the least frequent action, one week a year ago, since a
year ago, user + action, action + week, user + week and system + action + week, each against the
SQL it emitted (warm-up, alternating rounds, medians). Then the plan of every query on
`audit_auditentry`. Then (unless `--no-export`) the activity log's Excel export of all entries
in a child process, as a worker builds it: rows/s and RSS at 10%, 50% and peak.

Exits 1 when a query does a Seq Scan on audit_auditentry or sorts more than 50,000 rows, or a page
exceeds --budget-ms (300). See bench/README.md.
"""

import argparse
import json
import resource
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

from common import (
    OWNER_EMAIL,
    Case,
    demo_company,
    finish,
    measure,
    print_header,
    print_plan,
    print_report,
    signed_in_client,
    whole_table_failures,
)
from django.db import connection
from django.utils import timezone
from django_scopes import scope

from audit.models import AuditEntry
from companies.models import Company, User
from config.celery import app
from exports import services
from exports.models import Export

COMPANY = "Demo Shop"
TABLE = "audit_auditentry"
ENTRIES, OTHER_ENTRIES = 2_000_000, 200_000
PAGE_SIZE = 4096

INSERT = """
INSERT INTO audit_auditentry (company_id, created_at, actor_type, actor_id, actor_label, action,
                              object_type, object_id, object_label, ip_address, changes, details)
SELECT %(company)s,
       now() - interval '730 days' * (1 - g::float / %(n)s) + interval '1 second' * (g %% 7),
       CASE WHEN g %% 3 = 2 THEN 'system' ELSE 'user' END,
       CASE g %% 3 WHEN 0 THEN %(owner)s WHEN 1 THEN %(manager)s END,
       CASE g %% 3 WHEN 0 THEN 'Owner' WHEN 1 THEN 'Manager' ELSE '' END,
       (%(actions)s::text[])[1 + floor(power(random(), 2) * %(n_actions)s)::int],
       CASE WHEN g %% 2 = 0 THEN 'customers.customer' ELSE 'orders.order' END,
       CASE WHEN g %% 2 = 0 THEN %(first)s + floor(random() * %(span)s)::bigint ELSE g END,
       CASE WHEN g %% 2 = 0 THEN '' ELSE 'Order ' || g END,
       CASE WHEN g %% 3 = 2 THEN NULL ELSE '10.0.0.1'::inet END,
       CASE WHEN g %% 5 = 0 THEN '[{"field": "full_name", "old": "Анна", "new": "Анна Петрова"}]'::jsonb
            ELSE '[]'::jsonb END,
       '{"bench": true}'::jsonb
FROM generate_series(1, %(n)s) AS g
"""


def prepare(company: Company, other: Company) -> None:
    """Inserts the entries once (the bench's own are marked in `details`)."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {TABLE} WHERE details ? 'bench'")
        if cursor.fetchone()[0] >= ENTRIES + OTHER_ENTRIES:
            return
        owner = User.objects.get(email=OWNER_EMAIL)
        manager = User.objects.get(email="manager@demo.example")
        cursor.execute(f"SELECT min(id), max(id) FROM customers_customer WHERE company_id = {company.pk}")
        first, last = cursor.fetchone()
        actions = "{" + ",".join(AuditEntry.Action.values) + "}"
        for target, n in ((company, ENTRIES), (other, OTHER_ENTRIES)):
            started = time.monotonic()
            cursor.execute(
                INSERT,
                {
                    "company": target.pk,
                    "n": n,
                    "owner": owner.pk,
                    "manager": manager.pk,
                    "actions": actions,
                    "n_actions": len(AuditEntry.Action.values),
                    "first": first or 0,
                    "span": (last or 0) - (first or 0) + 1,
                },
            )
            print(f"inserted {n} entries for {target.name} in {time.monotonic() - started:.0f} s", flush=True)
        cursor.execute(f"ANALYZE {TABLE}")


def cases(company: Company) -> list[Case]:
    owner = User.objects.get(email=OWNER_EMAIL)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id FROM {TABLE} WHERE company_id = %s ORDER BY id DESC OFFSET %s LIMIT 1",
            [company.pk, 99 * 50 - 1],
        )
        before = cursor.fetchone()[0]  # the last entry of page 99: page 100 is older than it
        cursor.execute(
            f"SELECT action FROM {TABLE} WHERE company_id = %s GROUP BY action ORDER BY count(*) DESC", [company.pk]
        )
        by_frequency = [row[0] for row in cursor.fetchall()]
    common_action, rare_action = by_frequency[0], by_frequency[-1]
    year_ago = timezone.localdate() - timedelta(days=365)
    week = f"since={year_ago.isoformat()}&until={(year_ago + timedelta(days=6)).isoformat()}"
    return [
        Case("first page", "list", "/activity/"),
        Case("page 100 (keyset)", "list", f"/activity/?before={before}"),
        Case("one user", "list", f"/activity/?who={owner.pk}"),
        Case(f"action {common_action}", "list", f"/activity/?action={common_action}"),
        Case(f"action {rare_action}", "list", f"/activity/?action={rare_action}"),
        Case("one week a year ago", "list", f"/activity/?{week}"),
        Case("since a year ago (wide)", "list", f"/activity/?since={year_ago.isoformat()}"),
        Case("user + action", "list", f"/activity/?who={owner.pk}&action={rare_action}"),
        Case("action + week", "list", f"/activity/?action={rare_action}&{week}"),
        Case("user + week", "list", f"/activity/?who={owner.pk}&{week}"),
        Case("system + action + week", "list", f"/activity/?who=type:system&action={common_action}&{week}"),
    ]


def rows_on_page(html: str) -> int:
    return html.count('data-testid="activity-row"')


# The export ------------------------------------------------------------------------------------


class RssSampler(threading.Thread):
    """The process's resident memory every 0.2 s."""

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
        end = self.samples[-1][0]
        return next(rss for seconds, rss in self.samples if seconds >= share * end)


def export_child() -> dict:
    """The activity log's export of every entry, built in this process as a worker builds it."""
    app.conf.task_always_eager = True  # the email
    services._queue = lambda export: None  # built below, in the open
    company = demo_company(COMPANY)
    owner = User.objects.get(email=OWNER_EMAIL)
    sampler = RssSampler()
    with scope(company=company):
        export = services.request_activity_export(company, user=owner, filters={})
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
        "rows": export.rows_written,
        "seconds": seconds,
        "mb": export.size / 1e6,
        "rss_10": sampler.at(0.1),
        "rss_50": sampler.at(0.5),
        "rss_peak": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--budget-ms", type=float, default=300.0, help="a page's budget; 0: off")
    parser.add_argument("--plans", action="store_true", help="print the whole EXPLAIN output of each query")
    parser.add_argument("--only", help="the cases whose name contains this")
    parser.add_argument("--no-export", action="store_true")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(export_child()))
        return 0

    company = demo_company(COMPANY)
    other = Company.objects.exclude(pk=company.pk).order_by("pk").first()
    prepare(company, other)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT company_id, count(*) FROM {TABLE} GROUP BY 1 ORDER BY 1")
        print("entries by company:", dict(cursor.fetchall()))
    client = signed_in_client(company)
    print_header(args.rounds)
    failures, reports = [], []
    for each in cases(company):
        if args.only and args.only not in each.what:
            continue
        report = measure(client, each, args.rounds)
        report["matches"] = str(rows_on_page(client.get(each.url).content.decode()))
        reports.append(report)
        print_report(report)
        if args.budget_ms and report["app"] > args.budget_ms:
            failures.append(f"{each.what}: {report['app']:.0f} ms is over the {args.budget_ms:.0f} ms budget")

    print("\nPlans of the queries on audit_auditentry (EXPLAIN ANALYZE, BUFFERS; key lines, --plans for all):")
    for report in reports:
        print(f"\n== {report['case'].what} ({report['case'].url})")
        for n, sql in enumerate(q for q in report["queries"] if f'FROM "{TABLE}"' in q):
            plan_nodes = print_plan(f"query {n + 1}", sql, full=args.plans)
            failures += whole_table_failures(f"{report['case'].what} [query {n + 1}]", "list", plan_nodes, TABLE)

    if not args.no_export:
        output = subprocess.run(
            [sys.executable, __file__, "--child"], check=True, capture_output=True, text=True
        ).stdout
        result = json.loads(output.strip().splitlines()[-1])
        print(
            f"\nExcel export of the whole log: {result['rows']} rows in {result['seconds']:.1f} s, "
            f"{result['rows'] / result['seconds']:.0f} rows/s, {result['mb']:.1f} MB; RSS at 10% "
            f"{result['rss_10']:.0f} MB, at 50% {result['rss_50']:.0f} MB, peak {result['rss_peak']:.0f} MB"
        )
    return finish(failures, report_memory=True)


if __name__ == "__main__":
    sys.exit(main())
