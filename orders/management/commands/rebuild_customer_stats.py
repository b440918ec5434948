import time

from django.core.management.base import BaseCommand, CommandError
from django_scopes import scope

from companies.models import Company
from customers.services import rebuild_all_customer_stats
from orders.services import rebuild_order_days


class Command(BaseCommand):
    help = (
        "Recomputes every customer's order figures (count, sum, first/last order) and the company's "
        "orders per day and status (the start page's figures) from the orders."
    )

    def add_arguments(self, parser):
        parser.add_argument("--company", type=int, action="append", help="Only this company id (repeatable).")

    def handle(self, *args, company=None, **options):
        companies = Company.objects.order_by("pk")
        if company:
            companies = companies.filter(pk__in=company)
            missing = set(company) - set(companies.values_list("pk", flat=True))
            if missing:
                raise CommandError(f"No company with id {', '.join(map(str, sorted(missing)))}")
        for tenant in companies:
            started = time.monotonic()
            with scope(company=tenant):
                count = rebuild_all_customer_stats(tenant)
                days = rebuild_order_days(tenant)
            self.stdout.write(
                f"{tenant.name}: {count} customers corrected, {days} order days rebuilt "
                f"in {time.monotonic() - started:.1f}s"
            )
