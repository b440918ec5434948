from celery import shared_task
from django_scopes import scope, scopes_disabled

from companies.models import Company
from exports import services


@shared_task(acks_late=True, reject_on_worker_lost=False, time_limit=6 * 3600, soft_time_limit=6 * 3600 - 60)
def build_export(company_id: int, export_id: int) -> None:
    """Builds one export in its company's scope (a queued export is claimed once; see services)."""
    company = Company.objects.filter(pk=company_id, deletion_requested_at=None).first()
    if company is None:
        return  # deleted, or being deleted: no file of it is written any more
    with scope(company=company):
        services.build_export(company, export_id)


@shared_task
def fail_stalled_exports() -> int:
    """Every five minutes (CELERY_BEAT_SCHEDULE), across companies: exports whose worker died."""
    with scopes_disabled():
        return services.fail_stalled_exports()


@shared_task
def delete_expired_exports() -> int:
    """Hourly, across companies: the files of exports whose seven days are over."""
    with scopes_disabled():
        return services.delete_expired_exports()
