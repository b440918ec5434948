from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SegmentsConfig(AppConfig):
    name = "segments"
    verbose_name = _("Segments")

    def ready(self):
        from companies.services import COMPANY_SETUP
        from segments.services import create_default_groups

        if create_default_groups not in COMPANY_SETUP:
            COMPANY_SETUP.append(create_default_groups)
