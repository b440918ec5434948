from celery import shared_task
from django_scopes import scope, scopes_disabled

from companies.models import Company
from messaging import services


@shared_task(acks_late=True, time_limit=120)
def deliver_message(company_id: int, message_id: int) -> str:
    """Sends one message in its company's scope (a message is claimed once; see services)."""
    company = Company.objects.filter(pk=company_id, deletion_requested_at=None).first()
    if company is None:
        return ""  # deleted, or being deleted: its customers get nothing more
    with scope(company=company):
        return services.deliver(company, message_id)


@shared_task
def send_due_messages() -> int:
    """Every minute (CELERY_BEAT_SCHEDULE), across companies: sends to try again, lost tasks."""
    with scopes_disabled():
        return services.send_due_messages()


@shared_task
def resolve_stalled_messages() -> int:
    """Every five minutes (CELERY_BEAT_SCHEDULE), across companies: sends a dead worker left."""
    with scopes_disabled():
        return services.resolve_stalled_messages()


@shared_task
def poll_deliveries() -> int:
    """Every ten minutes (CELERY_BEAT_SCHEDULE): the gateway's word on SMS still on their way."""
    return services.poll_deliveries()
