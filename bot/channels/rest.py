"""The REST channel (`POST /webhooks/rest/webhook`) for scripts, tests and benchmarks on the server itself.

Replaces Rasa's `rest:` channel, which serves anyone, lets the client pick any conversation id (a Zalo user's
included) and its `input_channel`, and buffers any body Sanic accepts. This one serves only loopback clients that did
not come through a proxy (403 otherwise), prefixes every conversation id with `rest-` so it can never be a web chat
(`web-…`) or Zalo (digits) conversation, caps the text like every channel, and is not mounted at all with
THUTUC_ENV=production unless THUTUC_REST_CHANNEL=on (docs/channels.md). Same request and answer shape as Rasa's
(`{"sender", "message"}` in, a list of bot messages out), without the `stream` option and client metadata: the
message metadata holds only what the server saw (`base.clients`: the per-client key the dossier limits use).
"""
from __future__ import annotations

import logging
from typing import Any, Awaitable, Callable, Dict, Optional, Text

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels import texts
from bot.channels.http_body import BadJson, BodyTooLarge, parse_json, read_body_limited
from bot.channels.user_text import bounded_text
from bot.http_guard import is_local_request
from base.clients import CLIENT_METADATA_KEY, ClientKeys
from base.privacy import install_log_masking
from base.settings import Settings, get_settings

logger = logging.getLogger(__name__)

SENDER_PREFIX = "rest-"
MAX_SENDER_CHARS = 64


class LocalRestInput(RestInput):
    def __init__(self, settings: Optional[Settings] = None, client_keys: Optional[ClientKeys] = None) -> None:
        self.settings = settings or get_settings()
        self.client_keys = client_keys or ClientKeys.from_settings(self.settings)

    @classmethod
    def name(cls) -> Text:
        return "rest"  # keeps Rasa's URL, /webhooks/rest/webhook

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> "LocalRestInput":
        install_log_masking()
        return cls(get_settings())

    def is_enabled(self) -> bool:
        """False: the server leaves this channel out (bot/rasa_server.py)."""
        return self.settings.rest_channel_enabled

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        rest = Blueprint("local_rest", __name__)

        @rest.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            return _refused() if not is_local_request(request) else response.json({"status": "ok"})

        @rest.route("/webhook", methods=["POST"], stream=True)
        async def receive(request: Request) -> HTTPResponse:
            if not is_local_request(request):
                return _refused()
            return await self._receive(request, on_new_message)

        return rest

    async def _receive(self, request: Request, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> HTTPResponse:
        try:
            payload = parse_json(await read_body_limited(request, self.settings.request_max_bytes))
        except BodyTooLarge:
            return response.json({"error": "payload too large"}, status=413)
        except BadJson:
            return response.json({"error": "body must be JSON"}, status=400)
        sender = payload.get("sender") if isinstance(payload, dict) else None
        text = payload.get("message") if isinstance(payload, dict) else None
        if not _valid_sender(sender) or not isinstance(text, str):
            return response.json({"error": "expected {\"sender\": string, \"message\": string}"}, status=400)
        collector = CollectingOutputChannel()
        message = UserMessage(
            bounded_text(text), collector, SENDER_PREFIX + sender, input_channel=self.name(),
            metadata={"channel": self.name(),
                      CLIENT_METADATA_KEY: self.client_keys.for_peer(request.ip, request.headers)},
        )
        try:
            await on_new_message(message)
        except Exception:  # noqa: BLE001 - the client gets a short error; the log gets the details
            logger.exception("REST channel: handling a message failed")
            return response.json({"error": texts.BOT_FAILED}, status=500)
        return response.json(collector.messages)


def _valid_sender(sender: Any) -> bool:
    return isinstance(sender, str) and 0 < len(sender) <= MAX_SENDER_CHARS and sender.isprintable()


def _refused() -> HTTPResponse:
    return response.json({"error": "the REST channel serves local clients only"}, status=403)
