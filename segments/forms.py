from django import forms
from django.utils.translation import gettext_lazy as _


class SegmentForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    shared = forms.BooleanField(label=_("Share with the whole company"), required=False)
    query = forms.CharField(required=False, widget=forms.HiddenInput, max_length=4000)


class RenameForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
