"""SMS providers behind one interface; settings.SMS_BACKEND names the one in use."""

from abc import ABC, abstractmethod
from dataclasses import dataclass

from django.conf import settings
from django.utils.module_loading import import_string


class SmsError(Exception):
    """The provider refused the message or could not be reached; `temporary` if a retry may work."""

    def __init__(self, message: str, *, temporary: bool = False):
        super().__init__(message)
        self.temporary = temporary


class SmsUnknown(Exception):
    """The request left but no answer came: the provider may or may not have the message."""


@dataclass(frozen=True)
class Sent:
    provider_id: str
    delivered: bool = False  # some providers (the file one) know at once


class SmsBackend(ABC):
    """`send` gets the message's idempotency key: sending the same key twice must not send twice.
    A provider that can be asked about a message by that key sets `can_look_up` and implements
    `lookup`; the stalled sends of one that cannot are marked unknown, never resent."""

    can_look_up = False

    @abstractmethod
    def send(self, *, to: str, text: str, key: str, sender: str = "") -> Sent: ...

    def lookup(self, key: str) -> Sent | None:
        """Whether the message with this key went: Sent, or None if it did not."""
        raise TypeError(f"{type(self).__name__} cannot look messages up by key")


def sms_backend(company=None) -> SmsBackend:
    """The company's own provider account when it set one up (messaging settings), else the
    service's (settings.SMS_BACKEND)."""
    if company is not None:
        from messaging.models import MessagingSettings  # the models do not import the backends
        from messaging.secrets import decrypt

        prefs = MessagingSettings.objects.filter(company_id=company.pk).first()
        if prefs is not None and prefs.sms_provider == "smsru":
            from messaging.backends.smsru import SmsRuBackend

            return SmsRuBackend(api_id=decrypt(prefs.smsru_api_id), sender=prefs.smsru_sender)
    return import_string(settings.SMS_BACKEND)()
