from django.core.management import call_command
from django.db.models import Count

from companies.models import Company, ExchangeRate
from customers.models import Customer, DuplicateCandidate
from orders.models import Order, OrderItem, Product
from orders.services import rebuild_all_customer_stats

FIGURES = ["pk", "orders_count", "orders_sum", "first_order_at", "last_order_at", "last_activity_at"]


def test_seed_demo_builds_a_shop_whose_figures_match_its_orders(db):
    call_command("seed_demo", customers=120, company="Seed Test")
    company = Company.objects.get(name="Seed Test")
    customers = Customer.objects.filter(company=company).order_by("pk")
    orders = Order.objects.filter(company=company)

    assert customers.count() == 120
    # Three of them are twins from an "old import", for the possible duplicates page.
    assert DuplicateCandidate.objects.filter(company=company, reason=DuplicateCandidate.Reason.SAME_NAME).count() == 3
    assert set(ExchangeRate.objects.filter(company=company).values_list("currency", flat=True)) == {"USD", "EUR"}
    assert Product.objects.filter(company=company, is_active=False).exists()
    assert 2 * 120 < orders.count() < 4 * 120  # about three orders per customer
    assert {"RUB", "USD"} <= set(orders.values_list("currency", flat=True))
    assert orders.filter(status=Order.Status.CANCELLED).exists()
    assert not orders.annotate(lines=Count("items")).filter(lines=0).exists()
    assert OrderItem.objects.filter(order__company=company).exclude(product=None).exists()
    # Numbered 1…N in the order they were placed, and the company's counter continues from N.
    numbers = list(orders.order_by("created_at", "pk").values_list("number", flat=True))
    assert numbers == list(range(1, len(numbers) + 1))
    company.refresh_from_db()
    assert company.last_order_number == len(numbers)

    seeded = list(customers.values_list(*FIGURES))
    rebuild_all_customer_stats(company)
    assert list(customers.values_list(*FIGURES)) == seeded
