from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from companies.models import Company, ExchangeRate, Membership, User


def set_user_language(user: User, *, language: str) -> None:
    user.language = language
    user.save(update_fields=["language"])


@transaction.atomic
def create_company(*, name: str, owner: User, plan: str = Company.Plan.FREE, **fields) -> Company:
    """A new company with its owner; later apps add their per-company defaults here."""
    company = Company.objects.create(name=name, plan=plan, **fields)
    Membership.objects.create(company=company, user=owner, role=Membership.Role.OWNER)
    return company


@transaction.atomic
def set_exchange_rate(company: Company, *, currency: str, rate: Decimal, actor: User) -> ExchangeRate:
    """Sets the rate used for orders placed from now on; placed orders keep the rate they used."""
    if currency == company.base_currency:
        raise ValidationError({"currency": _("The company's own currency needs no rate.")})
    exchange_rate, _created = ExchangeRate.objects.update_or_create(
        company=company, currency=currency, defaults={"rate": rate, "updated_by": actor}
    )
    return exchange_rate


@transaction.atomic
def delete_exchange_rate(company: Company, *, exchange_rate: ExchangeRate, actor: User) -> None:
    exchange_rate.delete()
