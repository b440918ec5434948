from django import forms
from django.utils.translation import gettext_lazy as _

from audit.models import AuditEntry

# Days the log can be filtered by: beyond them a day is a typing mistake (and the calendar's edges
# cannot be turned into moments in every time zone).
FIRST_YEAR, LAST_YEAR = 2000, 2100
YEARS = {"first": FIRST_YEAR, "last": LAST_YEAR}
SYSTEM_ACTORS = [(f"type:{value}", label) for value, label in AuditEntry.ActorType.choices if value != "user"]


class ActivityFilterForm(forms.Form):
    """The activity log's filters: who, what, and from which day to which (both included)."""

    who = forms.ChoiceField(label=_("Who"), required=False)
    action = forms.ChoiceField(
        label=_("Action"), required=False, choices=[("", _("Every action")), *AuditEntry.Action.choices]
    )
    since = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, members=(), **kwargs):
        super().__init__(*args, **kwargs)
        people = [(str(user.pk), user.get_full_name() or user.email) for user in members]
        self.fields["who"].choices = [("", _("Everyone")), *people, *SYSTEM_ACTORS]
        for field in self.fields.values():
            field.widget.attrs.setdefault(
                "class", "form-select" if isinstance(field, forms.ChoiceField) else "form-control"
            )

    def clean(self):
        data = super().clean()
        for name in ("since", "until"):
            day = data.get(name)
            if day and not FIRST_YEAR <= day.year <= LAST_YEAR:
                self.add_error(name, _("Choose a day between %(first)s and %(last)s.") % YEARS)
                data.pop(name, None)
        since, until = data.get("since"), data.get("until")
        if since and until and since > until:
            self.add_error("until", _("The last day comes before the first."))
        return data

    def valid_data(self) -> dict:
        """The filters that are valid; one with an error is left out (and shown next to its field)."""
        self.is_valid()
        return {key: value for key, value in self.cleaned_data.items() if key not in self.errors and value}
