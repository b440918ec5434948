"""Excel import of customers: which column is which field, and what one row says.

A row is read into a `ParsedRow`: the name, the phones and emails (normalized as staff input is),
the other fields as the model stores them, the label names, and the reasons it cannot be imported.
`imports.services` validates whole files with it, applies them and undoes them.
"""

import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl.utils.datetime import from_excel

from companies.models import Company
from companies.text import clean_text
from customers.models import MAX_EMAILS, MAX_PHONES, Customer, Label
from customers.services import normalize_emails, normalize_phones
from exports.columns import BY_KEY as EXPORT_COLUMNS

SPLIT_CONTACTS = re.compile(r"[,;\n]+")
SPLIT_LABELS = re.compile(r"[,;\n]+")
DATE_FORMATS = ("%d.%m.%Y", "%Y-%m-%d", "%d/%m/%Y", "%d.%m.%y", "%Y.%m.%d")
PREVIEW_ROWS = 5


@dataclass(frozen=True)
class Field:
    key: str
    label: str
    kind: str  # text, phones, emails, date, choice, percent, labels
    aliases: tuple[str, ...] = ()
    export_key: str = ""


FIELDS = [
    Field(
        "full_name",
        gettext_lazy("Full name"),
        "text",
        ("name", "customer", "client", "фио", "ф.и.о.", "имя", "клиент", "покупатель", "наименование"),
    ),
    Field(
        "phone",
        gettext_lazy("Phone"),
        "phones",
        ("phones", "telephone", "mobile", "tel", "телефон", "телефоны", "тел", "мобильный", "сотовый"),
        "phones",
    ),
    Field(
        "email",
        gettext_lazy("Email"),
        "emails",
        ("e-mail", "emails", "mail", "почта", "эл. почта", "электронная почта", "e-mail адрес"),
        "emails",
    ),
    Field("birthday", gettext_lazy("Birthday"), "date", ("date of birth", "birth date", "дата рождения", "др")),
    Field("gender", gettext_lazy("Gender"), "choice", ("sex", "пол")),
    Field("region", gettext_lazy("Region"), "text", ("область", "регион", "край")),
    Field("city", gettext_lazy("City"), "text", ("town", "город", "населённый пункт")),
    Field("address", gettext_lazy("Address"), "text", ("адрес", "адрес доставки")),
    Field("tax_id", gettext_lazy("Tax ID"), "text", ("inn", "инн")),
    Field("contact_person", gettext_lazy("Contact person"), "text", ("контактное лицо",)),
    Field("card_number", gettext_lazy("Card number"), "text", ("card", "номер карты", "карта")),
    Field("other_channels", gettext_lazy("Other channels"), "text", ("telegram", "whatsapp", "мессенджеры")),
    Field("status", gettext_lazy("Status"), "choice", ("статус",)),
    Field("temperature", gettext_lazy("Temperature"), "choice", ("температура",)),
    Field("discount_percent", gettext_lazy("Discount, %"), "percent", ("discount", "скидка", "скидка %")),
    Field("labels", gettext_lazy("Labels"), "labels", ("tags", "метки", "теги")),
    Field("internal_note", gettext_lazy("Internal note"), "text", ("note", "comment", "комментарий", "заметка")),
]
BY_KEY = {item.key: item for item in FIELDS}
# Fields set on the customer as they are (the name, contacts and labels go their own ways).
MODEL_FIELDS = [item.key for item in FIELDS if item.kind not in ("phones", "emails", "labels")]
GENDER_WORDS = {"m": "male", "м": "male", "муж": "male", "f": "female", "ж": "female", "жен": "female"}


def normalize_header(value) -> str:
    text = re.sub(r"\s+", " ", str(value or "")).strip().strip(":*").strip().casefold()
    return re.sub(r",\s*[a-z]{3}$", "", text)  # "Orders sum, RUB" → "orders sum"


def _aliases() -> dict[str, str]:
    """Header text → field key: the aliases, and each field's label and export header in every language."""
    found = {}
    for item in FIELDS:
        for alias in item.aliases:
            found[normalize_header(alias)] = item.key
        for language, _name in settings.LANGUAGES:
            with translation.override(language):
                found.setdefault(normalize_header(str(item.label)), item.key)
                column = EXPORT_COLUMNS.get(item.export_key or item.key)
                if column:
                    found.setdefault(normalize_header(str(column.header)), item.key)
                verbose = Customer._meta.get_field(item.key).verbose_name if item.key in MODEL_FIELDS else ""
                if verbose:
                    found.setdefault(normalize_header(str(verbose)), item.key)
    return found


def guess_mapping(headers: list) -> list[str]:
    """A field key (or "" to skip) per column, from the header names in Russian or English.
    Phones and emails may come from several columns; any other field from the first one only."""
    aliases = _aliases()
    mapping, taken = [], set()
    for header in headers:
        key = aliases.get(normalize_header(header), "")
        if key and key in taken and BY_KEY[key].kind not in ("phones", "emails"):
            key = ""
        taken.add(key)
        mapping.append(key)
    return mapping


def headers_key(headers: list) -> str:
    normalized = [normalize_header(header) for header in headers]
    return hashlib.sha256(json.dumps(normalized, ensure_ascii=False).encode()).hexdigest()


def check_mapping(mapping: list[str]) -> None:
    keys = [key for key in mapping if key]
    unknown = [key for key in keys if key not in BY_KEY]
    if unknown:
        raise ValidationError(_("Unknown fields: %(keys)s.") % {"keys": ", ".join(unknown)})
    if "phone" not in keys and "email" not in keys:
        raise ValidationError(_("Map at least one column to Phone or Email: customers are matched by them."))
    repeated = {key for key in keys if keys.count(key) > 1 and BY_KEY[key].kind not in ("phones", "emails")}
    if repeated:
        names = ", ".join(str(BY_KEY[key].label) for key in sorted(repeated))
        raise ValidationError(_("Each field can come from one column only: %(fields)s.") % {"fields": names})


def cell_text(value) -> str:
    """A cell as the mapping page and the report show it."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M") if value.time() != datetime.min.time() else value.strftime("%Y-%m-%d")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return clean_text(str(value))


@dataclass
class ParsedRow:
    number: int
    name: str = ""
    phones: list[str] = field(default_factory=list)
    emails: list[str] = field(default_factory=list)
    values: dict = field(default_factory=dict)
    labels: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def is_empty(row: tuple) -> bool:
    return all(value is None or (isinstance(value, str) and not value.strip()) for value in row)


class RowParser:
    """Reads rows of one file under one mapping, for one company."""

    def __init__(self, company: Company, mapping: list[str]):
        self.company = company
        self.mapping = mapping
        self.choices = {
            "gender": self._choice_words(Customer.Gender.choices, GENDER_WORDS),
            "status": self._choice_words(Customer.Status.choices),
            "temperature": self._choice_words(Customer.Temperature.choices),
        }

    @staticmethod
    def _choice_words(choices, extra=None) -> dict[str, str]:
        words = dict(extra or {})
        for value, label in choices:
            words[value.casefold()] = value
            for language, _name in settings.LANGUAGES:
                with translation.override(language):
                    words[str(label).casefold()] = value
        return words

    def parse(self, number: int, row: tuple) -> ParsedRow:
        parsed = ParsedRow(number)
        raw_phones, raw_emails = [], []
        for index, key in enumerate(self.mapping):
            if not key or index >= len(row):
                continue
            value = row[index]
            if value is None or (isinstance(value, str) and not value.strip()):
                continue
            item = BY_KEY[key]
            try:
                if item.kind == "phones":
                    raw_phones += [part for part in SPLIT_CONTACTS.split(cell_text(value)) if part.strip()]
                elif item.kind == "emails":
                    raw_emails += [part for part in SPLIT_CONTACTS.split(cell_text(value)) if part.strip()]
                elif item.kind == "labels":
                    parsed.labels = self._labels(value)
                elif key == "full_name":
                    parsed.name = self._text(item, value)
                else:
                    parsed.values[key] = self._value(item, value)
            except ValidationError as error:
                parsed.errors.append(f"{item.label}: {' '.join(error.messages)}")
        self._contacts(parsed, raw_phones, raw_emails)
        return parsed

    def _contacts(self, parsed: ParsedRow, raw_phones: list[str], raw_emails: list[str]) -> None:
        try:
            parsed.phones = normalize_phones(self.company, raw_phones[: MAX_PHONES * 2])
        except ValidationError as error:
            parsed.errors.append(f"{_('Phone')}: {' '.join(error.messages)}")
        try:
            parsed.emails = normalize_emails(raw_emails[: MAX_EMAILS * 2])
        except ValidationError as error:
            parsed.errors.append(f"{_('Email')}: {' '.join(error.messages)}")
        if not parsed.errors and not parsed.phones and not parsed.emails:
            parsed.errors.append(_("No phone or email: a customer is identified by them."))

    def _text(self, item: Field, value) -> str:
        text = clean_text(cell_text(value), multiline=item.key == "internal_note").strip()
        limit = Customer._meta.get_field(item.key).max_length
        if limit and len(text) > limit:
            raise ValidationError(
                _("%(length)s characters; at most %(limit)s fit.") % {"length": len(text), "limit": limit}
            )
        return text

    def _value(self, item: Field, value):
        if item.kind == "text":
            text = self._text(item, value)
            for validator in Customer._meta.get_field(item.key).validators:
                validator(text)
            return text
        if item.kind == "choice":
            text = cell_text(value).strip().casefold()
            found = self.choices[item.key].get(text)
            if found is None:
                raise ValidationError(_("“%(value)s” is not one of the choices.") % {"value": cell_text(value)[:50]})
            return found
        if item.kind == "date":
            return self._date(value)
        return self._percent(value)

    @staticmethod
    def _date(value) -> date:
        if isinstance(value, datetime):
            found = value.date()
        elif isinstance(value, date):
            found = value
        elif isinstance(value, int | float) and 1 < value < 80_000:
            found = from_excel(value).date()
        else:
            text = cell_text(value).strip()
            for pattern in DATE_FORMATS:
                try:
                    found = datetime.strptime(text, pattern).date()
                    break
                except ValueError:
                    continue
            else:
                raise ValidationError(
                    _("“%(value)s” is not a date; write it as 31.12.1990 or 1990-12-31.") % {"value": text[:50]}
                )
        if not date(1900, 1, 1) <= found <= date.today():
            raise ValidationError(_("%(value)s is not a possible birthday.") % {"value": found.isoformat()})
        return found

    @staticmethod
    def _percent(value) -> Decimal:
        try:
            number = Decimal(cell_text(value).replace(",", ".").replace("%", "").strip())
        except InvalidOperation:
            raise ValidationError(_("“%(value)s” is not a number.") % {"value": cell_text(value)[:50]}) from None
        if not Decimal("0") <= number <= Decimal("100"):
            raise ValidationError(_("A discount is between 0 and 100%."))
        return number.quantize(Decimal("0.01"))

    @staticmethod
    def _labels(value) -> list[str]:
        names = list(dict.fromkeys(part.strip() for part in SPLIT_LABELS.split(cell_text(value)) if part.strip()))
        limit = Label._meta.get_field("name").max_length
        long = [name for name in names if len(name) > limit]
        if long:
            raise ValidationError(_("A label name can be at most %(limit)s characters long.") % {"limit": limit})
        return names
