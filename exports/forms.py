from django import forms
from django.utils.translation import gettext_lazy as _

from customers.forms import IdListField
from exports.models import Export


class ExportForm(forms.Form):
    """What the customer list's Export menu posts: which audience, with the list's filter,
    its open segment and the ticked rows."""

    audience = forms.ChoiceField(
        label=_("Export"),
        choices=[
            (value, label)
            for value, label in Export.Audience.choices
            if value not in ("archive", "activity", "campaign")
        ],
        error_messages={"required": _("Choose what to export."), "invalid_choice": _("Choose what to export.")},
    )
    filter_query = forms.CharField(required=False, max_length=4000)
    segment = forms.IntegerField(required=False, min_value=1)
    selected = IdListField(required=False)
