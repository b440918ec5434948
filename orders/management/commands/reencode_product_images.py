from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand
from django_scopes import scope

from companies.models import Company
from orders.models import Product
from orders.services import reencode_product_image


class Command(BaseCommand):
    help = (
        "Re-encodes product images uploaded before uploads were re-encoded (those without a thumbnail): "
        "upright, at most 1600 px, without metadata, with a thumbnail; the originals are deleted."
    )

    def handle(self, *args, **options):
        for company in Company.objects.order_by("pk"):
            with scope(company=company):
                products = Product.objects.filter(company=company, thumbnail="").exclude(image="").order_by("pk")
                for product in products:
                    try:
                        reencode_product_image(company, product=product)
                    except (ValidationError, OSError) as error:
                        reason = " ".join(error.messages) if isinstance(error, ValidationError) else str(error)
                        self.stderr.write(f"{company.name}: product {product.pk} ({product.name}) kept as is: {reason}")
                    else:
                        self.stdout.write(f"{company.name}: {product.name} re-encoded")
