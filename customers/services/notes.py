"""Notes on a customer."""

from django.db import transaction

from audit.services import Action
from companies.models import Company
from customers.models import Customer, Note
from customers.services.history import audit_customer


@transaction.atomic
def add_note(company: Company, *, customer: Customer, text: str, priority: int, actor) -> Note:
    note = Note(company=company, customer=customer, author=actor, text=text, priority=priority)
    note.full_clean(exclude=["company", "customer", "author"])
    note.save()
    audit_customer(company, Action.NOTE_ADDED, customer, actor=actor, note=note.pk, priority=priority)
    return note


@transaction.atomic
def edit_note(company: Company, *, note: Note, text: str, priority: int, actor) -> Note:
    changes = [{"field": "text"}] if note.text != text else []
    if note.priority != priority:
        changes.append({"field": "priority", "old": str(note.priority), "new": str(priority)})
    note.text = text
    note.priority = priority
    note.full_clean(exclude=["company", "customer", "author"])
    note.save()
    audit_customer(company, Action.NOTE_EDITED, note.customer, actor=actor, changes=changes, note=note.pk)
    return note


@transaction.atomic
def delete_note(company: Company, *, note: Note, actor) -> None:
    audit_customer(company, Action.NOTE_DELETED, note.customer, actor=actor, note=note.pk)
    note.delete()
