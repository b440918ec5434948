"""A portal admin deletes a company completely: after the confirmation, no row of it is left in
any tenant table, its files and its staff-only accounts are gone, and the other company is
untouched."""

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.urls import reverse
from django_scopes import scope, scopes_disabled

from companies.deletion import tenant_models as deletion_order
from companies.models import Company, Membership, User
from customers.models import Customer
from exports.models import Export, export_storage
from orders.models import Product
from quicklinks.services import token_for
from tests.factories import MembershipFactory, UserFactory
from tests.test_tenancy import tenant_models


@pytest.fixture
def two_shops(db, settings, tmp_path):
    """Two companies seeded with data in every table the demo fills, an export file each."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STORAGES = {
        **settings.STORAGES,
        "exports": {**settings.STORAGES["exports"], "OPTIONS": {"location": str(tmp_path / "exports")}},
    }
    for name in ("Doomed Shop", "Staying Shop"):
        call_command("seed_demo", customers=40, company=name, catalog_products=4)
    with scopes_disabled():
        doomed, staying = Company.objects.get(name="Doomed Shop"), Company.objects.get(name="Staying Shop")
        MembershipFactory(company=doomed, role=Membership.Role.OWNER, user__email="only@doomed.example")
        for company in (doomed, staying):
            name = export_storage().save(f"{company.pk}/archive.xlsx", ContentFile(b"customers"))
            Export.objects.filter(company=company).update(file_name=name, status=Export.Status.DONE)
    return doomed, staying


def rows_of(company: Company) -> dict[str, int]:
    with scopes_disabled():
        return {m._meta.label: m._default_manager.filter(company=company).count() for m in tenant_models()}


@pytest.fixture
def portal_admin_client(client):
    client.force_login(UserFactory(email="portal@example.com", is_staff=True, is_superuser=True))
    return client


def test_the_deletion_order_covers_every_tenant_model_children_first():
    order = deletion_order()
    assert set(order) == set(tenant_models())
    assert order.index(Customer) > order.index(next(m for m in order if m._meta.label == "orders.Order"))


def test_a_portal_admin_deletes_a_company_and_no_row_of_it_is_left(
    two_shops, portal_admin_client, django_capture_on_commit_callbacks
):
    doomed, staying = two_shops
    assert sum(rows_of(doomed).values()) > 500
    with scopes_disabled():
        files = [e.file_name for e in Export.objects.filter(company=doomed)]
        images = [p.image.name for p in Product.objects.filter(company=doomed).exclude(image="")]
        doomed_customer = Customer.objects.filter(company=doomed).first()
    shared = UserFactory(email="shared@example.com")
    MembershipFactory(user=shared, company=doomed)
    MembershipFactory(user=shared, company=staying)
    left_alone = rows_of(staying)
    only_doomed = {"only@doomed.example"}  # the demo's staff work for both shops and stay
    content_type = ContentType.objects.get_for_model(Customer)
    LogEntry.objects.create(
        user=User.objects.get(email="portal@example.com"),
        content_type=content_type,
        object_id=str(doomed_customer.pk),
        object_repr=str(doomed_customer),
        action_flag=CHANGE,
    )
    url = reverse("admin:companies_company_delete_completely", args=[doomed.pk])

    page = portal_admin_client.get(url)
    assert page.status_code == 200
    assert "Doomed Shop" in page.content.decode()
    for email in only_doomed:
        assert email in page.content.decode()

    # The wrong name deletes nothing.
    wrong = portal_admin_client.post(url, {"name": "Staying Shop"})
    assert wrong.status_code == 200
    assert "This is not the company&#x27;s name" in wrong.content.decode()
    assert Company.objects.get(pk=doomed.pk).deletion_requested_at is None

    with django_capture_on_commit_callbacks(execute=True):
        done = portal_admin_client.post(url, {"name": " Doomed Shop "})
    assert done.status_code == 302

    assert not Company.objects.filter(pk=doomed.pk).exists()
    assert all(count == 0 for count in rows_of(doomed).values()), rows_of(doomed)
    assert rows_of(staying) == left_alone
    assert not User.objects.filter(email__in=only_doomed).exists()
    assert User.objects.filter(email__in=["owner@demo.example", "manager@demo.example"]).count() == 2
    assert set(Membership.objects.filter(user=shared).values_list("company", flat=True)) == {staying.pk}
    assert not LogEntry.objects.filter(content_type=content_type, object_id=str(doomed_customer.pk)).exists()
    assert files and not any(export_storage().exists(name) for name in files)
    from django.core.files.storage import default_storage

    assert images and not any(default_storage.exists(name) for name in images)
    with scopes_disabled():
        assert all(export_storage().exists(e.file_name) for e in Export.objects.filter(company=staying))


def test_once_deletion_is_asked_its_staff_and_quick_links_lose_the_company(two_shops, client):
    doomed, _staying = two_shops
    owner = User.objects.get(email="only@doomed.example")
    with scope(company=doomed):
        from quicklinks.models import QuickLink

        link = QuickLink.objects.filter(revoked_at=None).first()
    client.force_login(owner)
    assert client.get(reverse("customers:list")).status_code == 200
    Company.objects.filter(pk=doomed.pk).update(deletion_requested_at="2026-01-01T00:00:00Z")  # as the admin asks

    assert client.get(reverse("customers:list")).status_code == 403  # no company any more
    assert client.get(reverse("quicklinks:catalog", args=[token_for(link)])).status_code == 404


def test_a_company_is_deleted_only_through_the_confirmation(two_shops, portal_admin_client):
    doomed, _staying = two_shops
    # Django's own delete would stop at the orders' PROTECT: it is not offered.
    response = portal_admin_client.get(reverse("admin:companies_company_delete", args=[doomed.pk]))
    assert response.status_code == 403
    changelist = portal_admin_client.get(reverse("admin:companies_company_changelist")).content.decode()
    assert reverse("admin:companies_company_delete_completely", args=[doomed.pk]) in changelist


def test_staff_without_portal_rights_cannot_delete_a_company(two_shops, client):
    doomed, _staying = two_shops
    client.force_login(UserFactory(email="helpdesk@example.com", is_staff=True))
    response = client.post(
        reverse("admin:companies_company_delete_completely", args=[doomed.pk]), {"name": "Doomed Shop"}
    )
    assert response.status_code == 403
    assert Company.objects.get(pk=doomed.pk).deletion_requested_at is None
