"""Phone numbers: stored in E.164, shown in international format, searched on their digits."""

import re

import phonenumbers
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

_NOT_DIGITS = re.compile(r"\D")
_PHONE_LIKE = re.compile(r"^[\d\s()+\-.]+$")


def normalize_phone(raw: str, region: str) -> str:
    """E.164 form of a phone written in any usual way; numbers without + are read in `region`."""
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        raise ValidationError(
            _("“%(value)s” is not a phone number."), params={"value": raw}, code="invalid_phone"
        ) from None
    if not phonenumbers.is_valid_number(number):
        raise ValidationError(
            _(
                "“%(value)s” is not a valid phone number. "
                "Numbers from abroad need the country code, as in +44 20 7946 0958."
            ),
            params={"value": raw},
            code="invalid_phone",
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def format_phone(e164: str) -> str:
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def is_phone_like(term: str) -> bool:
    return bool(_PHONE_LIKE.match(term)) and any(ch.isdigit() for ch in term)


def phone_search_digits(term: str, region: str) -> list[str]:
    """The digit strings a phone fragment can stand for inside an E.164 number.

    "+7 (916) 123" → ["7916123"]; "123-45" → ["12345"]; a fragment starting with the region's
    national prefix ("8916123" in Russia) also stands for the country code ("7916123").
    """
    digits = _NOT_DIGITS.sub("", term)
    if not digits:
        return []
    variants = [digits]
    metadata = phonenumbers.PhoneMetadata.metadata_for_region(region)
    prefix = metadata.national_prefix if metadata else None
    if prefix and not term.lstrip().startswith("+") and digits.startswith(prefix) and len(digits) > len(prefix):
        variants.append(f"{metadata.country_code}{digits[len(prefix) :]}")
    return variants
