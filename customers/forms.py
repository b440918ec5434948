from django import forms
from django.utils.formats import date_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from companies import fields
from customers.models import MAX_EMAILS, MAX_PHONES, Customer, DuplicateCandidate, Label, Note
from customers.services import (
    DUPLICATE,
    TARGET,
    merge_conflicts,
    merge_defaults,
    normalize_emails,
    normalize_phones,
)


class MultipleInputWidget(forms.Widget):
    """Several inputs of one name (phones, emails); the page adds more up to `max_items`."""

    template_name = "customers/widgets/multiple_input.html"

    def __init__(self, *, input_type="text", max_items=5, placeholder="", attrs=None):
        super().__init__(attrs)
        self.input_type = input_type
        self.max_items = max_items
        self.placeholder = placeholder

    def value_from_datadict(self, data, files, name):
        return data.getlist(name) if hasattr(data, "getlist") else data.get(name, [])

    def value_omitted_from_data(self, data, files, name):
        return False

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        values = [v for v in (value or []) if v] or [""]
        context["widget"].update(
            values=values, input_type=self.input_type, max_items=self.max_items, placeholder=self.placeholder
        )
        return context


class MultipleValueField(forms.Field):
    """A list of strings; the service normalizes and validates each one."""

    def __init__(self, *, max_items, item_max_length, **kwargs):
        self.max_items = max_items
        self.item_max_length = item_max_length
        super().__init__(**kwargs)

    def to_python(self, value):
        if not value:
            return []
        if isinstance(value, str):
            value = [value]
        return [item.strip() for item in value if item and item.strip()]

    def validate(self, value):
        super().validate(value)
        if len(value) > self.max_items:
            raise forms.ValidationError(
                _("At most %(max)d are allowed; you entered %(count)d."),
                params={"max": self.max_items, "count": len(value)},
            )
        for item in value:
            if len(item) > self.item_max_length:
                raise forms.ValidationError(
                    _("“%(value)s…” is longer than %(max)d characters."),
                    params={"value": item[:20], "max": self.item_max_length},
                )


class CustomerForm(forms.ModelForm):
    phones = MultipleValueField(
        label=_("Phones"),
        required=False,
        max_items=MAX_PHONES,
        item_max_length=32,
        widget=MultipleInputWidget(input_type="tel", max_items=MAX_PHONES, placeholder="+7 916 123-45-67"),
    )
    emails = MultipleValueField(
        label=_("Emails"),
        required=False,
        max_items=MAX_EMAILS,
        item_max_length=255,
        widget=MultipleInputWidget(input_type="email", max_items=MAX_EMAILS, placeholder="name@example.com"),
    )
    labels = fields.ModelMultipleChoiceField(
        label=_("Labels"), queryset=Label.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )

    # The empty choice of an optional select says what to choose (Django's default is "---------").
    PLACEHOLDERS = {
        "gender": _("Choose a gender"),
        "temperature": _("Choose a temperature"),
        "preferred_currency": _("Choose a currency"),
        "preferred_language": _("Choose a language"),
    }

    class Meta:
        model = Customer
        fields = [
            "full_name",
            "phones",
            "emails",
            "other_channels",
            "labels",
            "status",
            "temperature",
            "gender",
            "birthday",
            "region",
            "city",
            "address",
            "contact_person",
            "tax_id",
            "discount_percent",
            "preferred_currency",
            "preferred_language",
            "acquisition_channel",
            "card_number",
            "is_favourite",
            "is_blocked",
            "blocked_reason",
            "internal_note",
        ]
        widgets = {
            "birthday": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "internal_note": forms.Textarea(attrs={"rows": 4, "maxlength": 2000}),
        }

    def __init__(self, *args, company, **kwargs):
        super().__init__(*args, **kwargs)
        self.company = company
        self.fields["phones"].help_text = gettext(
            "Up to %(max)d. Numbers without a country code are read as the company's region."
        ) % {"max": MAX_PHONES}
        self.fields["emails"].help_text = gettext("Up to %(max)d.") % {"max": MAX_EMAILS}
        # Choices come from the request's company (its scope is open), never at import time.
        self.fields["labels"].queryset = Label.objects.order_by("name")
        for name, placeholder in self.PLACEHOLDERS.items():
            field = self.fields[name]
            field.choices = [("", placeholder), *(choice for choice in field.choices if choice[0] != "")]
        if self.instance.pk:
            self.initial.setdefault("phones", [p.formatted for p in self.instance.phones.all()])
            self.initial.setdefault("emails", [e.email for e in self.instance.emails.all()])
            self.initial.setdefault("labels", list(self.instance.labels.all()))

    # Phones and emails are checked here, with every other field, so one submit reports every
    # mistake at once; the service checks them again (it is also called without a form).
    def clean_phones(self):
        return self._normalized("phones", normalize_phones, self.company, self.cleaned_data["phones"])

    def clean_emails(self):
        return self._normalized("emails", normalize_emails, self.cleaned_data["emails"])

    @staticmethod
    def _normalized(name, normalize, *args):
        try:
            return normalize(*args)
        except forms.ValidationError as error:
            raise forms.ValidationError(error.error_dict[name] if hasattr(error, "error_dict") else error) from None

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("is_blocked") is False:
            cleaned["blocked_reason"] = ""
        elif cleaned.get("is_blocked") and not (cleaned.get("blocked_reason") or "").strip():
            self.add_error("blocked_reason", gettext("Say why the customer is blocked."))
        return cleaned

    def _post_clean(self):
        # The service validates and saves the model. Here only the model fields' own validators
        # run (on a throwaway instance, without the company), so their errors join the others.
        fields = self.customer_fields()
        exclude = {field.name for field in Customer._meta.fields if field.name not in fields}
        try:
            Customer(**fields).clean_fields(exclude=exclude)
        except forms.ValidationError as error:
            self._update_errors(error)

    def customer_fields(self) -> dict:
        skip = {"phones", "emails", "labels"}
        return {name: value for name, value in self.cleaned_data.items() if name not in skip}


class LabelForm(forms.ModelForm):
    class Meta:
        model = Label
        fields = ["name", "color"]
        widgets = {"color": forms.TextInput(attrs={"type": "color", "class": "form-control-color"})}

    def _post_clean(self):
        pass


class NoteForm(forms.ModelForm):
    class Meta:
        model = Note
        fields = ["text", "priority"]
        widgets = {"text": forms.Textarea(attrs={"rows": 3, "maxlength": 2000})}

    def _post_clean(self):
        pass


class IdListField(forms.Field):
    widget = forms.MultipleHiddenInput

    def to_python(self, value):
        if not value:
            return []
        if isinstance(value, str) or not all(fields.fits_an_id(item) for item in value):
            raise forms.ValidationError(_("The selection is not valid; tick the customers again."))
        return sorted({int(item) for item in value})


class BulkLabelForm(forms.Form):
    ACTIONS = [("add", _("Add label")), ("remove", _("Remove label"))]

    action = forms.ChoiceField(choices=ACTIONS)
    label = fields.ModelChoiceField(label=_("Label"), queryset=Label.objects.none(), empty_label=_("Choose a label"))
    selected = IdListField(required=False)
    all_matching = forms.BooleanField(required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["label"].queryset = Label.objects.order_by("name")

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("all_matching") and not cleaned.get("selected"):
            raise forms.ValidationError(_("Tick at least one customer, or choose every customer the filter matches."))
        return cleaned


class MergeForm(forms.Form):
    """Which of a pair's cards stays, and for each field the two disagree on, whose value stays."""

    survivor = forms.TypedChoiceField(label=_("Keep the card of"), coerce=int, widget=forms.RadioSelect)

    def __init__(self, *args, pair: DuplicateCandidate, **kwargs):
        super().__init__(*args, **kwargs)
        self.pair = pair
        first, second = pair.first, pair.second
        self.fields["survivor"].choices = [(first.pk, first.full_name), (second.pk, second.full_name)]
        self.fields["survivor"].initial = _likely_survivor(first, second).pk
        defaults = merge_defaults(first, second)
        self.conflicts = merge_conflicts(first, second)
        for name in self.conflicts:
            model_field = Customer._meta.get_field(name)
            self.fields[name] = forms.TypedChoiceField(
                label=model_field.verbose_name,
                coerce=int,
                widget=forms.RadioSelect,
                choices=[(first.pk, _shown(first, model_field)), (second.pk, _shown(second, model_field))],
                initial=first.pk if defaults[name] == TARGET else second.pk,
            )

    def merge_arguments(self) -> dict:
        """survivor, duplicate and keep for services.merge_customers."""
        first, second = self.pair.first, self.pair.second
        target, duplicate = (first, second) if self.cleaned_data["survivor"] == first.pk else (second, first)
        keep = {name: TARGET if self.cleaned_data[name] == target.pk else DUPLICATE for name in self.conflicts}
        return {"target": target, "duplicate": duplicate, "keep": keep}


def _likely_survivor(first: Customer, second: Customer) -> Customer:
    """The card with more orders, or else the older one."""
    return max((first, second), key=lambda customer: (customer.orders_count, -customer.created_at.timestamp()))


def _shown(customer: Customer, model_field) -> str:
    if model_field.choices:
        return getattr(customer, f"get_{model_field.name}_display")()
    value = getattr(customer, model_field.name)
    return date_format(value) if hasattr(value, "isoformat") else str(value)


class BlockForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for blocking"),
        max_length=255,
        help_text=_("Staff see it on the card and in the list."),
        widget=forms.TextInput(attrs={"placeholder": _("Did not pay for two orders")}),
    )


class PipelineForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=Customer.Status.choices)
    temperature = forms.ChoiceField(
        label=_("Temperature"), choices=[("", _("not set")), *Customer.Temperature.choices], required=False
    )


class ConsentForm(forms.Form):
    channel = forms.ChoiceField(
        label=_("Channel"),
        choices=[("sms", _("SMS")), ("email", _("Email")), ("push", _("Push"))],
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
    )
    given = forms.TypedChoiceField(
        label=_("Decision"),
        coerce=lambda value: value == "yes",
        choices=[("yes", _("Consents")), ("no", _("Opted out"))],
        widget=forms.RadioSelect,
    )
    source = forms.ChoiceField(
        label=_("How"),
        choices=Customer.ConsentSource.choices,
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
    )


class EraseForm(forms.Form):
    """Erasing cannot be undone: the admin types the customer's name to confirm."""

    confirmation = forms.CharField(label=_("Type the customer's name to confirm"), max_length=255)

    def __init__(self, *args, customer: Customer, **kwargs):
        super().__init__(*args, **kwargs)
        self.customer = customer

    def clean_confirmation(self):
        typed = self.cleaned_data["confirmation"]
        if typed.strip().casefold() != self.customer.full_name.strip().casefold():
            raise forms.ValidationError(gettext("That is not the customer's name; nothing was erased."))
        return typed


class PanelForm(forms.Form):
    """An action from the quick-info panel on the ticked customers (at most a page of them)."""

    ACTIONS = [
        ("add_label", _("Add label")),
        ("remove_label", _("Remove label")),
        ("favourite", _("Add to favourites")),
        ("unfavourite", _("Remove from favourites")),
        ("note", _("Add note")),
    ]

    action = forms.ChoiceField(choices=ACTIONS)
    selected = IdListField()
    label = fields.ModelChoiceField(
        label=_("Label"), queryset=Label.objects.none(), required=False, empty_label=_("Choose a label")
    )
    text = forms.CharField(label=_("Note"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2}))
    priority = forms.TypedChoiceField(
        label=_("Priority"), coerce=int, choices=Note.Priority.choices, required=False, empty_value=Note.Priority.NONE
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["label"].queryset = Label.objects.order_by("name")

    def clean(self):
        cleaned = super().clean()
        action = cleaned.get("action")
        if action in ("add_label", "remove_label") and not cleaned.get("label"):
            self.add_error("label", gettext("Choose a label."))
        if cleaned.get("selected"):
            # Ids of another company's or of deleted customers act on no one.
            cleaned["selected"] = list(Customer.objects.filter(pk__in=cleaned["selected"]).values_list("pk", flat=True))
            if not cleaned["selected"]:
                self.add_error(None, gettext("The ticked customers are no longer in the list; reload the page."))
        if action == "note":
            if not (cleaned.get("text") or "").strip():
                self.add_error("text", gettext("Write the note."))
            if len(cleaned.get("selected") or ()) != 1:
                self.add_error(None, gettext("A note is added to one customer at a time."))
        return cleaned
