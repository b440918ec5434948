from django.db.models import QuerySet

from companies.models import Company
from customers.models import Customer
from messaging.models import Message


def messages_of(company: Company, customer: Customer) -> QuerySet[Message]:
    """The card's Messages tab: every message to and from the customer, newest first."""
    return (
        Message.objects.filter(company=company, customer=customer)
        .select_related("actor")
        .order_by("-created_at", "-id")
    )
