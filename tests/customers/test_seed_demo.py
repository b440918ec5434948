from django.core.management import call_command
from django.db.models import Count
from django_scopes import scope

from companies.models import Company, ExchangeRate
from customers.models import Customer, DuplicateCandidate
from customers.services import rebuild_all_customer_stats
from orders.models import Category, Order, OrderItem, Product

FIGURES = ["pk", "orders_count", "orders_sum", "first_order_at", "last_order_at", "last_activity_at"]


def test_seed_demo_builds_a_shop_whose_figures_match_its_orders(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    call_command("seed_demo", customers=120, company="Seed Test", catalog_products=6)
    company = Company.objects.get(name="Seed Test")
    with scope(company=company):  # the command ran with no scope open; the checks read its company
        customers = Customer.objects.filter(company=company).order_by("pk")
        orders = Order.objects.filter(company=company)

        assert customers.count() == 120
        # Three of them are twins from an "old import", for the possible duplicates page.
        assert (
            DuplicateCandidate.objects.filter(company=company, reason=DuplicateCandidate.Reason.SAME_NAME).count() == 3
        )
        assert set(ExchangeRate.objects.filter(company=company).values_list("currency", flat=True)) == {"USD", "EUR"}
        assert Product.objects.filter(company=company, is_active=False).exists()
        # The catalog in categories, with pictures to page through on a quick order link.
        assert Category.objects.filter(company=company).count() == 6
        assert Product.objects.filter(company=company, category=None).count() <= 1  # the delivery line
        assert Product.objects.filter(company=company).exclude(thumbnail="").count() >= 6
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


def test_the_demo_looks_like_a_real_shop_with_every_feature_in_use(
    db, settings, tmp_path, django_capture_on_commit_callbacks
):
    from datetime import timedelta

    from django.utils import timezone

    from customers.models import Label, Note
    from exports.models import Export
    from quicklinks.models import QuickLink
    from segments.models import Segment
    from segments.queries import filter_of

    settings.STORAGES = {
        **settings.STORAGES,
        "exports": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path)}},
    }
    with django_capture_on_commit_callbacks(execute=True):  # the export is built once its row is committed
        call_command("seed_demo", customers=400, company="Seed Test", catalog_products=0)
    company = Company.objects.get(name="Seed Test")
    with scope(company=company):  # the command ran with no scope open; the checks read its company
        customers = Customer.objects.filter(company=company)
        orders = Order.objects.filter(company=company)

        shares = {status: orders.filter(status=status).count() / orders.count() for status in Order.Status.values}
        assert 0.6 < shares["completed"] < 0.8
        assert 0.04 < shares["cancelled"] < 0.12
        assert all(shares[status] > 0.02 for status in ("new", "confirmed", "in_production", "shipped"))
        year_ago = timezone.now() - timedelta(days=365)
        old, recent = orders.filter(created_at__lt=year_ago), orders.filter(created_at__gte=year_ago)
        assert old.filter(status="completed").count() / old.count() > recent.filter(status="completed").count() / (
            recent.count()
        )

        # The twins from the "old import" are not the newest cards at the top of the list.
        newest = set(customers.order_by("-created_at")[:20].values_list("pk", flat=True))
        pairs = DuplicateCandidate.objects.filter(company=company)
        assert pairs.exists()
        assert not newest & {pk for pair in pairs for pk in (pair.first_id, pair.second_id)}

        assert customers.filter(is_blocked=True).exclude(blocked_reason="").exists()
        assert customers.filter(is_favourite=True).exists()
        assert customers.filter(labels__isnull=False).exists() and Label.objects.filter(company=company).count() >= 5
        assert Note.objects.filter(company=company, priority=Note.Priority.HIGH).exists()
        assert customers.filter(sms_consent=True).exclude(sms_consent_source="").exists()
        assert customers.filter(email_consent=False).exists()
        today = timezone.localdate()
        soon = {(today + timedelta(days=n)).strftime("%m-%d") for n in range(14)}
        birthdays = customers.exclude(birthday=None).values_list("birthday", flat=True)
        assert sum(1 for day in birthdays if day.strftime("%m-%d") in soon) >= 10
        assert QuickLink.objects.filter(company=company).count() >= 10
        assert Export.objects.filter(company=company, status=Export.Status.DONE).exists()
        for segment in Segment.objects.filter(company=company):
            assert filter_of(company, segment.query).qs.exists(), segment.name
        assert Segment.objects.filter(company=company, default="").exists()  # a saved one besides the defaults


def test_if_empty_leaves_an_existing_demo_alone(db, settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "exports": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path)}},
    }
    call_command("seed_demo", customers=30, company="Seed Test", catalog_products=0)
    call_command("seed_demo", customers=50, company="Seed Test", if_empty=True, catalog_products=0)
    with scope(company=Company.objects.get(name="Seed Test")):
        assert Customer.objects.filter(company__name="Seed Test").count() == 30
