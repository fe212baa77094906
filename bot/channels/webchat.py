"""Web chat for the ward's website: a page at `/chat/` and a JSON endpoint at `/chat/webhook`.

Works like Rasa's REST channel (`{"message"}` in, a list of bot messages out) but hardened for the public internet:
the conversation id is issued by the server (bot/channels/webchat_identity.py: a signed token in the
`X-Chat-Session` header, conversation ids prefixed `web-` so a browser can never speak as a Zalo or REST user; any
`sender` in the body is ignored), bounded bodies, the common length cap (bot/channels/user_text.py), NFC text, and a
polite Vietnamese error instead of a stack trace. Each message carries the server-derived client key
(`thutuc_client`: the TCP peer, or a trusted proxy's real-IP header; `base.clients`) for the per-client limits. The
page renders every message as text. Configured in credentials.yml as `bot.channels.webchat.WebChatInput:`.
"""
from __future__ import annotations

import asyncio
import logging
import time
from typing import Any, Awaitable, Callable, Dict, List, Optional, Text

from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage

from bot.channels import texts
from bot.channels.access_codes import AccessCodeDesk
from bot.channels.http_body import BadJson, BodyTooLarge, parse_json, read_body_limited
from bot.channels.static_files import serve_web_file
from base.blocking import run_blocking
from base.clients import CLIENT_METADATA_KEY, ClientKeys
from bot.channels.user_text import bounded_text
from bot.channels.webchat_identity import HEADER, WebChatIdentity, identity_from_settings
from bot.channels.webchat_push import NOTIFIER, RECHECK_S, PushNotifier
from base.privacy import install_log_masking
from base.settings import get_settings

logger = logging.getLogger(__name__)

STATIC_FILES = frozenset({"chat.css", "chat.js"})

ERROR_BAD_REQUEST = "Tin nhắn không hợp lệ. Bạn tải lại trang rồi thử lại nhé."
ERROR_TOO_LONG = "Tin nhắn quá dài. Bạn viết ngắn gọn lại giúp mình nhé."
ERROR_BOT_FAILED = texts.BOT_FAILED
ERROR_NO_SESSION = "Chưa có cuộc trò chuyện."
ERROR_UNAVAILABLE = "Chưa nhận được tin nhắn mới. Trang sẽ thử lại."
MAX_POLL_ID = 2 ** 62


class WebChatInput(InputChannel):
    def __init__(self, identity: Optional[WebChatIdentity] = None, client_keys: Optional[ClientKeys] = None,
                 outbox: Optional[Callable[[], Any]] = None, notifier: PushNotifier = NOTIFIER,
                 poll_s: Optional[float] = None, access_codes: Optional[Any] = None) -> None:
        self._identity = identity
        self.client_keys = client_keys or ClientKeys.from_settings()
        self._outbox_factory = outbox
        self._outbox: Any = None
        self._notifier = notifier
        self._poll_s = poll_s
        self._access_codes = access_codes

    @classmethod
    def name(cls) -> Text:
        return "webchat"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> "WebChatInput":
        """No secrets in credentials.yml: THUTUC_WEBCHAT_SECRET (or the development secret file) signs identities."""
        install_log_masking()
        return cls(identity_from_settings(get_settings()))

    @property
    def identity(self) -> WebChatIdentity:
        if self._identity is None:
            self._identity = identity_from_settings(get_settings())
        return self._identity

    def url_prefix(self) -> Text:
        # Absolute: Rasa's urljoin("/webhooks/", "/chat") mounts the page at the site root, where people expect it.
        return "/chat"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        chat = Blueprint("webchat", __name__)

        @chat.route("/", methods=["GET"], strict_slashes=True)
        async def page(request: Request) -> HTTPResponse:
            return serve_web_file("chat.html", frame_ancestors="*", max_age_s=0)

        @chat.route("", methods=["GET"], strict_slashes=True)
        async def page_without_slash(request: Request) -> HTTPResponse:
            # Relative asset URLs in the page need the trailing slash.
            return response.redirect(request.path + "/")

        @chat.route("/static/<name:str>", methods=["GET"])
        async def static(request: Request, name: str) -> HTTPResponse:
            if name not in STATIC_FILES:
                return response.json({"error": "not found"}, status=404)
            return serve_web_file(name, frame_ancestors="*")

        @chat.route("/embed.js", methods=["GET"])
        async def embed(request: Request) -> HTTPResponse:
            return serve_web_file("embed.js", frame_ancestors="*")

        @chat.route("/webhook", methods=["POST"], stream=True)
        async def receive(request: Request) -> HTTPResponse:
            return await self._receive(request, on_new_message)

        @chat.route("/updates", methods=["GET"])
        async def updates(request: Request) -> HTTPResponse:
            return await self._updates(request)

        @chat.listener("after_server_start")
        async def announce(app: Any, loop: Any) -> None:
            host, port = getattr(app.state, "host", None), getattr(app.state, "port", None)
            if host and port:
                shown = "localhost" if host in ("0.0.0.0", "::", "127.0.0.1") else host
                logger.info("Web chat: http://%s:%s/chat/  (clerk page: http://%s:%s/clerk/)", shown, port, shown, port)

        return chat

    async def _receive(self, request: Request, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> HTTPResponse:
        try:
            raw = await read_body_limited(request, get_settings().request_max_bytes)
        except BodyTooLarge:
            return _error(ERROR_TOO_LONG, 413)
        try:
            payload = parse_json(raw)
        except BadJson:
            return _error(ERROR_BAD_REQUEST, 400)
        text = payload.get("message") if isinstance(payload, dict) else None
        if not isinstance(text, str):
            return _error(ERROR_BAD_REQUEST, 400)
        text = bounded_text(text)  # first, before anything reads it
        if not text:
            return _error(ERROR_BAD_REQUEST, 400)
        sender, token = self.identity.resolve(request.headers.get(HEADER))  # never a client-chosen id
        client = self.client_keys.for_peer(request.ip, request.headers)
        if AccessCodeDesk.is_code(text):  # an after-hours access code: answered here, never by the bot
            if self._access_codes is None:
                self._access_codes = AccessCodeDesk.from_settings()
            answer = await self._access_codes.answer(text, client)
            return response.json(answer, headers={"Cache-Control": "no-store", HEADER: token})

        collector = CollectingOutputChannel()
        metadata = {"channel": self.name(), CLIENT_METADATA_KEY: client}
        message = UserMessage(text, collector, sender, input_channel=self.name(), metadata=metadata)
        try:
            await on_new_message(message)
        except Exception:  # noqa: BLE001 - the page gets a polite message; the log gets the details
            logger.exception("Web chat: handling a message failed")
            return _error(ERROR_BOT_FAILED, 500, {HEADER: token})
        return response.json(to_page_messages(collector.messages), headers={"Cache-Control": "no-store", HEADER: token})


    def _open_outbox(self) -> Any:
        if self._outbox is None:
            if self._outbox_factory is None:
                from base.outbox import Outbox

                self._outbox_factory = Outbox.from_settings
            self._outbox = self._outbox_factory()
        return self._outbox

    async def _updates(self, request: Request) -> HTTPResponse:
        """Long poll: a clerk's messages for this identity newer than `after` (the last id the page shows, which
        also confirms those as delivered); waits up to THUTUC_CHAT_POLL_SECONDS for one to arrive."""
        sender = self.identity.sender_of(request.headers.get(HEADER))  # only a server-issued identity, never an id
        if sender is None:
            return _error(ERROR_NO_SESSION, 401)
        raw_after = request.args.get("after", "0") or "0"
        if not raw_after.isdigit() or len(raw_after) > 18:
            return _error(ERROR_BAD_REQUEST, 400)
        after = min(int(raw_after), MAX_POLL_ID)
        deadline = time.monotonic() + (self._poll_s if self._poll_s is not None else get_settings().chat_poll_s)
        try:
            outbox = await run_blocking(self._open_outbox)
            if after:
                await run_blocking(outbox.confirm, sender, after)
            while True:
                waiting = await run_blocking(outbox.after, sender, after)
                remaining = deadline - time.monotonic()
                if waiting or remaining <= 0:
                    break
                await self._notifier.wait(sender, min(RECHECK_S, remaining))
        except asyncio.CancelledError:
            raise
        except Exception:  # noqa: BLE001 - the page retries later; the log gets the details
            logger.exception("Web chat: reading the outbox failed")
            return _error(ERROR_UNAVAILABLE, 503)
        messages = [{"id": m.id, "from": m.author, "text": m.text} for m in waiting]
        return response.json({"messages": messages}, headers={"Cache-Control": "no-store"})


def to_page_messages(messages: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """Only what the page renders: text and buttons (title + payload, or title + http(s) url)."""
    shaped: List[Dict[str, Any]] = []
    for message in messages:
        item: Dict[str, Any] = {}
        text = message.get("text")
        if isinstance(text, str) and text.strip():
            item["text"] = text
        elif isinstance(message.get("image"), str):
            item["text"] = message["image"]
        buttons = []
        for button in message.get("buttons") or []:
            if not isinstance(button, dict) or not button.get("title"):
                continue
            entry = {"title": str(button["title"])}
            url = button.get("url")
            if isinstance(url, str) and url.startswith(("https://", "http://")):
                entry["url"] = url
            else:
                entry["payload"] = str(button.get("payload") or button["title"])
            buttons.append(entry)
        if buttons:
            item["buttons"] = buttons
        if item:
            shaped.append(item)
    return shaped


def _error(message: str, status: int, headers: Optional[Dict[str, str]] = None) -> HTTPResponse:
    return response.json({"error": message}, status=status, headers={"Cache-Control": "no-store", **(headers or {})})
