"""SMS parts as gateways bill them: GSM-7 (160 / 153, the extension table counting twice) or
UCS-2 (70 / 67 UTF-16 units, emoji counting twice), with no pair split between two parts."""

from decimal import Decimal

import pytest

from messaging.sms import GSM7, UCS2, cost, count_parts, measure


@pytest.mark.parametrize(
    ("text", "encoding", "units", "parts"),
    [
        ("", GSM7, 0, 0),
        ("Hello", GSM7, 5, 1),
        ("a" * 160, GSM7, 160, 1),
        ("a" * 161, GSM7, 161, 2),
        ("a" * 306, GSM7, 306, 2),
        ("a" * 307, GSM7, 307, 3),
        ("Ça coûte 5 €", UCS2, 12, 1),  # û is not in the GSM alphabet: the whole text is UCS-2
        ("Prix: 5 € {ok} [x] ~|^\\", GSM7, 32, 1),  # the extension table: two septets each
        ("€" * 80, GSM7, 160, 1),
        ("€" * 81, GSM7, 162, 2),
        # 306 septets divide into two parts, but the escape pair cannot straddle them: three.
        ("a" * 152 + "€" + "a" * 152, GSM7, 306, 3),
        ("Привет", UCS2, 6, 1),
        ("я" * 70, UCS2, 70, 1),
        ("я" * 71, UCS2, 71, 2),
        ("я" * 134, UCS2, 134, 2),
        ("я" * 135, UCS2, 135, 3),
        ("😀" * 35, UCS2, 70, 1),  # an emoji is two UTF-16 units
        ("😀" * 36, UCS2, 72, 2),
        ("a" * 66 + "😀" + "a" * 66, UCS2, 134, 3),  # the surrogate pair moves whole to part two
        ("Скидка 10% for you", UCS2, 18, 1),
    ],
)
def test_parts_and_encoding(text, encoding, units, parts):
    length = measure(text)
    assert (length.encoding, length.units, length.parts) == (encoding, units, parts)
    assert count_parts(text) == parts


def test_what_is_left_in_the_last_part():
    assert measure("a" * 150).left_in_part == 10
    assert measure("a" * 200).left_in_part == 2 * 153 - 200
    assert measure("я" * 60).left_in_part == 10


def test_cost_is_parts_times_recipients_times_the_price_of_a_part():
    assert cost("я" * 71, recipients=1000, price_per_part=Decimal("2.35")) == Decimal("4700.00")
    assert cost("Hi", recipients=3, price_per_part=Decimal("0.333")) == Decimal("1.00")
