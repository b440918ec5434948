from django.db import transaction

from companies.models import Company, Membership, User


def set_user_language(user: User, *, language: str) -> None:
    user.language = language
    user.save(update_fields=["language"])


@transaction.atomic
def create_company(*, name: str, owner: User, plan: str = Company.Plan.FREE, **fields) -> Company:
    """A new company with its owner; later apps add their per-company defaults here."""
    company = Company.objects.create(name=name, plan=plan, **fields)
    Membership.objects.create(company=company, user=owner, role=Membership.Role.OWNER)
    return company
