"""HTTP client for the Zalo Official Account API v3 (send) and OAuth v4 (token refresh).

Zalo answers HTTP 200 even on failure and puts the outcome in the body's `error` field, so every response body is
checked. An invalid/expired token (-216/-220) triggers one refresh and one retry; a rate limit (-32) one delayed
retry; a user silent for 7 days (-230) cannot be messaged at all and is only logged. Base URLs come from settings so
tests run against a fake server on loopback.
"""
from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import Any, Dict, Optional

import aiohttp

from base.crypto import keyed_hash
from base.metrics import ZALO_API_ERRORS, ZALO_BAD_RESPONSE, ZALO_NETWORK, ZALO_TOKEN_REFRESH, zalo_error_label
from bot.channels.zalo_tokens import TokenManager, ZaloTokenError, ZaloTokens

logger = logging.getLogger(__name__)

SEND_PATH = "/v3.0/oa/message/cs"
REFRESH_PATH = "/v4/oa/access_token"

ERROR_RATE_LIMITED = -32
ERROR_INVALID_TOKEN = -216
ERROR_EXPIRED_TOKEN = -220
ERROR_USER_INACTIVE = -230
TOKEN_ERRORS = frozenset({ERROR_INVALID_TOKEN, ERROR_EXPIRED_TOKEN})
DEFAULT_TIMEOUT_S = 10.0


def masked_user_id(user_id: str) -> str:
    """A stable, non-reversible tag for logs: correlates one user's lines without revealing the Zalo id (keyed, so a
    guessed id cannot be checked against the logs without THUTUC_DATA_KEY)."""
    return "u-" + keyed_hash(str(user_id), "zalo-log-tag")[:10]


@dataclass(frozen=True)
class SendResult:
    ok: bool
    error: Optional[int] = None  # Zalo's error code; None on success or when no body was readable
    message_id: Optional[str] = None
    description: str = ""


class ZaloOAuthClient:
    """Exchanges the (single-use) refresh token for a new access/refresh pair."""

    def __init__(self, oauth_base: str, app_id: str, app_secret: str, timeout_s: float = DEFAULT_TIMEOUT_S) -> None:
        self._url = oauth_base.rstrip("/") + REFRESH_PATH
        self._app_id = app_id
        self._app_secret = app_secret
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)

    async def refresh(self, refresh_token: str) -> ZaloTokens:
        form = {"refresh_token": refresh_token, "app_id": self._app_id, "grant_type": "refresh_token"}
        headers = {"secret_key": self._app_secret}
        try:
            async with aiohttp.ClientSession(timeout=self._timeout) as session:
                async with session.post(self._url, data=form, headers=headers) as response:
                    body = await response.json(content_type=None)
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as error:
            raise ZaloTokenError(f"Zalo token refresh failed: {type(error).__name__}") from error
        if not isinstance(body, dict) or not body.get("access_token") or not body.get("refresh_token"):
            code = body.get("error") if isinstance(body, dict) else None
            raise ZaloTokenError(f"Zalo refused the token refresh (error {code})")
        expires_in = _as_float(body.get("expires_in"))
        return ZaloTokens(
            access_token=str(body["access_token"]),
            refresh_token=str(body["refresh_token"]),
            expires_at=time.time() + expires_in if expires_in else None,
        )


class ZaloClient:
    """Sends customer-service messages (`/v3.0/oa/message/cs`) with the token rules above."""

    def __init__(
        self,
        api_base: str,
        tokens: TokenManager,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        rate_limit_retry_delay_s: float = 1.0,
    ) -> None:
        self._url = api_base.rstrip("/") + SEND_PATH
        self.tokens = tokens
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._rate_limit_retry_delay_s = rate_limit_retry_delay_s
        self._session: Optional[aiohttp.ClientSession] = None

    def _http(self) -> aiohttp.ClientSession:
        # Created lazily inside the server's event loop, reused for connection pooling.
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        return self._session

    async def close(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()

    async def send_text(self, user_id: str, text: str) -> SendResult:
        return await self.send_message(user_id, {"text": text})

    async def send_message(self, user_id: str, message: Dict[str, Any]) -> SendResult:
        """Send one message; never raises for Zalo or network errors (they are logged and returned)."""
        body = {"recipient": {"user_id": str(user_id)}, "message": message}
        who = masked_user_id(user_id)
        try:
            tokens = await self.tokens.current()
            if tokens.expires_soon():
                tokens = await self.tokens.refresh(tokens.access_token)
            result = await self._post(tokens.access_token, body)
            if result.error in TOKEN_ERRORS:
                logger.info("Zalo rejected the access token (error %s); refreshing once", result.error)
                tokens = await self.tokens.refresh(tokens.access_token)
                result = await self._post(tokens.access_token, body)
            elif result.error == ERROR_RATE_LIMITED:
                logger.warning("Zalo rate limit hit sending to %s; retrying once", who)
                await asyncio.sleep(self._rate_limit_retry_delay_s)
                result = await self._post(tokens.access_token, body)
        except ZaloTokenError as error:
            ZALO_API_ERRORS.labels(ZALO_TOKEN_REFRESH).inc()
            logger.error("Cannot send to %s: %s", who, error)
            return SendResult(ok=False, description=str(error))

        if result.error == ERROR_USER_INACTIVE:
            logger.info("Zalo user %s has not interacted for 7 days; message not delivered", who)
        elif result.error == ERROR_RATE_LIMITED:
            logger.error("Zalo rate limit still hit sending to %s; message dropped", who)
        elif not result.ok:
            logger.warning("Zalo send to %s failed: error=%s %s", who, result.error, result.description)
        return result

    async def _post(self, access_token: str, body: Dict[str, Any]) -> SendResult:
        result = await self._post_once(access_token, body)
        if not result.ok:  # every failed answer, retried ones included (thutuc_zalo_api_errors_total)
            code = str(result.error) if result.error is not None else (
                ZALO_NETWORK if result.description.startswith("network") else ZALO_BAD_RESPONSE)
            ZALO_API_ERRORS.labels(zalo_error_label(code)).inc()
        return result

    async def _post_once(self, access_token: str, body: Dict[str, Any]) -> SendResult:
        try:
            async with self._http().post(self._url, json=body, headers={"access_token": access_token}) as response:
                payload = await response.json(content_type=None)
                status = response.status
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as error:
            return SendResult(ok=False, description=f"network: {type(error).__name__}")
        if not isinstance(payload, dict):
            return SendResult(ok=False, description=f"HTTP {status}: unexpected body")
        error = _as_int(payload.get("error"))
        if error == 0:
            data = payload.get("data") if isinstance(payload.get("data"), dict) else {}
            message_id = data.get("message_id")
            return SendResult(ok=True, error=None, message_id=str(message_id) if message_id else None)
        return SendResult(ok=False, error=error, description=str(payload.get("message", ""))[:200])


def _as_int(value: Any) -> Optional[int]:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _as_float(value: Any) -> Optional[float]:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None
