from decimal import Decimal

from django import forms
from django.conf import settings
from django.contrib.auth import forms as auth_forms
from django.db import transaction
from django.template import loader
from django.utils.translation import gettext_lazy as _

from companies.models import CURRENCY_CHOICES
from companies.tasks import send_email


class LanguageForm(forms.Form):
    language = forms.ChoiceField(
        label=_("Language"),
        choices=[("", _("Company default")), *settings.LANGUAGES],
        required=False,
    )


class PasswordResetForm(auth_forms.PasswordResetForm):
    """Sends the reset email from a Celery worker, once the request's transaction has committed."""

    def send_mail(
        self, subject_template_name, email_template_name, context, from_email, to_email, html_email_template_name=None
    ):
        # Links are built from the configured site URL, never from the request's Host header.
        context = {**context, "site_url": settings.SITE_URL}
        subject = "".join(loader.render_to_string(subject_template_name, context).splitlines())
        body = loader.render_to_string(email_template_name, context)
        html_body = loader.render_to_string(html_email_template_name, context) if html_email_template_name else None
        transaction.on_commit(lambda: send_email.delay(subject=subject, body=body, to=[to_email], html_body=html_body))


class ExchangeRateForm(forms.Form):
    currency = forms.ChoiceField(label=_("Currency"), choices=[("", _("Choose a currency")), *CURRENCY_CHOICES])
    rate = forms.DecimalField(
        label=_("Rate"),
        max_digits=14,
        decimal_places=6,
        min_value=Decimal("0.000001"),
        help_text=_("How many units of the company's currency one unit of this currency is worth."),
    )
