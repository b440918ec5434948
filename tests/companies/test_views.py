import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from companies.models import Company, Membership
from tests.factories import CompanyFactory, MembershipFactory, UserFactory, make_customer


def test_pages_need_sign_in(db):
    response = Client().get(reverse("customers:list"))
    assert response.status_code == 302 and response.url.startswith("/login/")


def test_sign_in_with_email_lands_on_the_customer_list(world):
    client = Client()
    response = client.post(reverse("login"), {"username": "owner@a.example", "password": "secret-password"})
    assert response.status_code == 302
    page = client.get(response.url, follow=True).content.decode()
    assert "Alpha Flowers" in page and "Customers" in page


def test_a_wrong_password_says_so_and_does_not_sign_in(world):
    client = Client()
    response = client.post(reverse("login"), {"username": "owner@a.example", "password": "nope"})
    assert response.status_code == 200
    assert "correct email address and password" in response.content.decode()
    assert client.get(reverse("customers:list")).status_code == 302


def test_sign_out(world, owner_client):
    response = owner_client.post(reverse("logout"))
    assert response.status_code == 302
    assert owner_client.get(reverse("customers:list")).status_code == 302


def test_a_member_of_two_companies_switches_between_them(world):
    second = CompanyFactory(name="Gamma Bakery")
    MembershipFactory(company=second, user=world.owner_a, role=Membership.Role.MANAGER)
    make_customer(second, name="Gamma customer")
    make_customer(world.company_a, name="Alpha customer")
    client = world.client_for(world.owner_a)
    page = client.get(reverse("customers:list")).content.decode()
    assert "Alpha customer" in page and "Gamma Bakery" in page  # listed in the switcher
    response = client.post(reverse("companies:switch"), {"company": second.pk}, follow=True)
    assert response.redirect_chain == [(reverse("dashboard:home"), 302)]
    assert "You are now working in Gamma Bakery" in response.content.decode()
    page = client.get(reverse("customers:list")).content.decode()
    assert "Gamma customer" in page and "Alpha customer" not in page


def test_switching_to_a_company_you_are_not_in_is_404(world, owner_client):
    assert owner_client.post(reverse("companies:switch"), {"company": world.company_b.pk}).status_code == 404
    assert owner_client.post(reverse("companies:switch"), {"company": "x"}).status_code == 404


def test_a_free_plan_company_sees_what_the_paid_plan_offers(world):
    world.company_a.plan = Company.Plan.FREE
    world.company_a.save()
    response = world.client_for(world.owner_a).get(reverse("customers:list"))
    assert response.status_code == 402
    assert "part of the paid plan" in response.content.decode()


def test_a_user_without_a_company_is_told_so(db):
    client = Client()
    client.force_login(UserFactory())
    response = client.get(reverse("customers:list"))
    assert response.status_code == 403
    assert "not a member of any company" in response.content.decode()


def test_password_reset_sends_a_link_built_from_the_site_url(world, settings, django_capture_on_commit_callbacks):
    settings.SITE_URL = "https://crm.example.com"
    settings.ALLOWED_HOSTS = ["*"]  # even behind a proxy that passes any Host header on
    client = Client()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("password_reset"), {"email": "owner@a.example"}, HTTP_HOST="evil.example")
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    body = mail.outbox[0].body
    link = re.search(r"https://crm\.example\.com(/password/reset/\S+)", body)
    assert link and "evil.example" not in body
    form_page = client.get(link.group(1), follow=True)
    assert "Set a new password" in form_page.content.decode()
    done = client.post(
        form_page.redirect_chain[-1][0], {"new_password1": "An0ther-pass!", "new_password2": "An0ther-pass!"}
    )
    assert done.status_code == 302
    assert sign_in(Client(), "owner@a.example", "An0ther-pass!").status_code == 302


def sign_in(client, email, password, **extra):
    return client.post(reverse("login"), {"username": email, "password": password}, **extra)


def test_password_reset_for_an_unknown_email_sends_nothing_and_says_the_same(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = Client().post(reverse("password_reset"), {"email": "nobody@example.com"}, follow=True)
    assert "Check your email" in response.content.decode()
    assert mail.outbox == []


def test_language_is_the_users_choice_else_the_companys(world, owner_client):
    world.company_a.language = "ru"
    world.company_a.save()
    assert 'lang="ru"' in owner_client.get(reverse("customers:list")).content.decode()
    owner_client.post(reverse("companies:language"), {"language": "en", "next": "/customers/"})
    world.owner_a.refresh_from_db()
    assert world.owner_a.language == "en"
    assert 'lang="en"' in owner_client.get(reverse("customers:list")).content.decode()


def test_language_switch_refuses_unknown_languages_and_foreign_redirects(world, owner_client):
    response = owner_client.post(reverse("companies:language"), {"language": "xx", "next": "https://evil.example/"})
    assert response.url == reverse("home")
    world.owner_a.refresh_from_db()
    assert world.owner_a.language == ""


def test_healthz_answers_200_when_the_database_answers(db, settings):
    settings.REDIS_URL = ""
    response = Client().get("/healthz")
    assert response.status_code == 200 and response.json()["database"] == "ok"


def test_healthz_answers_503_when_the_broker_does_not(db, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    response = Client().get("/healthz")
    assert response.status_code == 503
    assert response.json()["broker"].startswith("error")


@pytest.mark.parametrize("role", ["owner", "admin"])
def test_owners_and_admins_see_the_delete_button_managers_do_not(world, role):
    customer = make_customer(world.company_a, name="Card")
    user = {"owner": world.owner_a, "admin": world.admin_a}[role]
    assert "bi-trash" in world.client_for(user).get(customer.get_absolute_url()).content.decode()
    assert "bi-trash" not in world.client_for(world.manager_a).get(customer.get_absolute_url()).content.decode()


def test_a_request_without_a_company_opens_no_scope_so_tenant_queries_raise(rf):
    """scope(company=None) would mean "every company" to django-scopes; no scope at all raises."""
    from django.contrib.auth.models import AnonymousUser
    from django.http import HttpResponse
    from django_scopes import scope
    from django_scopes.exceptions import ScopeError

    from companies.middleware import CompanyMiddleware
    from customers.models import Customer

    request = rf.get("/login/")
    request.user, request.session = AnonymousUser(), {}
    middleware = CompanyMiddleware(lambda request: HttpResponse(str(Customer.objects.count())))
    with scope(), pytest.raises(ScopeError):  # scope(): checks on, no company (the tests turn them off)
        middleware(request)


def test_pages_for_a_signed_in_user_are_not_cached(owner_client, world):
    assert owner_client.get(reverse("customers:list"))["Cache-Control"] == "private, no-store"
