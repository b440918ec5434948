"""Times the default groups, a combined filter, the segment bar and the group-by panel at 1M.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/crm_bench .venv/bin/python bench/segment_list.py

Same method as customer_list.py (a GET of the real view against its own SQL, warm-up,
alternating rounds, medians). Budgets from the segments issue: each default group and the
combined filter, with its count, well under 500 ms; the group-by panel for region and label
under a second. Exits 1 when a median is over its budget. See bench/README.md.
"""

import argparse
import sys
from urllib.parse import urlencode

from common import Case, demo_company, finish, measure, print_header, print_plan, print_report, signed_in_client
from django_scopes import scope

from customers.models import Label
from segments.models import Segment

LIST_BUDGET_MS, GROUP_BY_BUDGET_MS = 500.0, 1000.0


def cases(company) -> list[tuple[Case, float]]:
    with scope(company=company):
        defaults = list(Segment.objects.filter(company=company).exclude(default="").order_by("position"))
        vip = Label.objects.get(company=company, name="VIP")
    combined = f"labels_mode=any&labels={vip.pk}&activity=lt&activity_n=3&activity_unit=months&sum_min=20000"
    found = [(Case(f"group {s.default}", "list", s.get_absolute_url()), LIST_BUDGET_MS) for s in defaults]
    found += [
        (Case("combined: VIP + <3 months + sum>=20000", "list", f"/customers/?{combined}"), LIST_BUDGET_MS),
        (Case("segment bar (4 live counts)", "bar", "/segments/bar/"), LIST_BUDGET_MS),
    ]
    htmx = {"HX-Request": "true"}
    for by in ("region", "label", "activity", "actions"):
        found.append((Case(f"group by {by}", "group", f"/customers/group-by/?by={by}", htmx), GROUP_BY_BUDGET_MS))
    query = urlencode({"by": "region", "activity": "lt", "activity_n": 3, "activity_unit": "months"})
    recent = Case("group by region, <3 months", "group", f"/customers/group-by/?{query}", htmx)
    found.append((recent, GROUP_BY_BUDGET_MS))
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--company", default="Demo Shop")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--only", help="run only the cases whose name contains this text")
    parser.add_argument("--plans", action="store_true", help="print the key lines of each slow query's plan")
    args = parser.parse_args()

    company = demo_company(args.company)
    client = signed_in_client(company)
    print_header(args.rounds)
    failures = []
    for case, budget in cases(company):
        if args.only and args.only not in case.what:
            continue
        report = measure(client, case, args.rounds)
        print_report(report)
        if report["app"] > budget:
            failures.append(f"{case.what}: {report['app']:.0f} ms is over the {budget:.0f} ms budget")
        if args.plans:
            for sql in report["queries"]:
                if "customers_customer" in sql and ("COUNT" in sql or "GROUP BY" in sql):
                    print_plan(case.what, sql, full=False)
    return finish(failures)


if __name__ == "__main__":
    sys.exit(main())
