"""How our processes authenticate to the Rasa HTTP API: a short-lived JWT in the `Authorization` header.

Rasa's `--auth-token` travels in the query string (`?token=…`), where proxies, access logs and shell history keep
it. Instead the Rasa server is started with `--jwt-secret` (bot/rasa_server.py reads it from RASA_API_TOKEN inside
the process, so it never appears on a command line) and every caller signs a token valid for a few minutes with the
same secret. A query-string token is then refused.
"""
from __future__ import annotations

import time
from typing import Optional

import jwt

from base.local_secrets import development_secret
from base.settings import Settings, get_settings

JWT_METHOD = "HS256"
TOKEN_LIFETIME_S = 300
# Rasa's scope check (rasa/server.py `requires_auth`): role "admin" may act on every conversation.
_CLAIMS = {"user": {"username": "thutuc", "role": "admin"}}


def api_secret(settings: Optional[Settings] = None) -> str:
    """RASA_API_TOKEN, or in development a secret generated once under var/ (never printed)."""
    settings = settings or get_settings()
    if settings.rasa_api_token:
        return settings.rasa_api_token
    return development_secret(settings.rasa_api_token_file)


def auth_headers(secret: Optional[str] = None, now: Optional[float] = None) -> dict[str, str]:
    """`Authorization: Bearer <JWT>` for one call (or a few within TOKEN_LIFETIME_S)."""
    issued = int(now if now is not None else time.time())
    claims = {**_CLAIMS, "iat": issued, "exp": issued + TOKEN_LIFETIME_S}
    token = jwt.encode(claims, secret or api_secret(), algorithm=JWT_METHOD)
    return {"Authorization": f"Bearer {token}"}
