import factory
from django.utils import timezone

from companies.models import Company, Membership, User
from customers.models import Customer, Label, Note


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("email",)

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    first_name = factory.Faker("first_name")
    password = factory.django.Password("secret-password")


class CompanyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Company

    name = factory.Sequence(lambda n: f"Company {n}")
    plan = Company.Plan.PAID
    default_region = "RU"
    language = "en"


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    company = factory.SubFactory(CompanyFactory)
    role = Membership.Role.MANAGER


class LabelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Label

    company = factory.SubFactory(CompanyFactory)
    name = factory.Sequence(lambda n: f"Label {n}")
    color = "#198754"


def make_customer(company, *, name="Ivan Petrov", phones=(), emails=(), labels=(), **fields):
    """A customer created through the same service staff use."""
    from customers.services import create_customer

    return create_customer(company, fields={"full_name": name, **fields}, phones=phones, emails=emails, labels=labels)


class NoteFactory(factory.django.DjangoModelFactory):
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
