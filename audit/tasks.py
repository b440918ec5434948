from celery import shared_task
from django_scopes import scopes_disabled

from audit import services


@shared_task
def delete_expired_entries() -> int:
    """Daily (CELERY_BEAT_SCHEDULE), across companies: entries past the retention period."""
    with scopes_disabled():
        return services.delete_expired_entries()
