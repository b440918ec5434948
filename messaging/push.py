"""Web push (RFC 8030 delivery, RFC 8291 encryption, RFC 8292 VAPID) through pywebpush: the
server's key pair, the browser subscriptions customers make on their quick order link, and
sending one notification to every browser of a customer."""

import base64
import binascii
import json
import logging
import threading
from dataclasses import dataclass
from urllib.parse import urlparse

from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from py_vapid import Vapid
from pywebpush import WebPushException, webpush
from requests import RequestException

from audit.services import CUSTOMER, Action, record
from companies.models import Company
from customers.models import Customer
from messaging.models import PushSubscription

logger = logging.getLogger(__name__)
_lock = threading.Lock()
GONE = {404, 410}  # the push service forgot the subscription: the browser unsubscribed


def vapid() -> Vapid:
    """The server's VAPID key pair, made once into WEBPUSH_VAPID_KEY_FILE if it is not there."""
    path = settings.WEBPUSH_VAPID_KEY_FILE
    with _lock:
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            key = Vapid()
            key.generate_keys()
            partial = path.with_suffix(".part")
            key.save_key(str(partial))
            partial.replace(path)
        return Vapid.from_file(str(path))


def public_key() -> str:
    """The applicationServerKey a browser subscribes with: the raw public point, base64url."""
    raw = vapid().public_key.public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _decoded_length(value: str) -> int:
    try:
        return len(base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)))
    except (binascii.Error, ValueError):
        return -1


def check_subscription(data) -> dict:
    """The browser's PushSubscription JSON, checked: an https endpoint, a P-256 key and a secret."""
    if not isinstance(data, dict) or not isinstance(data.get("keys"), dict):
        raise ValidationError(_("The browser sent no subscription."))
    endpoint, keys = data.get("endpoint"), data["keys"]
    schemes = ("https", "http") if settings.WEBPUSH_ALLOW_HTTP else ("https",)
    if not isinstance(endpoint, str) or len(endpoint) > 1000 or urlparse(endpoint).scheme not in schemes:
        raise ValidationError(_("The browser's push address is not valid."))
    p256dh, auth = keys.get("p256dh"), keys.get("auth")
    if not isinstance(p256dh, str) or not isinstance(auth, str) or len(p256dh) > 100 or len(auth) > 50:
        raise ValidationError(_("The browser's push keys are not valid."))
    if _decoded_length(p256dh) != 65 or _decoded_length(auth) != 16:
        raise ValidationError(_("The browser's push keys are not valid."))
    return {"endpoint": endpoint, "p256dh": p256dh, "auth": auth}


def subscribe(company: Company, *, customer: Customer, data, user_agent: str = "") -> PushSubscription:
    """Stores a browser's subscription for the customer (the same endpoint again updates it)."""
    fields = check_subscription(data)
    with transaction.atomic():
        found = PushSubscription.objects.filter(company=company, endpoint=fields["endpoint"]).first()
        if found is not None and found.customer_id != customer.pk:
            found.delete()  # the browser now belongs to another customer's link
            found = None
        subscription = found or PushSubscription(company=company, customer=customer, endpoint=fields["endpoint"])
        subscription.p256dh, subscription.auth = fields["p256dh"], fields["auth"]
        subscription.user_agent = user_agent[:255]
        try:
            with transaction.atomic():
                subscription.save()
        except IntegrityError:  # the same browser, twice at once
            return PushSubscription.objects.get(company=company, endpoint=fields["endpoint"])
        if found is None:
            record(company, actor=CUSTOMER, action=Action.PUSH_SUBSCRIBED, target=customer, label=f"#{customer.pk}")
    return subscription


def unsubscribe(company: Company, *, customer: Customer, endpoint: str) -> bool:
    with transaction.atomic():
        deleted, _kinds = PushSubscription.objects.filter(
            company=company, customer=customer, endpoint=str(endpoint)[:1000]
        ).delete()
        if deleted:
            record(company, actor=CUSTOMER, action=Action.PUSH_UNSUBSCRIBED, target=customer, label=f"#{customer.pk}")
    return bool(deleted)


@dataclass(frozen=True)
class PushOutcome:
    delivered: int  # browsers whose push service took it
    gone: int  # subscriptions removed
    errors: list[str]


def send(subscriptions: list[PushSubscription], *, title: str, body: str, url: str) -> PushOutcome:
    """One notification to each browser; gone ones are deleted. No retry here: the caller says
    what a failure means for its message."""
    payload = json.dumps({"title": title, "body": body, "url": url}, ensure_ascii=False)
    key, delivered, gone, errors = vapid(), 0, 0, []
    for subscription in subscriptions:
        try:
            webpush(
                subscription.info,
                data=payload,
                vapid_private_key=key,
                vapid_claims={"sub": settings.WEBPUSH_CONTACT},
                timeout=settings.WEBPUSH_TIMEOUT,
                ttl=24 * 60 * 60,
            )
        except WebPushException as error:
            status = error.response.status_code if error.response is not None else None
            if status in GONE:
                PushSubscription.objects.filter(pk=subscription.pk).delete()
                gone += 1
            else:
                errors.append(f"{status or ''} {error.message.splitlines()[0]}".strip()[:200])
        except RequestException as error:
            errors.append(f"{type(error).__name__}: {error}"[:200])
        else:
            delivered += 1
    return PushOutcome(delivered, gone, errors)
