import factory
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from companies.models import Company, Membership, User
from customers.models import Customer, Label, Note


class Factory(factory.django.DjangoModelFactory):
    """Test rows are made as fixtures, outside any company's scope (the factory names the company)."""

    class Meta:
        abstract = True

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        with scopes_disabled():
            return super()._create(model_class, *args, **kwargs)

    @classmethod
    def _get_or_create(cls, model_class, *args, **kwargs):
        with scopes_disabled():
            return super()._get_or_create(model_class, *args, **kwargs)


class UserFactory(Factory):
    class Meta:
        model = User
        django_get_or_create = ("email",)

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    first_name = factory.Faker("first_name")
    password = factory.django.Password("secret-password")


class CompanyFactory(Factory):
    class Meta:
        model = Company

    name = factory.Sequence(lambda n: f"Company {n}")
    plan = Company.Plan.PAID
    default_region = "RU"
    language = "en"

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        from companies.services import set_up_company

        company = super()._create(model_class, *args, **kwargs)
        set_up_company(company)  # what create_company gives a new company: the default segments
        return company


class MembershipFactory(Factory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    company = factory.SubFactory(CompanyFactory)
    role = Membership.Role.MANAGER


class LabelFactory(Factory):
    class Meta:
        model = Label

    company = factory.SubFactory(CompanyFactory)
    name = factory.Sequence(lambda n: f"Label {n}")
    color = "#198754"


def make_customer(company, *, name="Ivan Petrov", phones=(), emails=(), labels=(), **fields):
    """A customer created through the same service staff use, in the company's scope."""
    from customers.services import create_customer

    with scope(company=company):
        return create_customer(
            company, fields={"full_name": name, **fields}, phones=phones, emails=emails, labels=labels
        )


class NoteFactory(Factory):
    class Meta:
        model = Note

    text = "Call back after 6 pm"
    priority = Note.Priority.NONE
    created_at = factory.LazyFunction(timezone.now)


__all__ = [
    "CompanyFactory",
    "Customer",
    "LabelFactory",
    "MembershipFactory",
    "NoteFactory",
    "UserFactory",
    "make_customer",
]
