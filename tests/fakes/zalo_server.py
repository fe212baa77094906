"""A fake Zalo OA API on 127.0.0.1 for tests: the send endpoint and the OAuth refresh endpoint.

Request and response shapes follow the real API (HTTP 200 with `error` in the body, `access_token` header, form-encoded
refresh with a `secret_key` header, single-use rotating refresh tokens, 25 h access tokens). Every request is
recorded for assertions, and switches inject the errors the connector must survive.

Use `async with FakeZaloServer() as zalo:` inside a test's event loop, or `FakeZaloServer.in_thread()` from
synchronous code (browser tests, a Rasa server in another process).
"""
from __future__ import annotations

import asyncio
import contextlib
import itertools
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Iterator, List, Optional

from aiohttp import web

ACCESS_TOKEN_LIFETIME_S = 25 * 3600
MAX_TEXT_CHARS = 2000
MAX_BUTTONS = 5

ERRORS = {
    -32: "Exceeded the rate limit of the application",
    -201: "Parameters are invalid",
    -216: "Access token is invalid",
    -220: "Access token has expired",
    -230: "User has not interacted with the OA in the past 7 days",
}


@dataclass
class RecordedRequest:
    path: str
    headers: Dict[str, str]
    json: Optional[Dict[str, Any]] = None
    form: Optional[Dict[str, str]] = None
    response: Dict[str, Any] = field(default_factory=dict)


class FakeZaloServer:
    def __init__(
        self,
        app_id: str = "1234567890",
        app_secret: str = "fake-app-secret",
        access_token: str = "AT-0",
        refresh_token: str = "RT-0",
    ) -> None:
        self.app_id = app_id
        self.app_secret = app_secret
        self.valid_access_tokens = {access_token}
        self.expired_access_tokens: set[str] = set()
        self.valid_refresh_token: Optional[str] = refresh_token
        self.inactive_users: set[str] = set()
        self.injected_send_errors: List[int] = []  # returned (in order) by the next sends, before any other check
        self.requests: List[RecordedRequest] = []
        self.on_request: Optional[Callable[[RecordedRequest], None]] = None  # called as each request arrives
        self._counter = itertools.count(1)
        self._runner: Optional[web.AppRunner] = None
        self.port: Optional[int] = None

    # ---- switches -------------------------------------------------------------------------------------------------
    def expire_access_token(self, token: str) -> None:
        """From now on `token` gets -220 (expired), as after 25 hours."""
        self.valid_access_tokens.discard(token)
        self.expired_access_tokens.add(token)

    def inject_send_errors(self, *codes: int) -> None:
        self.injected_send_errors.extend(codes)

    # ---- views of what happened -----------------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def sends(self) -> List[RecordedRequest]:
        return [r for r in self.requests if r.path.endswith("/message/cs")]

    def delivered(self, user_id: Optional[str] = None) -> List[Dict[str, Any]]:
        """Messages the fake accepted (error 0), optionally for one user."""
        return [
            r.json["message"]
            for r in self.sends()
            if r.response.get("error") == 0 and (user_id is None or r.json["recipient"]["user_id"] == user_id)
        ]

    def refreshes(self) -> List[RecordedRequest]:
        return [r for r in self.requests if r.path.endswith("/access_token")]

    def _record(self, record: RecordedRequest) -> None:
        self.requests.append(record)
        if self.on_request is not None:
            self.on_request(record)

    # ---- handlers -------------------------------------------------------------------------------------------------
    async def _send(self, request: web.Request) -> web.Response:
        try:
            body = await request.json()
        except ValueError:
            body = None
        record = RecordedRequest(request.path, dict(request.headers), json=body)
        self._record(record)
        record.response = self._send_outcome(request.headers.get("access_token"), body)
        return web.json_response(record.response)

    def _send_outcome(self, token: Optional[str], body: Any) -> Dict[str, Any]:
        if self.injected_send_errors:
            return _error(self.injected_send_errors.pop(0))
        if token in self.expired_access_tokens:
            return _error(-220)
        if token not in self.valid_access_tokens:
            return _error(-216)
        if not _valid_message(body):
            return _error(-201)
        if body["recipient"]["user_id"] in self.inactive_users:
            return _error(-230)
        message_id = f"fake-msg-{next(self._counter)}"
        return {"error": 0, "message": "Success", "data": {"message_id": message_id, "user_id": body["recipient"]["user_id"]}}

    async def _refresh(self, request: web.Request) -> web.Response:
        form = dict(await request.post())
        record = RecordedRequest(request.path, dict(request.headers), form=form)
        self._record(record)
        if request.headers.get("secret_key") != self.app_secret or form.get("app_id") != self.app_id:
            record.response = {"error": -14002, "error_name": "Invalid app", "error_description": "Invalid secret key"}
        elif form.get("grant_type") != "refresh_token" or not form.get("refresh_token"):
            record.response = {"error": -14003, "error_name": "Invalid parameter", "error_description": "Bad grant"}
        elif form["refresh_token"] != self.valid_refresh_token:
            record.response = {"error": -14014, "error_name": "Invalid parameter", "error_description": "Invalid refresh token"}
        else:
            n = next(self._counter)
            access, refresh = f"AT-{n}", f"RT-{n}"
            self.valid_refresh_token = refresh  # single use: the old one is spent
            self.valid_access_tokens = {access}  # a refresh invalidates earlier access tokens
            record.response = {"access_token": access, "refresh_token": refresh, "expires_in": str(ACCESS_TOKEN_LIFETIME_S)}
        return web.json_response(record.response)

    # ---- lifecycle ------------------------------------------------------------------------------------------------
    async def start(self) -> "FakeZaloServer":
        app = web.Application(client_max_size=1024 * 1024)
        app.router.add_post("/v3.0/oa/message/cs", self._send)
        app.router.add_post("/v4/oa/access_token", self._refresh)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> "FakeZaloServer":
        return await self.start()

    async def __aexit__(self, *exc: Any) -> None:
        await self.stop()

    @classmethod
    @contextlib.contextmanager
    def in_thread(cls, **kwargs: Any) -> Iterator["FakeZaloServer"]:
        """Run the fake in a background thread with its own event loop (for synchronous tests)."""
        server = cls(**kwargs)
        loop = asyncio.new_event_loop()
        started = threading.Event()

        def run() -> None:
            asyncio.set_event_loop(loop)
            loop.run_until_complete(server.start())
            started.set()
            loop.run_forever()

        thread = threading.Thread(target=run, name="fake-zalo", daemon=True)
        thread.start()
        if not started.wait(10):
            raise RuntimeError("fake Zalo server did not start")
        try:
            yield server
        finally:
            asyncio.run_coroutine_threadsafe(server.stop(), loop).result(10)
            loop.call_soon_threadsafe(loop.stop)
            thread.join(10)
            loop.close()

    def wait_for_deliveries(self, count: int, user_id: Optional[str] = None, timeout_s: float = 30.0) -> List[Dict[str, Any]]:
        """Block (thread mode) until `count` messages were delivered; returns them."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            delivered = self.delivered(user_id)
            if len(delivered) >= count:
                return delivered
            time.sleep(0.05)
        return self.delivered(user_id)


def _error(code: int) -> Dict[str, Any]:
    return {"error": code, "message": ERRORS.get(code, "Unknown error")}


def _valid_message(body: Any) -> bool:
    if not isinstance(body, dict):
        return False
    recipient, message = body.get("recipient"), body.get("message")
    if not isinstance(recipient, dict) or not isinstance(recipient.get("user_id"), str):
        return False
    if not isinstance(message, dict):
        return False
    text = message.get("text")
    if text is not None and (not isinstance(text, str) or not text or len(text) > MAX_TEXT_CHARS):
        return False
    attachment = message.get("attachment")
    if attachment is not None:
        buttons = attachment.get("payload", {}).get("buttons", []) if isinstance(attachment, dict) else None
        if attachment.get("type") != "template" or not isinstance(buttons, list) or not 0 < len(buttons) <= MAX_BUTTONS:
            return False
        for button in buttons:
            if not isinstance(button, dict) or not button.get("title") or len(button["title"]) > 100:
                return False
            if button.get("type") not in {"oa.query.hide", "oa.query.show", "oa.open.url", "oa.open.phone", "oa.open.sms"}:
                return False
    return text is not None or attachment is not None


def bot_environment(server: FakeZaloServer, token_file: str, oa_secret_key: str = "fake-oa-secret") -> Dict[str, str]:
    """Environment variables that point a Rasa server's Zalo channel at `server` (see docs/channels.md)."""
    return {
        "ZALO_APP_ID": server.app_id,
        "ZALO_APP_SECRET": server.app_secret,
        "ZALO_OA_SECRET_KEY": oa_secret_key,
        "ZALO_ACCESS_TOKEN": next(iter(server.valid_access_tokens)),
        "ZALO_REFRESH_TOKEN": server.valid_refresh_token or "",
        "ZALO_TOKEN_FILE": str(token_file),
        "ZALO_API_BASE": server.base_url,
        "ZALO_OAUTH_BASE": server.base_url,
    }
