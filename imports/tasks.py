from celery import shared_task
from django_scopes import scope, scopes_disabled

from companies.models import Company
from imports import services


@shared_task
def fail_stalled_imports() -> int:
    """Every five minutes (CELERY_BEAT_SCHEDULE), across companies: imports whose worker died."""
    with scopes_disabled():
        return services.fail_stalled_imports()


def _import_step(step, company_id: int, import_id: int) -> None:
    company = Company.objects.filter(pk=company_id, deletion_requested_at=None).first()
    if company is None:
        return  # deleted, or being deleted
    with scope(company=company):
        step(company, import_id)


@shared_task(acks_late=True, time_limit=6 * 3600, soft_time_limit=6 * 3600 - 60)
def validate_import(company_id: int, import_id: int) -> None:
    _import_step(services.validate_import, company_id, import_id)


@shared_task(acks_late=True, time_limit=6 * 3600, soft_time_limit=6 * 3600 - 60)
def apply_import(company_id: int, import_id: int) -> None:
    _import_step(services.apply_import, company_id, import_id)


@shared_task(acks_late=True, time_limit=6 * 3600, soft_time_limit=6 * 3600 - 60)
def undo_import(company_id: int, import_id: int) -> None:
    _import_step(services.undo_import, company_id, import_id)
