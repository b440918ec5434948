"""Tenancy is structural: tenant models refuse to query without a company scope, and the few
places that cross companies on purpose are listed here, so a new one is a visible decision."""

import subprocess

import pytest
from django.apps import apps
from django.conf import settings
from django_scopes import scope, scopes_disabled
from django_scopes.exceptions import ScopeError

from companies.models import TenantModel
from customers.models import Customer
from tests.factories import make_customer

# Every `scopes_disabled()` outside tests, with why it may cross companies.
ALLOWED_UNSCOPED = {
    "audit/tasks.py",  # the retention sweep deletes old entries of every company
    "companies/deletion.py",  # a portal admin deletes one company: its rows are found by company id
    "companies/middleware.py",  # the Django admin is for portal admins, across companies
    "customers/management/commands/seed_demo.py",  # creates companies and their users
    "exports/tasks.py",  # the sweepers of stalled and expired exports look at every company
    "imports/tasks.py",  # the sweeper of stalled imports looks at every company
    "messaging/services.py",  # a gateway's delivery report names the message by the gateway's id
    "messaging/tasks.py",  # the sweeper of sends a dead worker left looks at every company
    "quicklinks/services.py",  # a quick-link token is what names the company
}

# Models with a company that are read across companies on purpose, with why.
NOT_SCOPED = {
    "companies.Membership": "a user's memberships are read before any company is chosen",
}


def tenant_models():
    """Every model that belongs to a company, found by its `company` foreign key: a new app's
    models are checked as soon as they exist."""
    from companies.models import Company

    for model in apps.get_models():
        field = next((f for f in model._meta.fields if f.name == "company"), None)
        if field is not None and field.related_model is Company and not model._meta.auto_created:
            yield model


def test_every_tenant_model_has_a_company_and_the_scoped_manager():
    found = list(tenant_models())
    assert {m._meta.app_label for m in found} >= {"customers", "orders", "exports", "segments", "quicklinks"}
    for model in found:
        field = model._meta.get_field("company")
        assert not field.null, f"{model.__name__}.company must not be null"
        if model._meta.label in NOT_SCOPED:
            continue
        assert hasattr(model._default_manager, "with_scope"), f"{model._meta.label} must use ScopedManager"
        assert issubclass(model, TenantModel), f"{model._meta.label} must be a companies.models.TenantModel"


def test_a_query_outside_a_company_scope_raises(world):
    make_customer(world.company_a, name="Scoped")
    with scope(), pytest.raises(ScopeError):
        list(Customer.objects.all())


def test_inside_a_scope_only_that_companys_rows_are_seen(world):
    make_customer(world.company_a, name="Mine")
    make_customer(world.company_b, name="Theirs")
    with scope(company=world.company_a):
        assert [c.full_name for c in Customer.objects.all()] == ["Mine"]
    with scopes_disabled():
        assert Customer.objects.count() == 2


def test_scopes_disabled_appears_only_where_crossing_companies_is_the_point():
    found = subprocess.run(
        # Tests and benchmarks set up and read data of several companies; the app itself may not.
        ["git", "grep", "-l", "scopes_disabled()", "--", "*.py", ":!tests/*", ":!bench/*"],
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        check=False,
    ).stdout.split()
    assert set(found) == ALLOWED_UNSCOPED


def test_no_tenant_scope_closes_the_callers_scope_until_it_ends(world):
    from companies.middleware import no_tenant_scope

    make_customer(world.company_a, name="Mine")
    with scope(company=world.company_a):
        with no_tenant_scope(), pytest.raises(ScopeError):
            list(Customer.objects.all())
        assert [c.full_name for c in Customer.objects.all()] == ["Mine"]  # the caller's scope is back
    with scopes_disabled(), no_tenant_scope(), pytest.raises(ScopeError):
        Customer.objects.count()  # even "every company" is closed


def test_a_request_without_a_company_never_inherits_the_callers_scope(world, rf):
    """A request of nobody's company (anonymous, or a user without a membership) runs with no
    tenant scope even when the code around it has one open, as a test or an eager task might:
    a tenant query inside raises instead of reading that company's rows."""
    from django.contrib.auth.models import AnonymousUser
    from django.contrib.sessions.backends.db import SessionStore

    from companies.middleware import CompanyMiddleware
    from companies.models import User

    make_customer(world.company_a, name="Mine")
    seen = []

    def view(request):
        seen.append(request.company)
        return [c.full_name for c in Customer.objects.all()]

    without_membership = User.objects.create_user(email="nobody@example.com", password="secret-password")
    for user in (AnonymousUser(), without_membership):
        request = rf.get("/login/")
        request.user, request.session = user, SessionStore()
        with scope(company=world.company_a), pytest.raises(ScopeError):
            CompanyMiddleware(view)(request)
    assert seen == [None, None]
    # A's own staff, asked the same way, see A's rows: the middleware opens their company's scope.
    request = rf.get("/customers/")
    request.user, request.session = world.owner_a, SessionStore()
    with scope(company=world.company_b):
        assert CompanyMiddleware(view)(request) == ["Mine"]


def test_anonymous_pages_still_work_inside_a_callers_scope(world, client):
    """The sign-in page queries nothing of a company's; a quick-link page opens the scope of the
    link's company itself, whatever scope the caller had open."""
    from orders.models import Product
    from quicklinks.services import issue_link, url_for

    with scope(company=world.company_b):
        customer = make_customer(world.company_b, name="Bob", phones=["+79161234567"])
        Product.objects.create(company=world.company_b, name="Hammer", price=5, currency="RUB")
        path = url_for(issue_link(world.company_b, customer=customer, actor=world.user_b)).split("://", 1)[-1]
        path = path[path.index("/") :]
    with scope(company=world.company_a):
        assert client.get("/login/").status_code == 200
        response = client.get(path)
        assert response.status_code == 200 and "Hammer" in response.content.decode()
