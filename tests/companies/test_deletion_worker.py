"""A company deleted from the Django admin by a real Celery worker on Redis: the admin's request
only marks it; the worker process deletes every row of it."""

import pytest
from django.conf import settings
from django.urls import reverse
from django_scopes import scope, scopes_disabled

from companies.models import Company
from tests.exports.test_worker import wait_for, worker  # noqa: F401 (the worker fixture)
from tests.factories import UserFactory, make_customer
from tests.test_tenancy import tenant_models

pytestmark = pytest.mark.skipif(not settings.REDIS_URL, reason="needs REDIS_URL (CI sets it)")


def test_a_worker_deletes_a_company_the_admin_asked_to_delete(worker, world, client):  # noqa: F811
    with scope(company=world.company_a):
        make_customer(world.company_a, name="Anna", phones=["+79161234567"])
    with scope(company=world.company_b):
        make_customer(world.company_b, name="Stays", phones=["+79161234567"])
    client.force_login(UserFactory(email="portal@example.com", is_staff=True, is_superuser=True))
    url = reverse("admin:companies_company_delete_completely", args=[world.company_a.pk])
    assert client.post(url, {"name": world.company_a.name}).status_code == 302

    wait_for(
        "the worker did not delete the company", lambda: not Company.objects.filter(pk=world.company_a.pk).exists()
    )
    with scopes_disabled():
        assert not any(m._default_manager.filter(company_id=world.company_a.pk).exists() for m in tenant_models())
        assert any(m._default_manager.filter(company=world.company_b).exists() for m in tenant_models())
