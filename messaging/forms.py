from django import forms
from django.utils.translation import gettext_lazy as _

from customers.forms import IdListField
from messaging.models import Channel, MessagingSettings

# The channels of templates and automatic messages; push goes to one customer or as a campaign.
SENDABLE = [(Channel.SMS.value, Channel.SMS.label), (Channel.EMAIL.value, Channel.EMAIL.label)]


class ChannelSelect(forms.Select):
    """A select whose `unavailable` choices show but cannot be picked (push for a customer who has
    not turned notifications on)."""

    unavailable: frozenset = frozenset()

    def create_option(self, name, value, *args, **kwargs):
        option = super().create_option(name, value, *args, **kwargs)
        if value in self.unavailable:
            option["attrs"]["disabled"] = True
        return option


class SendForm(forms.Form):
    channel = forms.ChoiceField(
        label=_("Channel"),
        choices=Channel.choices,
        widget=ChannelSelect(attrs={"class": "form-select form-select-sm w-auto"}),
        error_messages={"invalid_choice": _("Choose SMS, email or push."), "required": _("Choose SMS, email or push.")},
    )
    text = forms.CharField(
        label=_("Message"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3, "class": "form-control", "maxlength": 2000}),
        error_messages={"required": _("Write the message.")},
    )


class TextForm(forms.Form):
    """The subject (for email) and the text of a campaign or a template; the services check them."""

    subject = forms.CharField(
        label=_("Email subject"),
        required=False,
        max_length=255,
        widget=forms.TextInput(attrs={"class": "form-control"}),
    )
    text = forms.CharField(
        label=_("Message"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 5, "class": "form-control", "maxlength": 2000}),
        help_text=_("Variables: {name}, {first_name}, {link} (the customer's quick order link)."),
    )


class CampaignForm(TextForm):
    """A campaign as the compose page posts it: the audience the customer list handed over (its
    filter, open segment and ticked rows, and which of them), the channel, the text, and the
    sender's word that the recipients agreed to receive messages."""

    AUDIENCES = [
        ("selection", _("The ticked customers")),
        ("segment", _("The segment")),
        ("filter", _("The filtered list")),
        ("all", _("All customers")),
    ]

    audience = forms.ChoiceField(
        label=_("Recipients"),
        choices=AUDIENCES,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose the customers."), "invalid_choice": _("Choose the customers.")},
    )
    filter_query = forms.CharField(required=False, max_length=4000, widget=forms.HiddenInput)
    segment = forms.IntegerField(required=False, min_value=1, max_value=2**31 - 1, widget=forms.HiddenInput)
    selected = IdListField(required=False)
    channel = forms.ChoiceField(
        label=_("Channel"),
        choices=Channel.choices,
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": _("Choose SMS, email or push."), "required": _("Choose SMS, email or push.")},
    )
    consent = forms.BooleanField(
        label=_("The recipients agreed to receive messages from us (required by advertising law)."), required=False
    )


class MessagingSettingsForm(forms.ModelForm):
    smsru_api_id = forms.CharField(
        label=_("SMS.ru API ID"),
        required=False,
        max_length=100,
        widget=forms.PasswordInput(attrs={"class": "form-control", "autocomplete": "off"}, render_value=False),
    )

    class Meta:
        model = MessagingSettings
        fields = [
            "sms_price",
            "quiet_hours",
            "quiet_from",
            "quiet_until",
            "email_sender",
            "sms_provider",
            "smsru_sender",
        ]
        widgets = {
            "sms_provider": forms.Select(attrs={"class": "form-select"}),
            "smsru_sender": forms.TextInput(attrs={"class": "form-control"}),
            "sms_price": forms.NumberInput(attrs={"class": "form-control", "step": "0.01", "min": "0"}),
            "quiet_from": forms.TimeInput(attrs={"class": "form-control", "type": "time"}, format="%H:%M"),
            "quiet_until": forms.TimeInput(attrs={"class": "form-control", "type": "time"}, format="%H:%M"),
            "email_sender": forms.TextInput(attrs={"class": "form-control"}),
        }


class TemplateForm(TextForm):
    name = forms.CharField(label=_("Name"), max_length=100, widget=forms.TextInput(attrs={"class": "form-control"}))
    channel = forms.ChoiceField(
        label=_("Channel"),
        choices=SENDABLE,
        widget=forms.Select(attrs={"class": "form-select"}),
        error_messages={"invalid_choice": _("Choose SMS or email."), "required": _("Choose SMS or email.")},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["text"].label = _("Text")  # a template's text, not yet a message


class AutoMessageForm(forms.Form):
    enabled = forms.BooleanField(label=_("On"), required=False)
    channel = forms.ChoiceField(
        label=_("Channel"),
        choices=SENDABLE,
        widget=forms.Select(attrs={"class": "form-select form-select-sm w-auto"}),
        error_messages={"invalid_choice": _("Choose SMS or email."), "required": _("Choose SMS or email.")},
    )
    text = forms.CharField(
        label=_("Text"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2, "class": "form-control", "maxlength": 2000}),
    )
