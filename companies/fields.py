"""Choice fields for rows picked by id that refuse ids no database column can hold.

Django's own fields pass any number on to the database; SQLite cannot even bind one past 2**63
("Python int too large to convert to SQLite INTEGER"), so a forged form answered 500. These
refuse such a value as an invalid choice, with the field's usual message.
"""

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django_filters import fields as filter_fields

LARGEST_ID = 2**63 - 1


def fits_an_id(value) -> bool:
    text = str(value).strip()
    return text.isdigit() and int(text) <= LARGEST_ID


class ModelChoiceField(forms.ModelChoiceField):
    def to_python(self, value):
        if value not in self.empty_values and not isinstance(value, self.queryset.model) and not fits_an_id(value):
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return super().to_python(value)


class IdsFitMixin:
    def _check_values(self, value):
        for pk in value:
            if not fits_an_id(pk):
                raise ValidationError(
                    self.error_messages["invalid_pk_value"], code="invalid_pk_value", params={"pk": pk}
                )
        return super()._check_values(value)


class ModelMultipleChoiceField(IdsFitMixin, forms.ModelMultipleChoiceField):
    pass


class _FilterMultipleField(IdsFitMixin, filter_fields.ModelMultipleChoiceField):
    pass


class ModelMultipleChoiceFilter(django_filters.ModelMultipleChoiceFilter):
    field_class = _FilterMultipleField
