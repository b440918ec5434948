"""Quick order links: issuing, revoking and verifying the customer's personal URL."""

import base64
import hashlib
import hmac

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django_scopes import scopes_disabled

from audit.services import SYSTEM, Action, record
from companies.models import Company
from customers.models import Customer
from quicklinks.models import QuickLink, new_nonce

_SALT = b"quicklinks.token.v1"


def _signature(link_id: int, nonce: str) -> str:
    digest = hmac.new(settings.SECRET_KEY.encode() + _SALT, f"{link_id}:{nonce}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()  # 256 bits


def token_for(link: QuickLink) -> str:
    return f"{link.pk}-{_signature(link.pk, link.nonce)}"


def url_for(link: QuickLink) -> str:
    """The absolute URL, built from SITE_URL and never from a request's Host header."""
    return settings.SITE_URL + reverse("quicklinks:catalog", args=[token_for(link)])


def link_for_token(token: str) -> QuickLink | None:
    """The active link a token stands for, or None for anything unknown, revoked or forged."""
    link_id, _, signature = token.partition("-")
    if not link_id.isdigit() or not signature or len(token) > 100:
        return None
    # The token is the only thing that names the company: look the link up across companies.
    with scopes_disabled():
        link = QuickLink.objects.select_related("company", "customer").filter(pk=int(link_id)).first()
    if link is None or not link.is_active or link.company.deletion_requested_at is not None:
        return None
    if not constant_time_compare(signature, _signature(link.pk, link.nonce)):
        return None
    return link


@transaction.atomic
def issue_link(company: Company, *, customer: Customer, actor) -> QuickLink:
    """The customer's link, made if missing; a revoked one comes back with a new token."""
    link, issued = _issue(company, customer, actor)
    if issued:
        record(company, actor=actor, action=Action.QUICK_LINK_ISSUED, target=customer, label=f"#{customer.pk}")
    return link


def _issue(company: Company, customer: Customer, actor) -> tuple[QuickLink, bool]:
    link, created = QuickLink.objects.get_or_create(company=company, customer=customer, defaults={"created_by": actor})
    if not created and not link.is_active:
        link.nonce = new_nonce()
        link.revoked_at = None
        link.save(update_fields=["nonce", "revoked_at"])
        return link, True
    return link, created


@transaction.atomic
def links_for(company: Company, customers: list[Customer]) -> dict[int, str]:
    """The quick order link of each customer (by id), issued for those who have none, in a few
    queries however many. A revoked link stays revoked: its customer gets no link."""
    ids = [customer.pk for customer in customers]
    have = set(QuickLink.objects.filter(company=company, customer_id__in=ids).values_list("customer_id", flat=True))
    missing = [QuickLink(company=company, customer_id=pk) for pk in ids if pk not in have]
    QuickLink.objects.bulk_create(missing, ignore_conflicts=True)
    if missing:
        record(company, actor=SYSTEM, action=Action.QUICK_LINK_ISSUED, label=f"{len(missing)}", count=len(missing))
    links = QuickLink.objects.filter(company=company, customer_id__in=ids, revoked_at=None)
    return {link.customer_id: url_for(link) for link in links}


@transaction.atomic
def regenerate_link(company: Company, *, customer: Customer, actor) -> QuickLink:
    """A new token for the customer; the old URL stops working at once."""
    link, _issued = _issue(company, customer, actor)
    link.nonce = new_nonce()
    link.created_by = actor
    link.save(update_fields=["nonce", "created_by"])
    record(company, actor=actor, action=Action.QUICK_LINK_REGENERATED, target=customer, label=f"#{customer.pk}")
    return link


@transaction.atomic
def revoke_link(company: Company, *, customer: Customer, actor) -> None:
    revoked = QuickLink.objects.filter(company=company, customer=customer, revoked_at=None).update(
        revoked_at=timezone.now()
    )
    if revoked:
        record(company, actor=actor, action=Action.QUICK_LINK_REVOKED, target=customer, label=f"#{customer.pk}")
