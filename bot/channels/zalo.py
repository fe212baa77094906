"""Zalo Official Account channel for Rasa: webhook in (`POST /webhooks/zalo/webhook`), messages out via the OA API.

The webhook must answer within 2 seconds or Zalo redelivers (and eventually disables the webhook), so the handler
only checks the signature, parses, drops duplicate deliveries and answers 200; the event is handled in a background
task. Configured in credentials.yml as `bot.channels.zalo.ZaloInput:`; all secrets come from the environment
(base/settings.py, docs/channels.md).
"""
from __future__ import annotations

import asyncio
import logging
import time
from typing import Any, Awaitable, Callable, Dict, List, Optional, Set, Text

from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage

from bot.channels.citizen_back import CITIZEN_BACK
from bot.channels import texts
from bot.channels.conversation_control import ConversationControl, RasaConversationControl
from base.clients import CLIENT_METADATA_KEY, ClientKeys
from base.keystore import KeyStore, key_store_from_settings
from bot.channels.dedupe import DELIVERY_TTL_S, Claim, DeliveryLedger
from bot.channels.http_body import BadJson, BodyTooLarge, parse_json, read_body_limited
from bot.channels.user_text import bounded_text
from bot.channels.zalo_client import SendResult, ZaloClient, ZaloOAuthClient, masked_user_id
from bot.channels.zalo_format import MAX_BUTTONS, build_button_message, split_text
from bot.channels.zalo_signature import body_timestamp, signature_is_valid
from bot.channels.zalo_state import OfferedOptions, SentMessageRegistry
from bot.channels.zalo_tokens import TokenManager, bootstrap_tokens_from_settings, token_store_from_settings
from bot.replica import process_identity
from bot.tracker_store import TrackerStoreUnavailable
from base.privacy import install_log_masking
from base.settings import Settings, get_settings

logger = logging.getLogger(__name__)

MAX_WEBHOOK_BODY_BYTES = 64 * 1024
NON_TEXT_EVENTS = frozenset(
    {
        "user_send_image",
        "user_send_gif",
        "user_send_sticker",
        "user_send_file",
        "user_send_audio",
        "user_send_video",
        "user_send_location",
        "user_send_business_card",
    }
)

ControlFactory = Callable[[Any], ConversationControl]


class ZaloOutput(OutputChannel):
    """Sends Rasa's responses through the OA API, split and shaped for Zalo."""

    def __init__(self, client: ZaloClient, store: KeyStore) -> None:
        self._client = client
        self._sent = SentMessageRegistry(store)
        self._options = OfferedOptions(store)

    @classmethod
    def name(cls) -> Text:
        return ZaloInput.name()

    async def send_text_message(self, recipient_id: Text, text: Text, **kwargs: Any) -> None:
        for chunk in split_text(text):
            await self._send(recipient_id, {"text": chunk})

    async def send_text_with_buttons(
        self, recipient_id: Text, text: Text, buttons: List[Dict[Text, Any]], **kwargs: Any
    ) -> None:
        shaped = build_button_message(text, buttons)
        chunks = split_text(shaped.text) or ["Mời bạn chọn:"]
        for chunk in chunks[:-1]:
            await self._send(recipient_id, {"text": chunk})
        last: Dict[str, Any] = {"text": chunks[-1]}
        if shaped.zalo_buttons:
            last["attachment"] = {"type": "template", "payload": {"buttons": shaped.zalo_buttons}}
        await self._send(recipient_id, last)
        if len(shaped.numbered_payloads) > MAX_BUTTONS:  # a numbered list was shown: "6" must mean option 6
            await self._options.remember(recipient_id, shaped.numbered_payloads)

    async def send_image_url(self, recipient_id: Text, image: Text, **kwargs: Any) -> None:
        await self.send_text_message(recipient_id, image)

    async def send_attachment(self, recipient_id: Text, attachment: Any, **kwargs: Any) -> None:
        logger.debug("Zalo channel ignores attachments from responses")

    async def send_custom_json(self, recipient_id: Text, json_message: Dict[Text, Any], **kwargs: Any) -> None:
        text = json_message.get("text") if isinstance(json_message, dict) else None
        if isinstance(text, str) and text.strip():
            await self.send_text_message(recipient_id, text)
        else:
            logger.debug("Zalo channel ignores custom payloads without text")

    async def close(self) -> None:
        await self._client.close()

    async def send_text_checked(self, recipient_id: Text, text: Text) -> SendResult:
        """Send a text (split like any reply) and say whether Zalo took every part: the first failure, else ok."""
        result = SendResult(ok=False, description="empty text")
        for chunk in split_text(text):
            result = await self._send(recipient_id, {"text": chunk})
            if not result.ok:
                return result
        return result

    async def _send(self, recipient_id: str, message: Dict[str, Any]) -> SendResult:
        await self._sent.before_send(recipient_id, message.get("text", ""))
        result = await self._client.send_message(recipient_id, message)
        if result.ok:
            await self._sent.after_send(result.message_id)
        return result


class ZaloInput(InputChannel):
    """Receives Zalo OA webhook events."""

    def __init__(
        self,
        app_id: Optional[str],
        oa_secret_key: Optional[str],
        client: ZaloClient,
        store: KeyStore,
        control_factory: ControlFactory = RasaConversationControl,
        max_body_bytes: int = MAX_WEBHOOK_BODY_BYTES,
        client_keys: Optional[ClientKeys] = None,
        heartbeat_s: Optional[float] = None,
    ) -> None:
        self.app_id = app_id
        self.oa_secret_key = oa_secret_key
        self.client = client
        self.store = store
        self._control_factory = control_factory
        self._max_body_bytes = max_body_bytes
        # The user id is signed by Zalo (not client-chosen): its keyed hash is the client key of the per-client limits.
        self.client_keys = client_keys or ClientKeys.from_settings()
        self._ledger = DeliveryLedger(store, process_identity(),
                                      heartbeat_s if heartbeat_s is not None else get_settings().replica_heartbeat_s)
        self._watch: Optional[asyncio.Task] = None
        self._options = OfferedOptions(store)
        self._sent = SentMessageRegistry(store)
        self._tasks: Set[asyncio.Task] = set()

    @classmethod
    def name(cls) -> Text:
        return "zalo"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> "ZaloInput":
        """credentials.yml holds no secrets for this channel; everything comes from base/settings.py."""
        install_log_masking()  # user ids, phone numbers in texts and tracebacks are masked in this process's logs
        return cls.from_settings(get_settings())

    @classmethod
    def from_settings(cls, settings: Settings, **kwargs: Any) -> "ZaloInput":
        if not settings.zalo_oa_secret_key or not settings.zalo_app_id:
            logger.info("Zalo channel inactive: ZALO_APP_ID/ZALO_OA_SECRET_KEY not set, the webhook refuses every event")
        client = zalo_client_from_settings(settings)
        kwargs.setdefault("client_keys", ClientKeys.from_settings(settings))
        kwargs.setdefault("max_body_bytes", settings.request_max_bytes)
        kwargs.setdefault("heartbeat_s", settings.replica_heartbeat_s)
        return cls(settings.zalo_app_id, settings.zalo_oa_secret_key, client, key_store_from_settings(settings), **kwargs)

    def get_output_channel(self) -> OutputChannel:
        """Lets Rasa (reminders, external events) and the handoff code message a Zalo user proactively."""
        return ZaloOutput(self.client, self.store)

    async def wait_for_background_tasks(self) -> None:
        """Test and shutdown helper: wait until every accepted event has been handled."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint("zalo_webhook", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"], stream=True)
        async def receive(request: Request) -> HTTPResponse:
            return await self._receive(request, on_new_message)

        @webhook.listener("after_server_start")
        async def watch_other_replicas(app: Any, loop: Any) -> None:
            self._watch = asyncio.create_task(self._heartbeat_and_recover(app, on_new_message))

        @webhook.listener("before_server_stop")
        async def close_client(app: Any, loop: Any) -> None:
            if self._watch is not None:
                self._watch.cancel()
                await asyncio.gather(self._watch, return_exceptions=True)
            await self.wait_for_background_tasks()
            await self.client.close()

        return webhook

    async def _receive(self, request: Request, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> HTTPResponse:
        try:
            raw = await read_body_limited(request, self._max_body_bytes)
        except BodyTooLarge:
            return response.json({"error": "payload too large"}, status=413)

        timestamps = (request.headers.get("x-zevent-timestamp"), body_timestamp(raw))
        if not signature_is_valid(raw, request.headers.get("x-zevent-signature"), self.app_id, self.oa_secret_key, timestamps):
            logger.warning("Zalo webhook: invalid or missing signature; event refused")
            return response.json({"error": "invalid signature"}, status=401)

        try:
            event = parse_json(raw)
        except BadJson:
            return response.json({"error": "malformed JSON"}, status=400)
        if not isinstance(event, dict) or not isinstance(event.get("event_name"), str):
            return response.json({"error": "not a Zalo event"}, status=400)

        if _too_old(event):
            # A genuine but old event can only be a replay: the dedupe memory (24 h) has forgotten it by now.
            logger.warning("Zalo webhook: event older than the dedupe window ignored")
            return response.json({"status": "stale"})
        claim = await self._ledger.claim(_delivery_id(event), event)
        if claim is None:
            logger.info("Zalo webhook: duplicate delivery of %s ignored", event["event_name"])
            return response.json({"status": "duplicate"})
        if claim.taken_over:
            logger.info("Zalo webhook: retry of a %s accepted by a replica that stopped; handled here",
                        event["event_name"])
        self._start(claim, on_new_message, self._control_factory(request.app))
        return response.json({"status": "accepted"})

    def _start(self, claim: Claim, on_new_message: Callable[[UserMessage], Awaitable[Any]],
               control: ConversationControl) -> None:
        task = asyncio.create_task(self._handle_claim(claim, on_new_message, control))
        self._tasks.add(task)
        task.add_done_callback(self._task_finished)

    async def _handle_claim(self, claim: Claim, on_new_message: Callable[[UserMessage], Awaitable[Any]],
                            control: ConversationControl) -> None:
        """Handle the event, then mark the delivery done (a cancelled task leaves it to another replica)."""
        try:
            if not (claim.taken_over and await _already_answered(claim.event, control)):
                await self._handle_event(claim.event, on_new_message, control)
        except Exception:
            await self._ledger.done(claim.delivery_id)
            raise
        await self._ledger.done(claim.delivery_id)

    async def _heartbeat_and_recover(self, app: Any, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> None:
        """Beat every third of the heartbeat; take over deliveries accepted by replicas that went silent."""
        interval = max(0.2, self._ledger.heartbeat_s / 3)
        while True:
            try:
                await self._ledger.beat()
                for claim in await self._ledger.orphans():
                    logger.warning("Zalo: a %s accepted by a replica that stopped is handled here",
                                   claim.event.get("event_name"))
                    self._start(claim, on_new_message, self._control_factory(app))
            except asyncio.CancelledError:
                raise
            except Exception as error:  # noqa: BLE001 - the next round tries again
                logger.warning("Zalo: replica heartbeat or recovery failed: %s", type(error).__name__)
            await asyncio.sleep(interval)

    def _task_finished(self, task: "asyncio.Task[None]") -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            error = task.exception()
            logger.error("Zalo event handling failed: %s", type(error).__name__, exc_info=error)

    async def _handle_event(
        self, event: Dict[str, Any], on_new_message: Callable[[UserMessage], Awaitable[Any]], control: ConversationControl
    ) -> None:
        try:
            await self._dispatch_event(event, on_new_message, control)
        except TrackerStoreUnavailable:
            # A follow, a sticker or an echo needs the conversation (paused or not); text messages are answered by
            # bot/outage_replies.py. The citizen is told; a clerk's inbox reply cannot pause the bot until it is back.
            if event["event_name"].startswith("oa_send_"):
                logger.warning("Zalo: could not pause a conversation a clerk replied to: tracker database down")
                return
            user_id = _nested_id(event, "follower") or _nested_id(event, "sender")
            if user_id:
                await ZaloOutput(self.client, self.store).send_text_message(user_id, texts.SERVICE_INTERRUPTED)

    async def _dispatch_event(
        self, event: Dict[str, Any], on_new_message: Callable[[UserMessage], Awaitable[Any]], control: ConversationControl
    ) -> None:
        name = event["event_name"]
        if name.startswith("user_") or name == "follow":  # the citizen interacted: Zalo's window is open again
            back = _nested_id(event, "sender") or _nested_id(event, "follower")
            if back:
                CITIZEN_BACK.announce(back)
        if name == "user_send_text" or (name == "user_send_link" and _message_text(event)):
            await self._handle_text(event, on_new_message)
        elif name == "user_send_link":
            await self._handle_non_text(event, control)
        elif name == "follow":
            await self._handle_follow(event, control)
        elif name in NON_TEXT_EVENTS:
            await self._handle_non_text(event, control)
        elif name.startswith("oa_send_"):
            await self._handle_oa_echo(event, control)
        else:
            logger.debug("Zalo event %s ignored", name)

    async def _handle_text(self, event: Dict[str, Any], on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> None:
        sender_id = _nested_id(event, "sender")
        message = event.get("message") if isinstance(event.get("message"), dict) else {}
        text = bounded_text(message["text"]) if isinstance(message.get("text"), str) else ""  # first of all
        if not sender_id or not text:
            logger.info("Zalo user_send_text without sender or text ignored")
            return
        text = await self._options.resolve(sender_id, text)
        msg_id = message.get("msg_id")
        output = ZaloOutput(self.client, self.store)
        try:
            await on_new_message(
                UserMessage(
                    text,
                    output,
                    sender_id,
                    input_channel=self.name(),
                    message_id=str(msg_id) if msg_id else None,
                    metadata={"channel": self.name(), CLIENT_METADATA_KEY: self.client_keys.for_zalo_user(sender_id)},
                )
            )
        except Exception:  # noqa: BLE001 - the citizen gets a polite line, the log gets the details
            logger.exception("Zalo: the bot failed on a message from %s", masked_user_id(sender_id))
            await output.send_text_message(sender_id, texts.BOT_FAILED)

    async def _handle_follow(self, event: Dict[str, Any], control: ConversationControl) -> None:
        user_id = _nested_id(event, "follower") or _nested_id(event, "sender")
        if not user_id or await control.is_paused(user_id):
            return
        await ZaloOutput(self.client, self.store).send_text_with_buttons(
            user_id, texts.ZALO_FOLLOW_GREETING, [dict(button) for button in texts.ZALO_FOLLOW_MENU]
        )

    async def _handle_non_text(self, event: Dict[str, Any], control: ConversationControl) -> None:
        user_id = _nested_id(event, "sender")
        if not user_id or await control.is_paused(user_id):
            return
        await ZaloOutput(self.client, self.store).send_text_message(user_id, texts.ZALO_TEXT_ONLY)

    async def _handle_oa_echo(self, event: Dict[str, Any], control: ConversationControl) -> None:
        user_id = _nested_id(event, "recipient")
        if not user_id:
            return
        message = event.get("message") if isinstance(event.get("message"), dict) else {}
        text = message.get("text") if isinstance(message.get("text"), str) else None
        if await self._sent.sent_by_bot(user_id, message.get("msg_id"), text):
            return
        logger.info("Zalo: a person replied from the OA inbox to %s; bot paused", masked_user_id(user_id))
        await control.pause(user_id)


def zalo_client_from_settings(settings: Settings) -> ZaloClient:
    """The OA API client with the shared token store (file lock or Redis lock: one refresh at a time process-wide)."""
    oauth = ZaloOAuthClient(settings.zalo_oauth_base, settings.zalo_app_id or "", settings.zalo_app_secret or "")
    tokens = TokenManager(token_store_from_settings(settings), oauth.refresh, bootstrap_tokens_from_settings(settings))
    return ZaloClient(settings.zalo_api_base, tokens)


async def _already_answered(event: Dict[str, Any], control: ConversationControl) -> bool:
    """True when the conversation already holds this message (handled and stored just before its replica died)."""
    message = event.get("message") if isinstance(event.get("message"), dict) else {}
    msg_id, sender_id = message.get("msg_id"), _nested_id(event, "sender")
    has_message = getattr(control, "has_message", None)
    if not msg_id or not sender_id or has_message is None:
        return False
    return bool(await has_message(sender_id, str(msg_id)))


def _too_old(event: Dict[str, Any], now: Optional[float] = None) -> bool:
    """True when the event's own timestamp (epoch ms, as Zalo sends it) is older than the dedupe window."""
    try:
        stamp = float(event.get("timestamp"))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False
    seconds = stamp / 1000 if stamp > 1e11 else stamp
    return (now if now is not None else time.time()) - seconds > DELIVERY_TTL_S


def _message_text(event: Dict[str, Any]) -> Optional[str]:
    message = event.get("message")
    text = message.get("text") if isinstance(message, dict) else None
    return text if isinstance(text, str) and text.strip() else None


def _nested_id(event: Dict[str, Any], field: str) -> Optional[str]:
    """Zalo user ids are digit strings; nothing else can be one, so a Zalo conversation id never equals a web chat
    (`web-…`) or REST (`rest-…`) one."""
    value = event.get(field)
    raw = value.get("id") if isinstance(value, dict) else None
    if isinstance(raw, (str, int)) and not isinstance(raw, bool):
        text = str(raw).strip()
        if 0 < len(text) <= 64 and text.isascii() and text.isdigit():
            return text
    return None


def _delivery_id(event: Dict[str, Any]) -> str:
    message = event.get("message") if isinstance(event.get("message"), dict) else {}
    msg_id = message.get("msg_id")
    if isinstance(msg_id, (str, int)) and str(msg_id):
        return "msg:" + str(msg_id)[:128]
    who = _nested_id(event, "follower") or _nested_id(event, "sender") or ""
    return f"{event.get('event_name')}:{who}:{str(event.get('timestamp'))[:32]}"
