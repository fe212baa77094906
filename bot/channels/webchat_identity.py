"""Server-issued identities for the web chat: the browser never chooses whose conversation it writes into.

A token is `v1.<32 hex random>.<HMAC-SHA256 of it, base64url>`; the Rasa conversation id is `web-<32 hex>`. The page
keeps the token and sends it back in the `X-Chat-Session` header; a missing, malformed or forged token gets a fresh
identity, never an existing one. Why a token and not a cookie: docs/channels.md ("Web chat identity").
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import re
import secrets
from typing import Optional, Tuple

from base.local_secrets import development_secret
from base.settings import Settings

logger = logging.getLogger(__name__)

HEADER = "X-Chat-Session"
SENDER_PREFIX = "web-"
_VERSION = "v1"
_TOKEN = re.compile(r"^v1\.([0-9a-f]{32})\.([A-Za-z0-9_-]{43})$")
_MAX_TOKEN_CHARS = 128  # anything longer is not ours; not even worth a regex


class WebChatSecretMissing(RuntimeError):
    """THUTUC_ENV=production without THUTUC_WEBCHAT_SECRET."""


class WebChatIdentity:
    """Issues and checks web chat tokens with one server secret (the same on every replica)."""

    def __init__(self, secret: bytes) -> None:
        if len(secret) < 16:
            raise ValueError("the web chat secret must be at least 16 bytes")
        self._secret = secret

    def issue(self) -> Tuple[str, str]:
        """(conversation id, token) of a brand-new identity."""
        ident = secrets.token_hex(16)
        return SENDER_PREFIX + ident, f"{_VERSION}.{ident}.{self._sign(ident)}"

    def sender_of(self, token: Optional[str]) -> Optional[str]:
        """The conversation id a genuine token stands for, else None."""
        if not token or len(token) > _MAX_TOKEN_CHARS:
            return None
        match = _TOKEN.match(token)
        if match is None or not hmac.compare_digest(match.group(2), self._sign(match.group(1))):
            return None
        return SENDER_PREFIX + match.group(1)

    def resolve(self, token: Optional[str]) -> Tuple[str, str]:
        """(conversation id, token to keep): the given identity if genuine, else a new one."""
        sender = self.sender_of(token)
        if sender is not None:
            return sender, token  # type: ignore[return-value]
        return self.issue()

    def _sign(self, ident: str) -> str:
        digest = hmac.new(self._secret, f"thutuc-webchat-{_VERSION}:{ident}".encode("ascii"), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def identity_from_settings(settings: Settings) -> WebChatIdentity:
    if settings.webchat_secret is not None and settings.webchat_secret.get_secret_value():
        return WebChatIdentity(settings.webchat_secret.get_secret_value().encode("utf-8"))
    if settings.is_production:
        raise WebChatSecretMissing(
            "THUTUC_WEBCHAT_SECRET is not set: with THUTUC_ENV=production the web chat needs a secret shared by all "
            "replicas (generate one: python -c \"import secrets; print(secrets.token_urlsafe(32))\")"
        )
    return WebChatIdentity(development_secret(settings.webchat_secret_file).encode("ascii"))
