from django import forms
from django.utils.translation import gettext_lazy as _

from imports.importing import FIELDS
from imports.models import Import


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label=_("Excel file (.xlsx)"),
        error_messages={"required": _("Choose an .xlsx file to upload.")},
        widget=forms.ClearableFileInput(
            attrs={"accept": ".xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
        ),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith(".xlsx"):
            raise forms.ValidationError(
                _("Only Excel workbooks (.xlsx) can be imported; save the file as “Excel Workbook (.xlsx)”.")
            )
        return upload


class MappingForm(forms.Form):
    """One field choice per column of the file, and what to do with existing customers and bad rows."""

    update_existing = forms.TypedChoiceField(
        label=_("Customers that already exist"),
        choices=[("1", _("Update them with the file's values")), ("0", _("Leave them as they are"))],
        coerce=lambda value: value == "1",
        widget=forms.RadioSelect,
    )
    on_error = forms.ChoiceField(label=_("Bad rows"), choices=Import.OnError.choices, widget=forms.RadioSelect)

    def __init__(self, *args, source: Import, **kwargs):
        kwargs.setdefault(
            "initial", {"update_existing": "1" if source.update_existing else "0", "on_error": source.on_error}
        )
        super().__init__(*args, **kwargs)
        choices = [("", _("— skip this column —")), *((item.key, item.label) for item in FIELDS)]
        self.columns = []
        for index, header in enumerate(source.headers):
            name = f"column_{index}"
            self.fields[name] = forms.ChoiceField(
                label=header or _("Column %(number)s") % {"number": index + 1}, choices=choices, required=False
            )
            self.initial.setdefault(name, source.mapping[index] if index < len(source.mapping) else "")
            self.columns.append(name)

    def mapping(self) -> list[str]:
        return [self.cleaned_data.get(name, "") for name in self.columns]
