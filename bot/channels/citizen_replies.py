"""A clerk's reply, delivered on the citizen's own channel.

- Zalo: the OA message API through the connector's own output (`ZaloOutput`, `ZaloClient`): the same splitting,
  token refresh on -216/-220, the -32 retry, and the bot's sent-message marks, so Zalo's echo of the reply is
  not mistaken for someone typing in the OA inbox. "Sent" only when Zalo accepted every part.
- Web chat: the page cannot be called, so the reply waits in the outbox (base/outbox.py) and the page's long poll
  (`GET /chat/updates`) is woken at once; "waiting" until the page confirms it (then it counts as delivered).
- Any other channel (the loopback REST channel for scripts): refused, nothing is stored.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Callable, Optional

from base.blocking import run_blocking
from bot.channels.webchat_push import NOTIFIER, PushNotifier

logger = logging.getLogger(__name__)

DELIVERY_SENT = "sent"
DELIVERY_WAITING = "waiting"
DELIVERY_FAILED = "failed"

MSG_SENT_ZALO = "Đã gửi qua Zalo."
MSG_WAITING_WEB = "Đã gửi tới trang chat; người dân thấy ngay khi trang đang mở, hoặc khi quay lại."
MSG_ZALO_INACTIVE = "Zalo không cho gửi: người dân chưa nhắn cho OA trong 7 ngày qua. Vui lòng gọi điện cho người dân."
MSG_ZALO_FAILED = "Chưa gửi được qua Zalo. Vui lòng thử lại sau ít phút."
MSG_NO_CHANNEL = "Kênh này không nhận được tin nhắn của cán bộ."
MSG_OUTBOX_FAILED = "Chưa gửi được tới trang chat. Vui lòng thử lại sau ít phút."


@dataclass(frozen=True)
class Delivery:
    status: str  # sent | waiting | failed
    message: str  # for the clerk, Vietnamese
    outbox_id: Optional[int] = None  # web chat: the outbox row the page will fetch and confirm
    error: str = ""  # failed: a short reason for logs and retries (Zalo's error code, network error), no personal data


class CitizenReplies:
    def __init__(self, outbox: Callable[[], Any], zalo_output: Callable[[], Any],
                 notifier: PushNotifier = NOTIFIER) -> None:
        self._outbox_factory = outbox
        self._zalo_factory = zalo_output
        self._outbox: Optional[Any] = None
        self._zalo: Optional[Any] = None
        self._notifier = notifier

    @classmethod
    def from_settings(cls) -> "CitizenReplies":
        from base.keystore import key_store_from_settings
        from base.outbox import Outbox
        from base.settings import get_settings
        from bot.channels.zalo import ZaloOutput, zalo_client_from_settings

        def zalo_output() -> Any:
            settings = get_settings()
            return ZaloOutput(zalo_client_from_settings(settings), key_store_from_settings(settings))

        return cls(Outbox.from_settings, zalo_output)

    async def close(self) -> None:
        """Close the Zalo client's HTTP session (server shutdown)."""
        if self._zalo is not None:
            await self._zalo.close()

    async def deliver(self, channel: str, recipient: str, text: str, author: str = "clerk") -> Delivery:
        """`author` is how the web chat shows it: "clerk" (a clerk's reply) or "bot" (a notification)."""
        if channel == "zalo":
            return await self._to_zalo(recipient, text)
        if channel == "webchat":
            return await self._to_web_chat(recipient, text, author)
        return Delivery(DELIVERY_FAILED, MSG_NO_CHANNEL, error=f"channel {channel} cannot push")

    async def _to_zalo(self, recipient: str, text: str) -> Delivery:
        from bot.channels.zalo_client import ERROR_USER_INACTIVE

        if self._zalo is None:
            self._zalo = self._zalo_factory()
        result = await self._zalo.send_text_checked(recipient, text)
        if result.ok:
            return Delivery(DELIVERY_SENT, MSG_SENT_ZALO)
        error = f"zalo {result.error}" if result.error is not None else (result.description or "zalo: no answer")
        if result.error == ERROR_USER_INACTIVE:
            return Delivery(DELIVERY_FAILED, MSG_ZALO_INACTIVE, error=error)
        return Delivery(DELIVERY_FAILED, MSG_ZALO_FAILED, error=error)

    async def _to_web_chat(self, recipient: str, text: str, author: str) -> Delivery:
        try:
            if self._outbox is None:
                self._outbox = await run_blocking(self._outbox_factory)
            message = await run_blocking(self._outbox.put, recipient, text, author)
        except Exception as error:  # noqa: BLE001
            logger.exception("Web chat message: writing the outbox failed")
            return Delivery(DELIVERY_FAILED, MSG_OUTBOX_FAILED, error=f"outbox: {type(error).__name__}")
        self._notifier.notify(recipient)
        return Delivery(DELIVERY_WAITING, MSG_WAITING_WEB, outbox_id=message.id)

    async def confirmed(self, outbox_ids: list[int]) -> tuple[set[int], set[int]]:
        """Of these web chat outbox rows: those the page confirmed, those no longer kept."""
        if self._outbox is None:
            self._outbox = await run_blocking(self._outbox_factory)
        return await run_blocking(self._outbox.confirmed, outbox_ids)

    async def expire_web_chat(self, max_age: Any) -> int:
        if self._outbox is None:
            self._outbox = await run_blocking(self._outbox_factory)
        return await run_blocking(self._outbox.expire, max_age)
