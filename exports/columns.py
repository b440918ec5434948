"""What an export writes: its columns, and cells Excel shows as they are.

A column reads one value off a customer of the export's queryset, with `phone_numbers`,
`email_addresses` and `label_names` attached per chunk by `exports.services`. Text is cleaned on
the way out: a value Excel would take for a formula is written as text, characters XML cannot
hold are dropped, and anything longer than a cell can hold is cut.
"""

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.utils.translation import gettext_lazy as _
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.styles import Font

from customers.models import Customer

CELL_LIMIT = 32_767  # characters in one cell, Excel's limit
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
TRUNCATED = "…"
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
MONEY_FORMAT = "#,##0.00"
HEADER_FONT = Font(bold=True)


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    kind: str  # text, choice, int, money, percent, date, datetime, bool
    width: int
    value: Callable


def _field(name: str) -> Callable:
    return lambda customer: getattr(customer, name)


def _text(name: str, header, width: int = 18) -> Column:
    return Column(name, header, "text", width, _field(name))


def _choice(name: str, header, width: int = 14) -> Column:
    """A field with choices, written as its label in the export's language."""
    return Column(name, header, "choice", width, _field(name))


COLUMNS = [
    Column("id", "ID", "int", 9, _field("pk")),
    _text("full_name", _("Full name"), 30),
    Column("phones", _("Phones"), "text", 18, lambda customer: ", ".join(customer.phone_numbers)),
    Column("emails", _("Emails"), "text", 26, lambda customer: ", ".join(customer.email_addresses)),
    _text("other_channels", _("Other channels"), 20),
    Column("labels", _("Labels"), "text", 20, lambda customer: ", ".join(customer.label_names)),
    _choice("status", _("Status")),
    _choice("temperature", _("Temperature")),
    Column("discount_percent", _("Discount, %"), "percent", 11, _field("discount_percent")),
    Column("birthday", _("Birthday"), "date", 12, _field("birthday")),
    _choice("gender", _("Gender"), 10),
    _text("region", _("Region")),
    _text("city", _("City")),
    _text("address", _("Address"), 30),
    _text("tax_id", _("Tax ID"), 14),
    _text("contact_person", _("Contact person"), 22),
    _text("card_number", _("Card number"), 14),
    _choice("preferred_currency", _("Currency"), 10),
    _choice("preferred_language", _("Language"), 10),
    _choice("acquisition_channel", _("Came from"), 14),
    Column("is_favourite", _("Favourite"), "bool", 10, _field("is_favourite")),
    Column("is_blocked", _("Blocked"), "bool", 10, _field("is_blocked")),
    _text("blocked_reason", _("Reason for blocking"), 22),
    Column("sms_consent", _("SMS consent"), "bool", 12, _field("sms_consent")),
    Column("email_consent", _("Email consent"), "bool", 12, _field("email_consent")),
    Column("push_consent", _("Push consent"), "bool", 12, _field("push_consent")),
    Column("orders_count", _("Orders"), "int", 9, _field("orders_count")),
    Column("orders_sum", _("Orders sum"), "money", 14, _field("orders_sum")),
    Column("first_order_at", _("First order"), "datetime", 17, _field("first_order_at")),
    Column("last_order_at", _("Last order"), "datetime", 17, _field("last_order_at")),
    Column("last_activity_at", _("Last activity"), "datetime", 17, _field("last_activity_at")),
    Column("messages_count", _("Messages"), "int", 10, _field("messages_count")),
    Column("reviews_count", _("Reviews"), "int", 9, _field("reviews_count")),
    _text("internal_note", _("Internal note"), 30),
    Column("created_at", _("Added"), "datetime", 17, _field("created_at")),
]
# A campaign's recipients export adds the message each was sent (attached as `recipient`).
CAMPAIGN_COLUMNS = [
    Column("message_address", _("Sent to"), "text", 20, lambda customer: customer.recipient["address"]),
    Column("message_status", _("Message status"), "text", 14, lambda customer: customer.recipient["status"]),
    Column("message_sent_at", _("Sent"), "datetime", 17, lambda customer: customer.recipient["sent_at"]),
    Column("message_error", _("Error"), "text", 30, lambda customer: customer.recipient["error"]),
]
RECIPIENT_COLUMNS = [column.key for column in CAMPAIGN_COLUMNS]
BY_KEY = {column.key: column for column in [*COLUMNS, *CAMPAIGN_COLUMNS]}

# The customer list's own column names, where they differ from the export's.
LIST_COLUMNS = {"phone": "phones", "email": "emails"}


def export_columns(list_columns: list[str]) -> list[str]:
    """The list's columns in the user's order, after the name; then every other column."""
    first = ["full_name", *(LIST_COLUMNS.get(name, name) for name in list_columns)]
    chosen = [key for key in dict.fromkeys(first) if key in BY_KEY and key not in RECIPIENT_COLUMNS]
    return chosen + [column.key for column in COLUMNS if column.key not in chosen]


def clean_text(value: str) -> str:
    """Text a worksheet can hold: no XML-illegal control characters, at most CELL_LIMIT long."""
    value = ILLEGAL_CHARACTERS_RE.sub("", value)
    if len(value) > CELL_LIMIT:
        value = value[: CELL_LIMIT - len(TRUNCATED)] + TRUNCATED
    return value


class CellWriter:
    """Builds the cells of one write-only worksheet. A plain value is handed to openpyxl as it is
    (it reuses one cell for those); only a number format or text that looks like a formula needs a
    cell of its own. Choice labels and yes/no are translated once per worksheet, not per cell."""

    def __init__(self, worksheet, time_zone: ZoneInfo, currency: str):
        self.worksheet = worksheet
        self.time_zone = time_zone
        self.currency = currency
        self.yes_no = {True: str(_("yes")), False: str(_("no"))}
        self.labels: dict[str, dict] = {}

    def header(self, columns: list[Column]) -> list[Cell]:
        cells = []
        for column in columns:
            title = str(column.header)
            if column.kind == "money":
                title = f"{title}, {self.currency}"
            cell = WriteOnlyCell(self.worksheet, value=title)
            cell.font = HEADER_FONT
            cells.append(cell)
        return cells

    def cell(self, column: Column, value) -> Cell | str | int | None:
        if value is None or value == "":
            return None
        kind = column.kind
        if kind == "text":
            return self.text(str(value))
        if kind == "choice":
            return self.text(self.label(column.key, value))
        if kind == "bool":
            return self.yes_no[bool(value)]
        if kind == "int":
            return value
        cell = WriteOnlyCell(self.worksheet)
        if kind == "datetime":
            cell.value = value.astimezone(self.time_zone).replace(tzinfo=None, microsecond=0)
            cell.number_format = DATETIME_FORMAT
        elif kind == "date":
            cell.value = value
            cell.number_format = DATE_FORMAT
        elif kind in ("money", "percent"):
            cell.value = Decimal(value)
            cell.number_format = MONEY_FORMAT if kind == "money" else "0.##"
        else:
            cell.value = value
        return cell

    def label(self, field: str, value) -> str:
        """The label of a customer field's choice (the stored value when it is not a choice)."""
        if field not in self.labels:
            choices = Customer._meta.get_field(field).flatchoices
            self.labels[field] = {key: str(label) for key, label in choices}
        return self.labels[field].get(value, str(value))

    def text(self, value: str) -> Cell | str:
        """Text that is never a formula, however it begins."""
        value = clean_text(value)
        if not value.startswith(FORMULA_STARTS):
            return value
        cell = WriteOnlyCell(self.worksheet, value=value)
        cell.data_type = "s"  # openpyxl made "=…" a formula
        cell.quotePrefix = True  # and Excel keeps it text when the cell is edited
        return cell
