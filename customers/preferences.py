"""Each staff member's choice of customer list columns."""

from collections.abc import Sequence

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from companies.models import Company
from customers.models import ListSettings
from customers.tables import DEFAULT_COLUMNS, OPTIONAL_COLUMNS


def list_columns(company: Company, user) -> list[str]:
    """The optional columns this user shows in the customer list, in their order."""
    saved = ListSettings.objects.filter(company=company, user=user).values_list("columns", flat=True).first()
    columns = [name for name in saved or () if name in OPTIONAL_COLUMNS]
    return columns or list(DEFAULT_COLUMNS)


def save_list_columns(company: Company, *, user, columns: Sequence[str]) -> list[str]:
    unknown = [name for name in columns if name not in OPTIONAL_COLUMNS]
    if unknown:
        raise ValidationError(_("Unknown columns: %(names)s.") % {"names": ", ".join(unknown)})
    columns = list(dict.fromkeys(columns))
    if not columns:
        raise ValidationError(_("Keep at least one column besides the name."))
    ListSettings.objects.update_or_create(company=company, user=user, defaults={"columns": columns})
    return columns
