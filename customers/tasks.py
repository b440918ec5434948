from celery import shared_task
from django_scopes import scope

from companies.models import Company
from customers import duplicates


@shared_task(time_limit=900)
def scan_duplicates(company_id: int) -> int:
    """Looks for probable duplicates in one company's customers, in that company's scope; returns
    how many new pairs."""
    company = Company.objects.get(pk=company_id)
    with scope(company=company):
        return duplicates.scan(company)


@shared_task
def scan_duplicates_everywhere() -> None:
    """Nightly (see CELERY_BEAT_SCHEDULE): one scan per company on the paid plan."""
    for company_id in Company.objects.filter(plan=Company.Plan.PAID).values_list("pk", flat=True):
        scan_duplicates.delay(company_id)
