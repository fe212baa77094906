"""Personal data at rest: field encryption and keyed hashes, both from one secret, THUTUC_DATA_KEY.

- `encrypt` / `decrypt`: Fernet (AES-128-CBC + HMAC-SHA256, from `cryptography`) for values that must be read back
  (a ticket's contact, the Zalo id a notification is pushed to). Stored values carry the prefix `enc:v1:`, so a
  column can hold rows written before encryption (plain) beside encrypted ones: `decrypt` returns a value without the
  prefix unchanged.
- `keyed_hash`: HMAC-SHA256 for values that are only ever compared for equality (which ticket belongs to this
  sender, which lookup session, which rate-limit counter). Without the key nobody can test a guessed Zalo id against
  the stored hashes, which a plain SHA-256 would allow.

Keys: THUTUC_DATA_KEY is any long random string (production requires it, base/production.py); in development it is
generated once into `var/data_key` (base/local_secrets.py). Two independent 32-byte keys are derived from it with
HKDF-SHA256 (RFC 5869), one per purpose (`info` "thutuc field encryption v1" → the Fernet key, "thutuc keyed hash
v1" → the HMAC key), so the string itself is never used as a key and the two uses never share one. Losing the
secret makes encrypted values unreadable and hashes unmatchable: back it up with the database credentials.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
from functools import lru_cache
from pathlib import Path
from typing import Optional

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from base.local_secrets import development_secret
from base.settings import Settings, get_settings

PREFIX = "enc:v1:"
_ENCRYPTION_INFO = b"thutuc field encryption v1"
_HASH_INFO = b"thutuc keyed hash v1"


class UndecryptableValue(ValueError):
    """A stored `enc:v1:` value that this key cannot open (another key, or a damaged value)."""


def _derive(secret: str, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(secret.encode("utf-8"))


class FieldCipher:
    """Encrypts, decrypts and hashes field values with the keys derived from one secret."""

    def __init__(self, secret: str) -> None:
        if not secret:
            raise ValueError("the data key is empty")
        self._fernet = Fernet(base64.urlsafe_b64encode(_derive(secret, _ENCRYPTION_INFO)))
        self._hash_key = _derive(secret, _HASH_INFO)

    def encrypt(self, value: Optional[str]) -> Optional[str]:
        """`enc:v1:<Fernet token>`; None and "" stay as they are (nothing to hide)."""
        if not value:
            return value
        return PREFIX + self._fernet.encrypt(value.encode("utf-8")).decode("ascii")

    def decrypt(self, stored: Optional[str]) -> Optional[str]:
        """The plain value; a value stored before encryption (no prefix) is returned unchanged."""
        if not stored or not stored.startswith(PREFIX):
            return stored
        try:
            return self._fernet.decrypt(stored[len(PREFIX):].encode("ascii")).decode("utf-8")
        except (InvalidToken, ValueError) as error:
            raise UndecryptableValue("a stored value cannot be decrypted with THUTUC_DATA_KEY") from error

    def keyed_hash(self, value: str, purpose: str) -> str:
        """Hex HMAC-SHA256 of `value` for one `purpose` (the same value hashes differently per purpose)."""
        return hmac.new(self._hash_key, f"{purpose}\x00{value}".encode("utf-8"), hashlib.sha256).hexdigest()


def is_encrypted(stored: Optional[str]) -> bool:
    return bool(stored) and stored.startswith(PREFIX)


class DataKeyMissing(RuntimeError):
    """THUTUC_ENV=production without THUTUC_DATA_KEY: a key file per host would make replicas disagree."""


def data_key(settings: Optional[Settings] = None) -> str:
    """THUTUC_DATA_KEY, or in development a secret generated once under var/ (never printed)."""
    settings = settings or get_settings()
    if settings.data_key is not None and settings.data_key.get_secret_value():
        return settings.data_key.get_secret_value()
    if settings.is_production:
        raise DataKeyMissing("THUTUC_DATA_KEY is not set: with THUTUC_ENV=production every replica needs the same "
                             "data key (generate one: python -c \"import secrets; print(secrets.token_urlsafe(32))\")")
    return _file_secret(settings.data_key_file)


@lru_cache(maxsize=8)
def _file_secret(path: Path) -> str:
    return development_secret(path)


@lru_cache(maxsize=8)
def _cipher_for(secret: str) -> FieldCipher:
    return FieldCipher(secret)


def cipher(settings: Optional[Settings] = None) -> FieldCipher:
    """The process's cipher for the configured data key (keys derived once per secret)."""
    return _cipher_for(data_key(settings))


def encrypt(value: Optional[str]) -> Optional[str]:
    return cipher().encrypt(value)


def decrypt(stored: Optional[str]) -> Optional[str]:
    return cipher().decrypt(stored)


def keyed_hash(value: str, purpose: str) -> str:
    return cipher().keyed_hash(value, purpose)


def sender_hash(sender_id: str) -> str:
    """The keyed hash under which a sender's rows are found in every table that keeps one (tickets, feedback, lookup
    sessions, subscriptions): one purpose everywhere, so an operator can find all of one citizen's rows."""
    return keyed_hash(sender_id, "sender")
