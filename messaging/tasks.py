from celery import shared_task
from django_scopes import scope, scopes_disabled

from companies.models import Company
from messaging import automatic, campaigns, services


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


@shared_task(acks_late=True, time_limit=300)
def run_campaign(company_id: int, campaign_id: int) -> str:
    """About a minute of a campaign's sending; then it queues its own continuation."""
    company = Company.objects.filter(pk=company_id, deletion_requested_at=None).first()
    if company is None:
        return "stopped"
    with scope(company=company):
        outcome = campaigns.run_campaign(company, campaign_id)
    if outcome == "again":
        run_campaign.delay(company_id, campaign_id)
    return outcome


@shared_task
def resume_campaigns() -> int:
    """Every minute (CELERY_BEAT_SCHEDULE), across companies: campaigns to take up again."""
    with scopes_disabled():
        return campaigns.resume_campaigns()


@shared_task
def send_birthday_greetings() -> int:
    """Every hour (CELERY_BEAT_SCHEDULE), across companies: today's birthday greetings."""
    with scopes_disabled():
        return automatic.send_birthday_greetings()
