"""Writing the activity log: `record` is called by every service that takes an `actor`."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone

from audit.context import request_address, summarizing
from audit.models import AuditEntry
from companies.models import Company, User

Action = AuditEntry.Action


@dataclass(frozen=True)
class Actor:
    """Someone who is not a signed-in staff member: an API key, an automatic rule, the system."""

    type: str
    label: str = ""


SYSTEM = Actor(AuditEntry.ActorType.SYSTEM)
CUSTOMER = Actor(AuditEntry.ActorType.CUSTOMER)


def record(
    company: Company,
    *,
    actor: User | Actor | None,
    action: str,
    target: models.Model | None = None,
    label: str = "",
    changes: list[dict] | None = None,
    **details,
) -> AuditEntry | None:
    """Writes one entry in the caller's transaction (it rolls back with the change it tells of).
    `target` names the object (its type and id, and `label` or its text as it is now); `changes`
    are [{"field", "old", "new"}]; `details` any other facts, such as a count."""
    if summarizing.get():
        return None
    entry = AuditEntry(
        company=company,
        action=action,
        ip_address=request_address.get(),
        changes=changes or [],
        details=details,
        object_label=str(label or (target if target is not None else ""))[:255],
    )
    if isinstance(actor, User):
        entry.actor_type, entry.actor, entry.actor_label = AuditEntry.ActorType.USER, actor, actor.email
    else:
        actor = actor or SYSTEM
        entry.actor_type, entry.actor_label = actor.type, actor.label[:255]
    if target is not None:
        entry.object_type, entry.object_id = target._meta.label_lower, target.pk
    entry.save()
    return entry


def record_for_companies(companies: Iterable[Company], **entry) -> None:
    """The same event in each company it concerns (a staff member's sign-in, in each of theirs)."""
    for company in companies:
        record(company, **entry)


def delete_expired_entries() -> int:
    """The retention sweep, across companies: entries older than AUDIT_RETENTION_DAYS."""
    cutoff = timezone.now() - timedelta(days=settings.AUDIT_RETENTION_DAYS)
    deleted, _by_model = AuditEntry.objects.filter(created_at__lt=cutoff).delete()
    return deleted
