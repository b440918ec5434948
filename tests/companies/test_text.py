"""One normalization of text input: for forms and filters (the middleware) and for imports."""

import unicodedata

import pytest
from django.urls import reverse

from companies.text import clean_text
from customers.models import Customer
from tests.customers.test_views import customer_form

pytestmark = pytest.mark.usefixtures("in_company_a")

TRICKS = "Ann\u202eavo\u202c\u200b\ufeffa\u00ad \x07Smith\x00"


@pytest.mark.parametrize(
    ("raw", "multiline", "clean"),
    [
        (TRICKS, False, "Annavoa Smith"),
        ("e\u0301", False, "\u00e9"),  # composed: one way to write é
        ("line one\r\nline two\rthree\x1b[31m", True, "line one\nline two\nthree[31m"),
        ("line one\nline\ttwo", False, "line one line two"),
        ("\u0085\u009b next-line and CSI (C1)", True, " next-line and CSI (C1)"),
        ("Семья 👨\u200d👩\u200d👧 ok", False, "Семья 👨👩👧 ok"),
    ],
)
def test_clean_text(raw, multiline, clean):
    assert clean_text(raw, multiline=multiline) == clean


def test_forms_store_names_without_tricks(world, owner_client):
    response = owner_client.post(
        reverse("customers:create"),
        customer_form(full_name=TRICKS, internal_note="a\r\nb\x00", phones=["+79161234567"]),
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    customer = Customer.objects.get(company=world.company_a)
    assert customer.full_name == "Annavoa Smith"
    assert customer.internal_note == "a\nb"


def test_search_finds_a_name_typed_decomposed(world, owner_client):
    from tests.factories import make_customer

    make_customer(world.company_a, name="Алёна Ёлкина", phones=["+79161234567"])
    decomposed = unicodedata.normalize("NFD", "Алёна")
    assert "Алёна Ёлкина" in owner_client.get(reverse("customers:list"), {"q": decomposed}).content.decode()


def test_imported_cells_are_cleaned_the_same_way():
    from imports.importing import cell_text

    assert cell_text(TRICKS) == "Annavoa Smith"
