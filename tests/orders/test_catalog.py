"""The staff catalog: categories, product images (checked, re-encoded, thumbnailed), the list."""

import struct
import zlib
from decimal import Decimal
from io import BytesIO
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from orders import services
from orders.models import Category, Product

pytestmark = pytest.mark.usefixtures("in_company_a")


@pytest.fixture(autouse=True)
def media(settings, tmp_path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def stored_files(media: Path) -> list[Path]:
    return sorted(path for path in media.rglob("*") if path.is_file()) if media.exists() else []


def jpeg_with_exif(size=(3000, 2000), orientation=6) -> bytes:
    """A landscape photo whose EXIF says "turn 90° clockwise", with a camera and a GPS position."""
    picture = Image.new("RGB", size, (200, 40, 40))
    picture.paste((20, 20, 200), (0, 0, size[0] // 2, size[1] // 4))  # a blue band at the top left
    exif = Image.Exif()
    exif[0x0112] = orientation  # Orientation
    exif[0x010F] = "SpyCam"  # Make
    exif[0x8825] = {1: "N", 2: (55.0, 45.0, 0.0)}  # GPS: latitude
    buffer = BytesIO()
    picture.save(buffer, "JPEG", exif=exif, quality=90)
    return buffer.getvalue()


def png_header_only(width: int, height: int) -> bytes:
    """A PNG whose header claims width × height pixels, with almost no data behind it."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    data = zlib.compress(b"\0" * 64)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data) + chunk(b"IEND", b"")


def encoded(fmt: str, size=(40, 30), mode="RGB") -> bytes:
    buffer = BytesIO()
    Image.new(mode, size).save(buffer, fmt)
    return buffer.getvalue()


def post_product(client, *, image=None, product=None, **fields):
    url = reverse("orders:product_edit", args=[product.pk]) if product else reverse("orders:product_create")
    data = {"name": "Tulip", "sku": "T-1", "price": "80", "currency": "RUB", "is_active": "on", **fields}
    if image is not None:
        data["image"] = image
    return client.post(url, data)


# Images -----------------------------------------------------------------------------------------


def test_a_photo_is_stored_upright_smaller_without_its_exif_and_with_a_thumbnail(world, owner_client, media):
    photo = SimpleUploadedFile("holiday.jpg", jpeg_with_exif(), content_type="image/jpeg")
    assert post_product(owner_client, image=photo).status_code == 302
    product = Product.objects.get(company=world.company_a, sku="T-1")
    assert product.image.name.startswith("products/") and "holiday" not in product.image.name
    with Image.open(media / product.image.name) as stored:
        assert stored.format == "WEBP"
        assert stored.size == (1067, 1600)  # 3000 × 2000 turned upright, at most 1600 on the long side
        assert not stored.getexif() and "exif" not in stored.info and "icc_profile" not in stored.info
        red, _green, blue = stored.convert("RGB").getpixel((stored.width - 5, 5))
        assert blue > red  # the blue band, turned with the picture, is now at the top right
    with Image.open(media / product.thumbnail.name) as thumbnail:
        assert thumbnail.format == "WEBP" and max(thumbnail.size) == 320 and not thumbnail.getexif()
        assert (product.thumbnail_width, product.thumbnail_height) == thumbnail.size == (213, 320)
    assert len(stored_files(media)) == 2  # the upload itself is not kept


def test_a_transparent_png_keeps_its_transparency(world, owner_client, media):
    logo = SimpleUploadedFile("logo.png", encoded("PNG", (500, 100), "RGBA"), content_type="image/png")
    post_product(owner_client, image=logo)
    product = Product.objects.get(company=world.company_a)
    with Image.open(media / product.thumbnail.name) as thumbnail:
        assert thumbnail.mode == "RGBA" and thumbnail.size == (320, 64)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("photo.jpg", b"This is a text file, renamed.", "not a JPEG, PNG or WebP image"),
        ("photo.png", encoded("GIF"), "not a JPEG, PNG or WebP image"),
        ("photo.jpg", encoded("BMP"), "not a JPEG, PNG or WebP image"),
        ("photo.jpg", jpeg_with_exif()[:2000], "could not be read"),
        ("big.jpg", b"\xff" * (5 * 1024 * 1024 + 1), "images can be at most 5.0\xa0MB"),
        ("bomb.png", png_header_only(8000, 8000), "8000 × 8000 pixels; the limit is 50 megapixels"),
        ("bomb.png", png_header_only(100_000, 100_000), "too many pixels"),
    ],
)
def test_a_bad_image_is_refused_next_to_the_field_and_nothing_is_saved(
    world, owner_client, media, name, content, message
):
    response = post_product(owner_client, image=SimpleUploadedFile(name, content, content_type="image/jpeg"))
    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="image-errors"' in body and message in body
    assert not Product.objects.filter(company=world.company_a).exists()
    assert stored_files(media) == []


def test_a_real_huge_png_is_refused_before_it_is_decoded(world, owner_client, media):
    buffer = BytesIO()
    Image.new("1", (8000, 7000)).save(buffer, "PNG")  # 56 megapixels in a few kilobytes
    response = post_product(owner_client, image=SimpleUploadedFile("flat.png", buffer.getvalue()))
    assert "8000 × 7000 pixels" in response.content.decode()
    assert not Product.objects.exists() and stored_files(media) == []


def test_a_new_image_replaces_the_old_files_and_clearing_removes_them(
    world, owner_client, media, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        post_product(owner_client, image=SimpleUploadedFile("a.jpg", jpeg_with_exif()))
    product = Product.objects.get(company=world.company_a)
    first = stored_files(media)
    with django_capture_on_commit_callbacks(execute=True):
        post_product(owner_client, product=product, image=SimpleUploadedFile("b.png", encoded("PNG", (900, 900))))
    product.refresh_from_db()
    second = stored_files(media)
    assert len(second) == 2 and not set(first) & set(second)
    assert "Remove the image" in owner_client.get(reverse("orders:product_edit", args=[product.pk])).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        post_product(owner_client, product=product, name="Tulip, edited")  # no file sent: the image stays
    assert stored_files(media) == second
    with django_capture_on_commit_callbacks(execute=True):
        post_product(owner_client, product=product, **{"image-clear": "on"})
    product.refresh_from_db()
    assert not product.image and not product.thumbnail and product.thumbnail_width is None
    assert stored_files(media) == []


def test_a_refused_save_leaves_no_file_behind(world, owner_client, media):
    Product.objects.create(company=world.company_a, name="First", sku="T-1", price=1, currency="RUB")
    response = post_product(owner_client, image=SimpleUploadedFile("a.jpg", jpeg_with_exif()))
    assert "already has the SKU" in response.content.decode()
    assert stored_files(media) == []


# Categories -------------------------------------------------------------------------------------


def test_staff_add_rename_and_delete_categories_and_products_stay(world, owner_client):
    owner_client.post(reverse("orders:categories"), {"new-name": "  Roses ", "new-position": "2"})
    owner_client.post(reverse("orders:categories"), {"new-name": "Vases", "new-position": "1"})
    roses = Category.objects.get(company=world.company_a, name="Roses")
    page = owner_client.get(reverse("orders:categories")).content.decode()
    assert page.index('value="Vases"') < page.index('value="Roses"')  # by position
    duplicate = owner_client.post(reverse("orders:categories"), {"new-name": "ROSES", "new-position": "0"})
    assert "already a category called ROSES" in duplicate.content.decode()
    rename = {f"c{roses.pk}-name": "Red roses", f"c{roses.pk}-position": "0"}
    owner_client.post(reverse("orders:category_edit", args=[roses.pk]), rename)
    roses.refresh_from_db()
    assert (roses.name, roses.position) == ("Red roses", 0)

    post_product(owner_client, category=roses.pk)
    product = Product.objects.get(company=world.company_a)
    assert product.category == roses
    response = owner_client.post(reverse("orders:category_delete", args=[roses.pk]), follow=True)
    assert "its 1 product is now uncategorised" in response.content.decode()
    product.refresh_from_db()
    assert product.category is None and not Category.objects.filter(pk=roses.pk).exists()


def test_a_category_belongs_to_a_company_and_is_read_through_its_scope(world):
    from django_scopes import scope
    from django_scopes.exceptions import ScopeError

    from companies.middleware import no_tenant_scope

    assert not Category._meta.get_field("company").null
    services.create_category(world.company_a, name="Roses")
    with scope(company=world.company_b):
        services.create_category(world.company_b, name="Tools")
    assert [c.name for c in Category.objects.all()] == ["Roses"]
    with no_tenant_scope(), pytest.raises(ScopeError):
        list(Category.objects.all())


def test_category_names_are_unique_whatever_the_case_in_any_alphabet(world):
    services.create_category(world.company_a, name="Розы")
    with pytest.raises(Exception, match="already a category"):
        services.create_category(world.company_a, name="РОЗЫ")
    services.create_category(world.company_b, name="Розы")  # another company may use the name


def test_a_manager_may_not_delete_a_category(world, manager_client):
    category = services.create_category(world.company_a, name="Roses")
    assert manager_client.post(reverse("orders:category_delete", args=[category.pk])).status_code == 403
    assert Category.objects.filter(pk=category.pk).exists()


def test_another_company_can_neither_see_nor_change_a_category(world, b_client):
    category = services.create_category(world.company_a, name="Secret roses", position=3)
    edit = reverse("orders:category_edit", args=[category.pk])
    assert b_client.get(edit).status_code == 404
    assert b_client.post(edit, {f"c{category.pk}-name": "Mine", f"c{category.pk}-position": "0"}).status_code == 404
    assert b_client.post(reverse("orders:category_delete", args=[category.pk])).status_code == 404
    assert "Secret roses" not in b_client.get(reverse("orders:categories")).content.decode()
    assert "Secret roses" not in b_client.get(reverse("orders:products"), {"category": category.pk}).content.decode()
    # Nor can B file its own product under A's category.
    response = post_product(b_client, category=category.pk)
    assert "Select a valid choice" in response.content.decode()
    category.refresh_from_db()
    assert (category.name, category.position) == ("Secret roses", 3)
    assert not Product.objects.filter(company=world.company_b).exists()


# The staff list ---------------------------------------------------------------------------------


@pytest.fixture
def big_catalog(world):
    roses = services.create_category(world.company_a, name="Roses")
    vases = services.create_category(world.company_a, name="Vases")
    products = []
    for i in range(60):
        category = (roses, vases, None)[i % 3]
        products.append(
            Product(
                company=world.company_a,
                name=f"Item {i:02d}",
                sku=f"SKU-{i:02d}",
                price=Decimal("10"),
                currency="RUB",
                category=category,
                thumbnail=f"products/2026/12/{i}-thumb.webp",
                thumbnail_width=320,
                thumbnail_height=240,
            )
        )
    Product.objects.bulk_create(products)
    return {"roses": roses, "vases": vases}


def test_the_staff_list_filters_by_category_searches_and_pages(world, owner_client, big_catalog):
    url = reverse("orders:products")
    first = owner_client.get(url).content.decode()
    assert "60 products · page 1 of 2" in first and "Item 49" in first and "Item 50" not in first
    roses = big_catalog["roses"].pk
    page = owner_client.get(url, {"category": roses}).content.decode()
    assert "20 products" in page and "Item 00" in page and "Item 01" not in page
    assert "3 products" in owner_client.get(url, {"category": "none", "q": "item 0"}).content.decode()  # 02 05 08
    page = owner_client.get(url, {"q": "sku-1"}).content.decode()
    assert "10 products" in page and "Item 10" in page and "Item 20" not in page
    assert "No products match" in owner_client.get(url, {"q": "nothing"}).content.decode()
    # The pager keeps the filter.
    page = owner_client.get(url, {"q": "item"}).content.decode()
    assert 'href="?q=item&amp;page=2"' in page


def test_the_staff_list_takes_a_fixed_number_of_queries(owner_client, big_catalog, django_assert_max_num_queries):
    with django_assert_max_num_queries(12):
        owner_client.get(reverse("orders:products"))


def test_the_demo_catalog_files_products_under_categories_with_pictures(world, media):
    from orders.demo import add_demo_catalog

    Product.objects.create(company=world.company_a, name="Розы", sku="RS-011", price=1, currency="RUB")
    add_demo_catalog(world.company_a, extra_products=3)
    assert Product.objects.get(sku="RS-011").category.name == "Розы"
    extra = Product.objects.filter(company=world.company_a, sku__startswith="DM-")
    assert extra.count() == 3 and all(p.thumbnail and p.category for p in extra)
    assert len(stored_files(media)) == 6


def test_images_uploaded_before_re_encoding_are_re_encoded_by_a_command(
    world, media, django_capture_on_commit_callbacks
):
    from io import StringIO

    from django.core.files.base import ContentFile
    from django.core.management import call_command
    from django_scopes import scope

    from companies.middleware import no_tenant_scope

    old = Product(company=world.company_a, name="Old photo", price=1, currency="RUB")
    old.image.save("old.jpg", ContentFile(jpeg_with_exif()), save=True)
    with scope(company=world.company_b):
        broken = Product(company=world.company_b, name="Broken", price=1, currency="RUB")
        broken.image.save("broken.jpg", ContentFile(b"not an image"), save=True)
    out, err = StringIO(), StringIO()
    with no_tenant_scope(), django_capture_on_commit_callbacks(execute=True):  # as run from a shell
        call_command("reencode_product_images", stdout=out, stderr=err)
    old.refresh_from_db()
    assert old.image.name.endswith(".webp") and old.thumbnail_height == 320
    with Image.open(media / old.image.name) as stored:
        assert not stored.getexif() and stored.size == (1067, 1600)
    assert [p.name for p in stored_files(media) if p.suffix == ".jpg"] == [Path(broken.image.name).name]
    assert "Old photo re-encoded" in out.getvalue() and "Broken" in err.getvalue()
