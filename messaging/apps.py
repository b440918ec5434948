from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MessagingConfig(AppConfig):
    name = "messaging"
    verbose_name = _("Messaging")

    def ready(self):
        from messaging import automatic
        from orders.signals import order_placed, order_status_changed

        order_placed.connect(automatic.order_placed, dispatch_uid="messaging.order_placed")
        order_status_changed.connect(automatic.order_status_changed, dispatch_uid="messaging.order_status_changed")
