from django.db.models.signals import post_save
from django.dispatch import receiver
from django_scopes import scope

from companies.models import Company


@receiver(post_save, sender=Company, dispatch_uid="segments.default_groups")
def create_default_groups(sender, instance: Company, created: bool, raw: bool = False, **kwargs):
    if created and not raw:
        from segments.services import restore_default_segments

        with scope(company=instance):
            restore_default_segments(instance, actor=None)
