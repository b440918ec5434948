"""Backups that are proven: a backup of a database with data in every tenant table restores into
a new database with the same rows (counted and checksummed table by table), and the files too."""

import hashlib
import sqlite3
from decimal import Decimal

import psycopg
import pytest
from django.db import connection
from django_scopes import scope

from companies.backup import back_up, restore_database, restore_files
from customers.services import add_note
from orders.models import Product
from orders.services import Line, place_order
from quicklinks.services import issue_link
from tests.factories import LabelFactory, make_customer
from tests.test_tenancy import tenant_models


@pytest.fixture
def shop(world, settings, tmp_path):
    settings.VAR_DIR = tmp_path / "var"
    (settings.VAR_DIR / "exports").mkdir(parents=True)
    (settings.VAR_DIR / "exports" / "customers.xlsx").write_bytes(b"an export file")
    company = world.company_a
    with scope(company=company):  # company A's data is made as its staff make it; the backup then runs unscoped
        vip = LabelFactory(company=company, name="VIP")
        rose = Product.objects.create(company=company, name="Rose", price=Decimal("100"), currency="RUB")
        for n in range(5):
            customer = make_customer(company, name=f"Customer {n}", phones=[f"+7916000000{n}"], labels=[vip])
            place_order(company, customer=customer, lines=[Line(quantity=n + 1, product_id=rose.pk)], source="staff")
            add_note(company, customer=customer, text=f"Note {n}", priority=1, actor=world.owner_a)
        issue_link(company, customer=customer, actor=world.owner_a)
    return company


def tenant_tables() -> list[str]:
    return sorted({model._meta.db_table for model in tenant_models()})


@pytest.mark.skipif(connection.vendor != "postgresql", reason="pg_dump and pg_restore are PostgreSQL's")
def test_a_backup_restores_into_a_new_database_with_every_row(transactional_db, shop, tmp_path, settings):
    folder = back_up(tmp_path / "backups")
    restored = f"{connection.settings_dict['NAME']}_restored"
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{restored}"')
        cursor.execute(f'CREATE DATABASE "{restored}"')
    try:
        restore_database(folder, name=restored)
        checksum = "SELECT count(*), md5(coalesce(string_agg(t::text, '|' ORDER BY t.id), '')) FROM {} t"
        params = connection.get_connection_params()
        with psycopg.connect(**{**params, "dbname": restored}) as copy, connection.cursor() as original:
            for table in tenant_tables():
                original.execute(checksum.format(f'"{table}"'))
                expected = original.fetchone()
                assert copy.execute(checksum.format(f'"{table}"')).fetchone() == expected, table
        assert expected is not None
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{restored}"')
    (settings.VAR_DIR / "exports" / "customers.xlsx").unlink()
    restore_files(folder)
    assert (settings.VAR_DIR / "exports" / "customers.xlsx").read_bytes() == b"an export file"


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's online backup")
def test_a_sqlite_backup_is_a_consistent_copy_of_every_table(transactional_db, shop, tmp_path):
    folder = back_up(tmp_path / "backups")
    types = sqlite3.PARSE_DECLTYPES | sqlite3.PARSE_COLNAMES  # read values as Django reads them
    with sqlite3.connect(folder / "database.sqlite3", detect_types=types) as copy, connection.cursor() as original:
        for table in tenant_tables():
            query = f'SELECT * FROM "{table}" ORDER BY id'
            original.execute(query)
            expected = hashlib.md5(repr(original.fetchall()).encode()).hexdigest()
            assert hashlib.md5(repr(copy.execute(query).fetchall()).encode()).hexdigest() == expected, table
