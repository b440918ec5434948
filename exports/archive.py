"""The company's data to take away: one zip with the customers as an Excel workbook, every table
of its data as JSON Lines (one object a line, ids kept so that the files join), and a README.

Built by the export worker like any export (progress, retry, a link by email, seven days), and
streamed table by table, so a million customers never sit in memory."""

import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.template.loader import render_to_string

from companies.models import Company, ExchangeRate, User
from customers.models import (
    Customer,
    CustomerEmail,
    CustomerEvent,
    CustomerLabel,
    CustomerMerge,
    CustomerPhone,
    Label,
    Note,
)
from messaging.models import AutoMessage, Campaign, Message, MessageTemplate, MessagingSettings
from orders.models import Category, Order, OrderItem, OrderLabel, OrderStatusChange, Product
from segments.models import Segment

CHUNK = 2000


@dataclass(frozen=True)
class Table:
    name: str  # the file is <name>.jsonl
    model: type[models.Model]


# What the company keeps in the product, in the order one would read it. Left out on purpose:
# quick-link secrets, browsers' push subscriptions (their keys), derived counters (orders per
# day), the duplicate finder's pairs, the fingerprints of erased contacts, and the import and
# export logs.
TABLES = [
    Table("customers", Customer),
    Table("customer_phones", CustomerPhone),
    Table("customer_emails", CustomerEmail),
    Table("labels", Label),
    Table("customer_labels", CustomerLabel),
    Table("notes", Note),
    Table("customer_history", CustomerEvent),
    Table("customer_merges", CustomerMerge),
    Table("categories", Category),
    Table("products", Product),
    Table("orders", Order),
    Table("order_items", OrderItem),
    Table("order_labels", OrderLabel),
    Table("order_status_changes", OrderStatusChange),
    Table("campaigns", Campaign),
    Table("messages", Message),
    Table("message_templates", MessageTemplate),
    Table("automatic_messages", AutoMessage),
    Table("messaging_settings", MessagingSettings),
    Table("segments", Segment),
    Table("exchange_rates", ExchangeRate),
]


def _columns(model: type[models.Model]) -> dict[str, str]:
    """JSON key → values() lookup: every stored field but the company; a staff member by email
    (their ids mean nothing elsewhere), other links by id."""
    columns = {}
    for field in model._meta.concrete_fields:
        if field.name == "company":
            continue
        if field.is_relation and field.related_model is User:
            columns[f"{field.name}_email"] = f"{field.name}__email"
        elif field.is_relation:
            columns[field.attname] = field.attname
        else:
            columns[field.name] = field.name
    return columns


def rows_to_write(company: Company) -> int:
    return sum(table.model._default_manager.filter(company=company).count() for table in TABLES)


def write_tables(company: Company, archive: zipfile.ZipFile, progress: Callable[[int], None]) -> None:
    """Each table into <name>.jsonl, by keyset on the id; `progress(rows)` after each chunk."""
    encoder = DjangoJSONEncoder(ensure_ascii=False)
    for table in TABLES:
        columns = _columns(table.model)
        keys, lookups = list(columns), list(columns.values())
        queryset = table.model._default_manager.filter(company=company).order_by("pk")
        with archive.open(f"{table.name}.jsonl", "w") as file:
            last = None
            while True:
                page = queryset if last is None else queryset.filter(pk__gt=last)
                rows = list(page.values_list("pk", *lookups)[:CHUNK])
                if not rows:
                    break
                lines = (encoder.encode(dict(zip(keys, row[1:], strict=True))) + "\n" for row in rows)
                file.write("".join(lines).encode())
                last = rows[-1][0]
                progress(len(rows))


def write_readme(company: Company, archive: zipfile.ZipFile) -> None:
    tables = [(table.name, table.model._meta.verbose_name_plural, list(_columns(table.model))) for table in TABLES]
    archive.writestr(
        "README.txt", render_to_string("exports/archive_readme.txt", {"company": company, "tables": tables})
    )


def open_archive(path: Path) -> zipfile.ZipFile:
    return zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6)


__all__ = ["TABLES", "open_archive", "rows_to_write", "write_readme", "write_tables"]
