from functools import cache

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from companies.models import TenantModel


class Segment(TenantModel):
    """A saved customer filter: the query string of the customer FilterSet, kept relative.

    Shared segments (`owner` empty) are seen by the whole company and managed by its owners and
    admins; a personal one is seen and managed by its owner only.
    """

    class Default(models.TextChoices):
        ALL = "all", pgettext_lazy("segment", "All")
        NEW = "new", pgettext_lazy("segment", "New")
        LOYAL = "loyal", pgettext_lazy("segment", "Loyal")
        INACTIVE = "inactive", pgettext_lazy("segment", "Inactive")

    name = models.CharField(_("name"), max_length=100)
    query = models.TextField(_("criteria"), blank=True, max_length=4000)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("personal segment of"),
    )
    position = models.PositiveIntegerField(default=0)
    default = models.CharField(_("default group"), max_length=16, choices=Default.choices, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("segment")
        verbose_name_plural = _("segments")
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "default"], condition=~models.Q(default=""), name="segment_default_uniq"
            ),
        ]
        indexes = [models.Index(fields=["company", "position"], name="segment_position_idx")]

    def __str__(self) -> str:
        return self.display_name

    def get_absolute_url(self) -> str:
        """The customer list with this segment's criteria applied."""
        return reverse("customers:list") + "?" + "&".join(filter(None, [self.query, f"segment={self.pk}"]))

    @property
    def display_name(self) -> str:
        """A default group is shown in the reader's language until someone renames it: its stored
        name is then no longer the group's name in any of the languages the app ships."""
        if self.default and self.name in default_names(self.default):
            return str(Segment.Default(self.default).label)
        return self.name

    @property
    def is_shared(self) -> bool:
        return self.owner_id is None


@cache
def default_names(key: str) -> frozenset[str]:
    """A default group's name in every language the app ships (as created in that language)."""
    names = set()
    for code, _language in settings.LANGUAGES:
        with translation.override(code):
            names.add(str(Segment.Default(key).label))
    return frozenset(names)
