from django import forms
from django.utils.translation import gettext_lazy as _

from messaging.models import Channel

# What staff can send to one customer today; push waits for customers' subscriptions.
SENDABLE = [(Channel.SMS.value, Channel.SMS.label), (Channel.EMAIL.value, Channel.EMAIL.label)]


class SendForm(forms.Form):
    channel = forms.ChoiceField(
        label=_("Channel"),
        choices=SENDABLE,
        widget=forms.Select(attrs={"class": "form-select form-select-sm w-auto"}),
        error_messages={"invalid_choice": _("Choose SMS or email."), "required": _("Choose SMS or email.")},
    )
    text = forms.CharField(
        label=_("Message"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3, "class": "form-control", "maxlength": 2000}),
        error_messages={"required": _("Write the message.")},
    )
