"""Secrets the portal must be able to read back (a webhook signing secret signs every message),
kept encrypted at rest: a copy of the database alone does not give them away.

Fernet (AES-128-CBC + HMAC-SHA256) with a key derived from SECRET_KEY; values sealed under a key
in SECRET_KEY_FALLBACKS still open, so SECRET_KEY can be rotated the way Django rotates it."""

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings

_PURPOSE = b"voiceportal.sealing"


class SealBroken(Exception):
    """The value was sealed under a key this portal no longer has."""


def seal(value: str) -> str:
    return _fernet().encrypt(value.encode()).decode()


def unseal(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        raise SealBroken("sealed under a SECRET_KEY this portal no longer has") from None


def _fernet() -> MultiFernet:
    keys = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return MultiFernet([Fernet(_derive(key)) for key in keys])


def _derive(secret_key: str) -> bytes:
    digest = hashlib.sha256(_PURPOSE + b"\0" + secret_key.encode()).digest()
    return base64.urlsafe_b64encode(digest)
