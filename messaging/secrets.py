"""A company's provider credentials, stored encrypted (Fernet, keyed from SECRET_KEY, so a copy of
the database alone does not give them away) and never shown back in full."""

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings


def _fernet(secret: str) -> Fernet:
    digest = hashlib.sha256(f"messaging.credentials:{secret}".encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def _keys() -> MultiFernet:
    """The current SECRET_KEY encrypts; it and SECRET_KEY_FALLBACKS decrypt (a key rotation)."""
    return MultiFernet([_fernet(settings.SECRET_KEY), *(_fernet(old) for old in settings.SECRET_KEY_FALLBACKS)])


def encrypt(value: str) -> str:
    return _keys().encrypt(value.encode()).decode() if value else ""


def decrypt(token: str) -> str:
    """The value, or "" if there is none or it was encrypted under a key this server no longer has."""
    if not token:
        return ""
    try:
        return _keys().decrypt(token.encode()).decode()
    except InvalidToken:
        return ""


def masked(value: str) -> str:
    """Enough of a credential to recognise it: its last four characters."""
    return f"••••{value[-4:]}" if value else ""
