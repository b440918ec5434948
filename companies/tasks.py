from celery import shared_task
from django.core.mail import EmailMultiAlternatives


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5, time_limit=60)
def send_email(*, subject: str, body: str, to: list[str], html_body: str | None = None) -> None:
    """Sends one email outside the request; SMTP hiccups are retried with backoff."""
    message = EmailMultiAlternatives(subject=subject, body=body, to=to)
    if html_body:
        message.attach_alternative(html_body, "text/html")
    message.send()
