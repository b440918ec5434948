"""A two-company world shared by the view tests: company A with an owner, an admin and a manager,
and company B with one user who must never see or change anything of A's."""

import uuid
from dataclasses import dataclass

import pytest
from django.test import Client
from django_scopes import scope, scopes_disabled

from companies.models import Company, Membership, User
from config.celery import app as celery_app
from tests.factories import CompanyFactory, LabelFactory, MembershipFactory, UserFactory, make_customer


@pytest.fixture(autouse=True)
def _test_settings(settings):
    # A test body runs with no tenant scope open, as a Celery task or a management command does:
    # a tenant query raises unless the test opens a company's scope (`in_company_a`, or
    # `with scope(company=...)` for each company it checks). Factories build their rows unscoped.
    settings.LANGUAGE_CODE = "en"
    # The production hasher costs ~0.3 s a password on purpose; every world makes four users.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Each test its own cache keys: rate limits and throttles start from zero, and nothing is
    # flushed from a Redis that parallel test processes and the Celery broker share.
    settings.CACHES = {"default": {**settings.CACHES["default"], "KEY_PREFIX": f"test-{uuid.uuid4().hex}"}}
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    celery_app.conf.task_always_eager = True


@pytest.fixture
def in_company_a(world):
    """The test body runs in company A's scope, as a request of A's staff does."""
    with scope(company=world.company_a):
        yield


@dataclass
class World:
    company_a: Company
    company_b: Company
    owner_a: User
    admin_a: User
    manager_a: User
    user_b: User

    def client_for(self, user: User) -> Client:
        client = Client()
        client.force_login(user)
        return client


@pytest.fixture
def world(db) -> World:
    with scopes_disabled():
        return _make_world()


def _make_world() -> World:
    company_a = CompanyFactory(name="Alpha Flowers")
    company_b = CompanyFactory(name="Beta Tools")
    owner_a = MembershipFactory(company=company_a, role=Membership.Role.OWNER, user__email="owner@a.example").user
    admin_a = MembershipFactory(company=company_a, role=Membership.Role.ADMIN, user__email="admin@a.example").user
    manager_a = MembershipFactory(company=company_a, role=Membership.Role.MANAGER, user__email="manager@a.example").user
    user_b = MembershipFactory(company=company_b, role=Membership.Role.OWNER, user__email="owner@b.example").user
    return World(company_a, company_b, owner_a, admin_a, manager_a, user_b)


@pytest.fixture
def owner_client(world) -> Client:
    return world.client_for(world.owner_a)


@pytest.fixture
def manager_client(world) -> Client:
    return world.client_for(world.manager_a)


@pytest.fixture
def b_client(world) -> Client:
    return world.client_for(world.user_b)


@pytest.fixture
def customer_a(world):
    with scope(company=world.company_a):
        label = LabelFactory(company=world.company_a, name="VIP")
        return make_customer(
            world.company_a,
            name="Anna Smirnova",
            phones=["+7 916 123-45-67"],
            emails=["Anna@Example.com"],
            labels=[label],
        )


__all__ = ["LabelFactory", "UserFactory", "make_customer"]
