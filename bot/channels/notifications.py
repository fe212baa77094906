"""Dossier notifications, delivered by the Rasa server on the citizen's own channel (dossiers/notify.py decides
what is due and what counts as sent; this module only connects it to the channels).

- Zalo: the OA message API through the same `CitizenReplies` a clerk's reply uses (splitting, token refresh,
  sent-message marks); sent when Zalo answered `error: 0`, else retried with backoff.
- Web chat: the outbox the page's long poll reads (base/outbox.py), shown as the assistant's message; sent only once
  the page has confirmed it.

`NotificationLoop` runs in every Rasa server process (replicas included: claims are atomic): every
`DOSSIER_NOTIFY_INTERVAL` seconds, at once when a sync queued notifications (`wake()`), and when a Zalo citizen
whose notification Zalo refused writes again (bot/channels/citizen_back.py: the retry is due now, not at its backoff
time). It also drops web chat messages nobody fetched within the pending-message limit.
"""
from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from typing import Any, Optional

from base.blocking import run_blocking
from bot.channels.citizen_back import CITIZEN_BACK, CitizenBack
from bot.channels.citizen_replies import DELIVERY_SENT, DELIVERY_WAITING, CitizenReplies
from dossiers.notify import Attempt, DeliveryReport, Notifier, Outcome, RetryPolicy

logger = logging.getLogger(__name__)


def channel_delivery(replies: CitizenReplies):
    async def deliver(channel: str, recipient: str, text: str) -> Attempt:
        delivery = await replies.deliver(channel, recipient, text, author="bot")
        if delivery.status == DELIVERY_SENT:
            return Attempt(Outcome.SENT)
        if delivery.status == DELIVERY_WAITING:
            return Attempt(Outcome.WAITING, outbox_id=delivery.outbox_id)
        return Attempt(Outcome.RETRY, error=delivery.error or delivery.status)

    return deliver


def make_notifier(store: Any, replies: CitizenReplies, policy: RetryPolicy) -> Notifier:
    return Notifier(store, channel_delivery(replies), replies.confirmed, policy)


class NotificationLoop:
    def __init__(self, notifier: Notifier, replies: CitizenReplies, interval_s: float, max_age: timedelta,
                 citizen_back: CitizenBack = CITIZEN_BACK) -> None:
        self.notifier, self.replies, self.interval_s, self.max_age = notifier, replies, interval_s, max_age
        self._citizen_back = citizen_back
        self._wake = asyncio.Event()
        self._task: Optional[asyncio.Task] = None
        self._stopping = False
        self.runs = 0

    @classmethod
    def from_settings(cls, store: Any, settings: Any) -> "NotificationLoop":
        from dossiers.notify import retry_policy

        policy = retry_policy(settings)
        replies = CitizenReplies.from_settings()
        return cls(make_notifier(store, replies, policy), replies, settings.dossier_notify_interval_s,
                   policy.max_age)

    def start(self) -> None:
        if self._task is None:
            self._stopping = False
            self._task = asyncio.get_running_loop().create_task(self._run())
            self._citizen_back.listen(self.citizen_is_back)

    async def citizen_is_back(self, sender_id: str) -> None:
        """The citizen wrote (Zalo's window is open again): their pending notifications are due now."""
        if await run_blocking(self.notifier.store.retry_now, sender_id):
            self.wake()

    def wake(self) -> None:
        self._wake.set()

    async def stop(self) -> None:
        self._citizen_back.forget(self.citizen_is_back)
        self._stopping = True
        self._wake.set()
        if self._task is not None:
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        await self.replies.close()

    async def run_once(self) -> DeliveryReport:
        await self.replies.expire_web_chat(self.max_age)  # first: a dropped web chat message expires its row now
        report = await self.notifier.run_once()
        self.runs += 1
        if report.sent or report.waiting or report.confirmed or report.failed or report.expired:
            logger.info("dossier notifications: %d sent, %d waiting for the web chat page, %d confirmed by it, "
                        "%d to retry, %d dropped", report.sent, report.waiting, report.confirmed, report.failed,
                        report.expired)
        return report

    async def _run(self) -> None:
        while not self._stopping:
            self._wake.clear()
            try:
                await self.run_once()
            except asyncio.CancelledError:
                raise
            except Exception as error:  # noqa: BLE001 - the database may be down: try again next round
                logger.error("dossier notifications: run failed: %s", type(error).__name__)
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=self.interval_s)
            except asyncio.TimeoutError:
                pass
