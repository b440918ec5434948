"""Guessing passwords: the staff and admin sign-in wait after five wrong passwords for one email
or from one address (django-axes); password-reset emails are limited per address and email."""

import re

from django.core import mail
from django.test import Client
from django.urls import reverse

from tests.companies.test_views import sign_in


def test_five_wrong_passwords_lock_the_account_even_for_the_right_one(world):
    client = Client(REMOTE_ADDR="10.0.0.1")
    emails = ["owner@a.example", "Owner@A.example", " owner@a.example", "OWNER@a.example", "owner@a.example"]
    answers = [sign_in(client, email, "wrong").status_code for email in emails]
    assert answers == [200, 200, 200, 200, 429]  # the form again four times, then the wait
    locked = sign_in(Client(REMOTE_ADDR="10.0.0.2"), "owner@a.example", "secret-password")
    assert locked.status_code == 429
    assert "Try again in 15 minutes" in locked.content.decode()
    assert locked["Retry-After"] == "900"
    assert "_auth_user_id" not in Client(REMOTE_ADDR="10.0.0.2").session
    # Another account from another address signs in as usual.
    assert sign_in(Client(REMOTE_ADDR="10.0.0.3"), "admin@a.example", "secret-password").status_code == 302


def test_one_address_guessing_many_accounts_is_locked_out(world):
    guesser = Client(REMOTE_ADDR="10.0.0.9")
    for n in range(5):
        sign_in(guesser, f"someone{n}@a.example", "wrong")
    assert sign_in(guesser, "manager@a.example", "secret-password").status_code == 429
    assert sign_in(Client(REMOTE_ADDR="10.0.0.8"), "manager@a.example", "secret-password").status_code == 302


def test_x_forwarded_for_does_not_give_a_fresh_allowance(world):
    guesser = Client(REMOTE_ADDR="10.0.0.9")
    for n in range(5):
        sign_in(guesser, f"someone{n}@a.example", "wrong", HTTP_X_FORWARDED_FOR=f"1.2.3.{n}")
    assert sign_in(guesser, "manager@a.example", "secret-password", HTTP_X_FORWARDED_FOR="5.6.7.8").status_code == 429


def test_a_right_password_before_the_limit_starts_the_count_again(world):
    client = Client(REMOTE_ADDR="10.0.0.1")
    for _ in range(4):
        sign_in(client, "owner@a.example", "wrong")
    assert sign_in(client, "owner@a.example", "secret-password").status_code == 302
    client = Client(REMOTE_ADDR="10.0.0.1")
    for _ in range(4):
        sign_in(client, "owner@a.example", "wrong")
    assert sign_in(client, "owner@a.example", "secret-password").status_code == 302


def test_the_admin_sign_in_is_throttled_too(world):
    client = Client(REMOTE_ADDR="10.0.0.4")
    for _ in range(5):
        client.post("/admin/login/", {"username": "owner@a.example", "password": "wrong", "next": "/admin/"})
    response = client.post("/admin/login/", {"username": "owner@a.example", "password": "secret-password"})
    assert response.status_code == 429


def test_a_new_password_through_the_emailed_link_lifts_the_wait(world, settings, django_capture_on_commit_callbacks):
    settings.SITE_URL = "https://crm.example.com"
    for _ in range(5):
        sign_in(Client(REMOTE_ADDR="10.0.0.1"), "owner@a.example", "wrong")
    client = Client(REMOTE_ADDR="10.0.0.5")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("password_reset"), {"email": "owner@a.example"})
    link = re.search(r"https://crm\.example\.com(/password/reset/\S+)", mail.outbox[0].body).group(1)
    form_page = client.get(link, follow=True)
    client.post(form_page.redirect_chain[-1][0], {"new_password1": "An0ther-pass!", "new_password2": "An0ther-pass!"})
    assert sign_in(Client(REMOTE_ADDR="10.0.0.6"), "owner@a.example", "An0ther-pass!").status_code == 302


def test_password_reset_requests_are_limited_per_address_and_per_email(world, django_capture_on_commit_callbacks):
    client = Client(REMOTE_ADDR="10.0.0.7")
    with django_capture_on_commit_callbacks(execute=True):
        answers = [client.post(reverse("password_reset"), {"email": "owner@a.example"}) for _ in range(6)]
    assert [a.status_code for a in answers] == [302] * 5 + [200]
    assert "Too many password reset requests; try again in an hour." in answers[-1].content.decode()
    assert len(mail.outbox) == 5
    # The same email from another address is refused too: its mailbox is not flooded.
    other = Client(REMOTE_ADDR="10.0.0.8").post(reverse("password_reset"), {"email": "owner@a.example"})
    assert other.status_code == 200 and len(mail.outbox) == 5
