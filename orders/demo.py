"""A demo catalog at real size: categories for the demo company's products, and enough more
products with pictures (drawn here, nothing downloaded) to page through on a quick order link.

seed_demo calls `add_demo_catalog(company)` once it has created the company's products.
"""

import random
from decimal import Decimal
from io import BytesIO

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from PIL import Image, ImageDraw

from companies.models import Company
from orders.images import prepare_product_image
from orders.models import Category, Product
from orders.services import store_product_image

# Category name, position, the SKU prefixes of seed_demo's products that belong in it, a colour.
CATEGORIES = [
    ("Букеты", 1, ("BQ",), (214, 51, 132)),
    ("Розы", 2, ("RS",), (200, 35, 51)),
    ("Тюльпаны", 3, ("TL",), (253, 126, 20)),
    ("Композиции", 4, ("BX",), (111, 66, 193)),
    ("Открытки и шары", 5, ("CD", "BL"), (13, 110, 253)),
    ("Вазы и свечи", 6, ("VS", "CN"), (32, 201, 151)),
]
KINDS = {
    "Букеты": ["Букет «{}»", ["Нежность", "Рассвет", "Облако", "Юбилей", "Classic", "Пионовый", "Полевой"]],
    "Розы": ["Розы {}, {} шт.", ["красные", "белые", "кремовые", "розовые", "пионовидные", "кустовые"]],
    "Тюльпаны": ["Тюльпаны {}, {} шт.", ["жёлтые", "белые", "красные", "микс", "сиреневые"]],
    "Композиции": ["Композиция «{}»", ["Шляпная коробка", "Корзина", "Ящик", "Сердце", "Мини"]],
    "Открытки и шары": ["{}", ["Открытка «С днём рождения»", "Открытка «Спасибо»", "Шар из фольги", "Шары, 10 шт."]],
    "Вазы и свечи": ["{}", ["Ваза керамическая", "Ваза-цилиндр", "Свеча в стакане", "Набор свечей"]],
}


@transaction.atomic
def add_demo_catalog(company: Company, *, extra_products: int = 120, seed: int = 2026) -> None:
    """Files the company's products under demo categories and adds `extra_products` more, each
    with a drawn picture stored the way an upload is (re-encoded, with a thumbnail)."""
    rng = random.Random(seed)
    categories = {}
    for name, position, prefixes, colour in CATEGORIES:
        category, _created = Category.objects.get_or_create(company=company, name=name, defaults={"position": position})
        categories[name] = (category, colour)
        for prefix in prefixes:
            Product.objects.filter(company=company, sku__startswith=f"{prefix}-", category=None).update(
                category=category
            )
    names = list(categories)
    for number in range(1, extra_products + 1):
        name = names[number % len(names)]
        category, colour = categories[name]
        pattern, words = KINDS[name]
        title = pattern.format(rng.choice(words), rng.choice([7, 11, 15, 25, 51]))
        product = Product(
            company=company,
            category=category,
            name=f"{title} · {number:03d}",
            sku=f"DM-{number:03d}",
            description="Демонстрационный товар: свежие цветы и подарки с доставкой по городу.",
            price=Decimal(rng.randrange(300, 9000, 50)),
            currency="RUB",
        )
        store_product_image(product, prepare_product_image(_picture(rng, colour)))
        product.save()


def _picture(rng: random.Random, colour: tuple[int, int, int]) -> SimpleUploadedFile:
    """A bunch of coloured circles on a light background, as a JPEG upload."""
    picture = Image.new("RGB", (800, 600), (248, 246, 242))
    draw = ImageDraw.Draw(picture)
    for _ in range(rng.randint(5, 9)):
        x, y, r = rng.randint(150, 650), rng.randint(120, 420), rng.randint(50, 110)
        shade = tuple(max(0, min(255, c + rng.randint(-40, 40))) for c in colour)
        draw.ellipse((x - r, y - r, x + r, y + r), fill=shade, outline=(255, 255, 255), width=4)
    draw.rectangle((360, 430, 440, 600), fill=(60, 140, 70))
    buffer = BytesIO()
    picture.save(buffer, "JPEG", quality=85)
    return SimpleUploadedFile("demo.jpg", buffer.getvalue(), content_type="image/jpeg")
