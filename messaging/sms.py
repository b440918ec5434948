"""How long an SMS is: its encoding, and how many parts a gateway bills.

A text made only of the GSM 03.38 alphabet goes as GSM-7: 160 septets in one part, 153 a part
when it is split (the rest is the header that joins the parts); the characters of the extension
table (€ [ ] { } \\ ~ ^ | and the form feed) take two septets, an escape and the character. Any
other character makes the whole text UCS-2: 70 UTF-16 units in one part, 67 a part when split, an
emoji outside the Basic Multilingual Plane taking two units. A part never ends inside an escape
pair or a surrogate pair, so parts are counted by filling them, not by dividing.
"""

from dataclasses import dataclass
from decimal import Decimal

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("\f^{}\\[~]|€")
GSM7 = "gsm7"
UCS2 = "ucs2"
SINGLE = {GSM7: 160, UCS2: 70}
PER_PART = {GSM7: 153, UCS2: 67}


@dataclass(frozen=True)
class SmsLength:
    encoding: str  # "gsm7" or "ucs2"
    units: int  # septets (GSM-7) or UTF-16 code units (UCS-2)
    parts: int
    per_part: int  # how many units one part holds for a text of this length

    @property
    def left_in_part(self) -> int:
        """Units that still fit before the text needs one more part."""
        return self.parts * self.per_part - self.units if self.parts > 1 else self.per_part - self.units


def _widths(text: str) -> tuple[str, list[int]]:
    """The encoding and each character's width in that encoding's units."""
    if all(char in GSM7_BASIC or char in GSM7_EXTENSION for char in text):
        return GSM7, [2 if char in GSM7_EXTENSION else 1 for char in text]
    return UCS2, [2 if ord(char) > 0xFFFF else 1 for char in text]


def measure(text: str) -> SmsLength:
    encoding, widths = _widths(text)
    units = sum(widths)
    if units <= SINGLE[encoding]:
        return SmsLength(encoding, units, 1 if units else 0, SINGLE[encoding])
    capacity, parts, used = PER_PART[encoding], 1, 0
    for width in widths:
        if used + width > capacity:  # a pair never straddles two parts
            parts, used = parts + 1, 0
        used += width
    return SmsLength(encoding, units, parts, capacity)


def count_parts(text: str) -> int:
    """The SMS parts `text` is sent (and billed) as; 0 for an empty text."""
    return measure(text).parts


def cost(text: str, *, recipients: int, price_per_part: Decimal) -> Decimal:
    """What sending `text` to `recipients` costs at the company's price of one part."""
    return (count_parts(text) * recipients * price_per_part).quantize(Decimal("0.01"))
