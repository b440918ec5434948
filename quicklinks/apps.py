from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class QuicklinksConfig(AppConfig):
    name = "quicklinks"
    verbose_name = _("Quick order links")
