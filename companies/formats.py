"""Numbers and money as the user's language writes them; templates use them via `{% load money %}`.

Russian: "2 490,00 ₽", "200 000", "3,5"; English: "₽2,490.00"-style symbols where English readers
know them ($, €), otherwise the code first ("RUB 2,490.00"). Grouping and the decimal mark come
from Django's locale formats (a non-breaking space in Russian), so one place decides for all.
"""

from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.utils import formats, translation

NBSP = "\u00a0"
# The sign each language writes for a currency; a currency missing here is written by its code.
SYMBOLS = {
    "ru": {"RUB": "₽", "USD": "$", "EUR": "€", "KZT": "₸", "BYN": "Br", "CNY": "¥"},
    "en": {"USD": "$", "EUR": "€"},
}


def _language() -> str:
    return (translation.get_language() or settings.LANGUAGE_CODE).split("-")[0]


def _decimal(value) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return value if isinstance(value, Decimal) else Decimal(str(value))
    except (InvalidOperation, ValueError, TypeError):
        return None


def _fraction_digits(value: Decimal) -> int:
    exponent = value.normalize().as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0


def format_number(value, decimal_pos: int | None = 0) -> str:
    """Grouped in thousands the user's way: 200 000 (ru), 200,000 (en)."""
    number = _decimal(value)
    if number is None:
        return ""
    if decimal_pos is not None:
        number = number.quantize(Decimal(1).scaleb(-decimal_pos))
    return formats.number_format(number, decimal_pos, use_l10n=True, force_grouping=True)


def format_money(amount, currency: str, *, decimal_pos: int = 2) -> str:
    """2 490,00 ₽ (ru); ₽-less English writes RUB 2,490.00, and $2,490.00 for a dollar."""
    number = _decimal(amount)
    if number is None:
        return ""
    digits = format_number(abs(number), decimal_pos)
    sign = "-" if number < 0 and digits.strip("0,. " + NBSP) else ""
    language = _language()
    symbol = SYMBOLS.get(language, {}).get(currency)
    if language == "ru":
        return f"{sign}{digits}{NBSP}{symbol or currency}"
    if symbol:
        return f"{sign}{symbol}{digits}"
    return f"{sign}{currency}{NBSP}{digits}"


def format_percent(value) -> str:
    """A discount or a share without trailing zeros: 3, 2,5 (ru) / 2.5 (en); at most 2 decimals."""
    number = _decimal(value)
    if number is None:
        return ""
    number = number.quantize(Decimal("0.01"))
    return format_number(number, _fraction_digits(number))


def format_rate(value) -> str:
    """An exchange rate with the decimals it needs: at least 2, at most 6 (92,50; 0,012345)."""
    number = _decimal(value)
    if number is None:
        return ""
    number = number.quantize(Decimal("0.000001"))
    return format_number(number, min(6, max(2, _fraction_digits(number))))
