import pytest
from django.urls import reverse
from django_scopes import scope

from tests.factories import LabelFactory, UserFactory, make_customer


@pytest.fixture
def portal_admin_client(world, client):
    client.force_login(UserFactory(email="portal@example.com", is_staff=True, is_superuser=True))
    return client


def test_portal_admins_manage_companies_users_and_memberships(world, portal_admin_client):
    customer = make_customer(world.company_a, name="Admin view", phones=["+79161234567"])
    label = LabelFactory(company=world.company_a)
    pages = [
        reverse("admin:companies_company_changelist"),
        reverse("admin:companies_company_change", args=[world.company_a.pk]),
        reverse("admin:companies_user_changelist"),
        reverse("admin:companies_user_change", args=[world.owner_a.pk]),
        reverse("admin:companies_user_add"),
        reverse("admin:companies_membership_changelist"),
        reverse("admin:customers_customer_changelist"),
        reverse("admin:customers_customer_change", args=[customer.pk]),
        reverse("admin:customers_label_change", args=[label.pk]),
    ]
    for url in pages:
        assert portal_admin_client.get(url).status_code == 200, url


def test_a_portal_admin_moves_a_company_to_the_paid_plan(world, portal_admin_client):
    company = world.company_a
    data = {
        "name": company.name,
        "plan": "free",
        "default_region": "RU",
        "base_currency": "RUB",
        "time_zone": "Europe/Moscow",
        "language": "ru",
        "memberships-TOTAL_FORMS": "0",
        "memberships-INITIAL_FORMS": "0",
    }
    response = portal_admin_client.post(reverse("admin:companies_company_change", args=[company.pk]), data)
    assert response.status_code == 302
    company.refresh_from_db()
    assert company.plan == "free"


def test_a_company_added_in_the_admin_starts_with_its_owner_and_the_default_segments(world, portal_admin_client):
    from audit.models import AuditEntry
    from companies.models import Company
    from segments.models import Segment

    data = {
        "name": "Gamma Garden",
        "plan": "paid",
        "default_region": "RU",
        "base_currency": "RUB",
        "time_zone": "Europe/Moscow",
        "language": "en",
        "memberships-TOTAL_FORMS": "1",
        "memberships-INITIAL_FORMS": "0",
        "memberships-0-user": world.manager_a.pk,
        "memberships-0-role": "owner",
    }
    response = portal_admin_client.post(reverse("admin:companies_company_add"), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    company = Company.objects.get(name="Gamma Garden")
    with scope(company=company):
        assert set(Segment.objects.values_list("default", flat=True)) == {"all", "new", "loyal", "inactive"}
        [added] = AuditEntry.objects.filter(action=AuditEntry.Action.MEMBER_ADDED)
    assert added.object_label == world.manager_a.email and added.details == {"role": "owner"}
    assert company.memberships.get().role == "owner"


def test_staff_members_of_companies_are_not_portal_admins(world, owner_client):
    response = owner_client.get(reverse("admin:companies_company_changelist"))
    assert response.status_code == 302 and "/admin/login/" in response.url


def test_portal_admins_list_orders_products_segments_exports_and_imports_across_companies(world, portal_admin_client):
    from decimal import Decimal

    from exports.models import Export
    from imports.models import Import
    from orders.models import Product
    from orders.services import Line, place_order

    for company in (world.company_a, world.company_b):
        with scope(company=company):
            product = Product.objects.create(
                company=company, name=f"Rose {company.name}", price=Decimal(5), currency="RUB"
            )
            customer = make_customer(company, name=f"Buyer {company.name}", phones=["+79161234567"])
            place_order(company, customer=customer, lines=[Line(quantity=1, product_id=product.pk)], source="staff")
            Export.objects.create(company=company, language="en", audience="all", description=f"All of {company.name}")
            Import.objects.create(company=company, language="en", original_name=f"{company.name}.xlsx")
    pages = {  # a search term, a filter, and what company B's row shows
        "orders_order": ("Buyer", "status__exact=new", "Buyer Beta Tools"),
        "orders_product": ("Rose", "is_active__exact=1", "Rose Beta Tools"),
        "segments_segment": ("Loyal", "default__exact=loyal", None),
        "exports_export": ("All of", "status__exact=pending", "All of Beta Tools"),
        "imports_import": ("xlsx", "status__exact=mapping", "Beta Tools.xlsx"),
    }
    for name, (term, condition, row_of_b) in pages.items():
        url = reverse(f"admin:{name}_changelist")
        response = portal_admin_client.get(f"{url}?q={term}&{condition}&company__id__exact={world.company_a.pk}")
        assert response.status_code == 200, name
        page = response.content.decode()
        assert "result-list" in page or "result_list" in page, name
        if row_of_b:
            assert row_of_b.replace("Beta Tools", "Alpha Flowers") in page, name
            assert row_of_b not in page, name
            assert row_of_b in portal_admin_client.get(url).content.decode(), name
