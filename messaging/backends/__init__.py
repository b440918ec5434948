"""SMS providers behind one interface; settings.SMS_BACKEND names the one in use."""

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


class SmsBackend:
    """`send` gets the message's idempotency key: sending the same key twice must not send twice."""

    def send(self, *, to: str, text: str, key: str, sender: str = "") -> Sent:
        raise NotImplementedError

    def lookup(self, key: str) -> Sent | None:
        """Whether the message with this key went: Sent, or None if it did not. A provider that
        cannot tell raises NotImplementedError (its stalled sends are then marked unknown)."""
        raise NotImplementedError


def sms_backend() -> SmsBackend:
    return import_string(settings.SMS_BACKEND)()
