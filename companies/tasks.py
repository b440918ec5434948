from celery import shared_task
from django.core.mail import EmailMultiAlternatives
from django.db import DatabaseError


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5, time_limit=60)
def send_email(*, subject: str, body: str, to: list[str], html_body: str | None = None) -> None:
    """Sends one email outside the request; SMTP hiccups are retried with backoff."""
    message = EmailMultiAlternatives(subject=subject, body=body, to=to)
    if html_body:
        message.attach_alternative(html_body, "text/html")
    message.send()


@shared_task(acks_late=True, autoretry_for=(DatabaseError,), retry_backoff=True, max_retries=5, time_limit=3600)
def delete_company_data(company_id: int) -> bool:
    """Deletes a company a portal admin deleted, in one transaction; a write of its staff that was
    still under way fails the transaction, which is retried."""
    from companies.deletion import delete_company

    return delete_company(company_id)
