from django.db.models import Q, QuerySet

from companies.models import Company
from customers.models import Customer
from messaging.models import Campaign, Message


def messages_of(company: Company, customer: Customer) -> QuerySet[Message]:
    """The card's Messages tab: every message to and from the customer, newest first."""
    return (
        Message.objects.filter(company=company, customer=customer)
        .select_related("actor")
        .order_by("-created_at", "-id")
    )


def recipients_of(company: Company, campaign: Campaign, status: str = "") -> QuerySet[Message]:
    """A campaign's messages with their customers, in the order they were made; `status` narrows
    them ("created", waiting, includes those a worker has in hand this moment)."""
    recipients = Message.objects.filter(company=company, campaign=campaign).select_related("customer")
    if status == Message.Status.CREATED:
        recipients = recipients.filter(Q(status=status) | Q(status=Message.Status.SENDING))
    elif status in Message.Status.values:
        recipients = recipients.filter(status=status)
    return recipients.order_by("pk")
