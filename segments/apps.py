from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SegmentsConfig(AppConfig):
    name = "segments"
    verbose_name = _("Segments")

    def ready(self):
        from segments import signals  # noqa: F401 - every new company gets the default groups
