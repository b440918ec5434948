from collections.abc import Callable
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from audit.services import Action, record
from companies.models import Company, ExchangeRate, Membership, User


def set_user_language(user: User, *, language: str) -> None:
    user.language = language
    user.save(update_fields=["language"])


# What a new company starts with, from the apps that own it (segments: the default groups). Each
# app adds its step in AppConfig.ready, so that companies imports none of them.
COMPANY_SETUP: list[Callable[[Company], None]] = []


@transaction.atomic
def create_company(*, name: str, owner: User, plan: str = Company.Plan.FREE, **fields) -> Company:
    """A new company with its owner and everything a company starts with."""
    company = Company.objects.create(name=name, plan=plan, **fields)
    add_member(company, user=owner, role=Membership.Role.OWNER, actor=owner)
    set_up_company(company)
    return company


def set_up_company(company: Company) -> None:
    """Gives a new company what it starts with (for a company made elsewhere: the Django admin)."""
    for step in COMPANY_SETUP:
        step(company)


def add_member(company: Company, *, user: User, role: str, actor) -> Membership:
    membership = Membership.objects.create(company=company, user=user, role=role)
    record(company, actor=actor, action=Action.MEMBER_ADDED, target=user, label=user.email, role=role)
    return membership


def change_role(company: Company, *, membership: Membership, role: str, actor) -> Membership:
    changes = [{"field": "role", "old": membership.role, "new": role}]
    membership.role = role
    membership.save(update_fields=["role"])
    user = membership.user
    record(company, actor=actor, action=Action.MEMBER_ROLE_CHANGED, target=user, label=user.email, changes=changes)
    return membership


def remove_member(company: Company, *, membership: Membership, actor) -> None:
    user = membership.user
    record(company, actor=actor, action=Action.MEMBER_REMOVED, target=user, label=user.email, role=membership.role)
    membership.delete()


@transaction.atomic
def set_exchange_rate(company: Company, *, currency: str, rate: Decimal, actor: User) -> ExchangeRate:
    """Sets the rate used for orders placed from now on; placed orders keep the rate they used."""
    if currency == company.base_currency:
        raise ValidationError({"currency": _("The company's own currency needs no rate.")})
    old = ExchangeRate.objects.filter(company=company, currency=currency).values_list("rate", flat=True).first()
    exchange_rate, _created = ExchangeRate.objects.update_or_create(
        company=company, currency=currency, defaults={"rate": rate, "updated_by": actor}
    )
    changes = [{"field": "rate", "old": "" if old is None else str(old), "new": str(exchange_rate.rate)}]
    record(company, actor=actor, action=Action.RATE_SET, target=exchange_rate, label=currency, changes=changes)
    return exchange_rate


@transaction.atomic
def delete_exchange_rate(company: Company, *, exchange_rate: ExchangeRate, actor: User) -> None:
    record(
        company,
        actor=actor,
        action=Action.RATE_DELETED,
        target=exchange_rate,
        label=exchange_rate.currency,
        rate=str(exchange_rate.rate),
    )
    exchange_rate.delete()
