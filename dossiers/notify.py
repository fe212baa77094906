"""Delivery of "your dossier changed state" messages to subscribed citizens, marked sent only once they are.

A state change from a feed writes one outbox row per subscriber in the same transaction (unique per subscription ×
change, so a retried feed adds none). `Notifier.run_once()` then, for each due row:

1. claims it (`pending → sending`, atomic across processes and replicas; a claim older than `claim_timeout` — its
   notifier died mid-send — goes back to `pending`);
2. hands the message to the channel through `deliver` (injected by the Rasa server, bot/channels/notifications.py):
   - `sent`: Zalo accepted it (HTTP 200 with `error: 0`) → `sent`;
   - `waiting`: it is in the web chat outbox → `waiting` until the page confirms it has shown it, then `sent`
     (checked on every run through `confirmed`);
   - `retry`: Zalo error (token, rate limit, the citizen's 7-day window, …), timeout, outbox down → back to
     `pending` with exponential backoff (`retry_base`, doubling, at most `retry_max`);
3. a row still undelivered `max_age` after the change was recorded is dropped (`expired`) with a masked log line; a
   web chat row expires when the outbox drops its message unfetched (`Outbox.expire`, the same limit), so the page
   can never show a message counted as dropped.

Delivery is at least once: a crash after Zalo accepted a message but before the row was marked, or a lost Zalo
answer (timeout), sends it again; the web chat page drops a message id it already shows.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum
from typing import Awaitable, Callable, Optional

from base.blocking import run_blocking
from base.privacy import mask_receipt_code
from dossiers import messages
from dossiers.models import NOTIFY_WAITING
from dossiers.push import can_push
from dossiers.states import DossierState
from dossiers.store import DossierStore, PendingNotification, utcnow

logger = logging.getLogger(__name__)


class Outcome(str, Enum):
    SENT = "sent"
    WAITING = "waiting"
    RETRY = "retry"


@dataclass(frozen=True)
class Attempt:
    outcome: Outcome
    outbox_id: Optional[int] = None  # WAITING: the web chat outbox row
    error: str = ""  # RETRY: short, no personal data (e.g. "zalo -230", "network: TimeoutError")


# (channel, recipient, text) → what happened. Never raises for a channel error.
Deliver = Callable[[str, str, str], Awaitable[Attempt]]
# outbox ids → those the page has confirmed, and those that no longer exist (expired or purged).
Confirmed = Callable[[list[int]], Awaitable[tuple[set[int], set[int]]]]


@dataclass
class DeliveryReport:
    sent: int = 0
    waiting: int = 0  # put in the web chat outbox this run
    confirmed: int = 0  # web chat rows the page confirmed since the last run
    failed: int = 0  # will be retried
    expired: int = 0
    skipped: int = 0  # claimed by another notifier first


@dataclass(frozen=True)
class RetryPolicy:
    base: timedelta = timedelta(seconds=30)
    maximum: timedelta = timedelta(hours=1)
    max_age: timedelta = timedelta(days=14)
    claim_timeout: timedelta = timedelta(minutes=5)

    def next_attempt(self, attempts: int, now: datetime) -> datetime:
        """After the n-th failed attempt: base · 2^(n-1), at most `maximum`."""
        delay = self.base * (2 ** max(0, min(attempts - 1, 20)))
        return now + min(delay, self.maximum)


class Notifier:
    def __init__(self, store: DossierStore, deliver: Deliver, confirmed: Confirmed,
                 policy: RetryPolicy = RetryPolicy(), clock: Callable[[], datetime] = utcnow) -> None:
        self.store, self.deliver, self.confirmed, self.policy, self.clock = store, deliver, confirmed, policy, clock

    async def run_once(self, limit: int = 200) -> DeliveryReport:
        report = DeliveryReport()
        now = self.clock()
        released = await run_blocking(self.store.release_stale_claims, now - self.policy.claim_timeout)
        if released:
            logger.warning("dossier notifications: %d stale claims released (a notifier stopped mid-send)", released)
        await self._reconcile_waiting(report, now)
        for item in await run_blocking(self.store.pending_notifications, now, limit):
            if self._too_old(item, now):
                if await run_blocking(self.store.mark_expired, item.id, "pending", "expired undelivered"):
                    report.expired += 1
                    self._log_expired(item)
                continue
            if not await run_blocking(self.store.claim_notification, item.id, now):
                report.skipped += 1
                continue
            await self._deliver_one(item, report)
        return report

    async def _deliver_one(self, item: PendingNotification, report: DeliveryReport) -> None:
        if not can_push(item.channel):  # subscribed before such channels were refused: nothing can reach it
            await run_blocking(self.store.mark_expired, item.id, "sending", f"channel {item.channel} cannot push")
            report.expired += 1
            self._log_expired(item)
            return
        text = messages.state_changed(item.receipt_code, DossierState(item.state))
        try:
            attempt = await self.deliver(item.channel, item.sender_id, text)
        except Exception as error:  # noqa: BLE001 - a bug in a channel must not lose the row
            logger.exception("dossier notification %s: delivery raised", item.id)
            attempt = Attempt(Outcome.RETRY, error=type(error).__name__)
        now = self.clock()
        if attempt.outcome is Outcome.SENT:
            await run_blocking(self.store.mark_sent, item.id, now)
            report.sent += 1
        elif attempt.outcome is Outcome.WAITING and attempt.outbox_id is not None:
            await run_blocking(self.store.mark_waiting, item.id, attempt.outbox_id)
            report.waiting += 1
        else:
            retry_at = self.policy.next_attempt(item.attempts + 1, now)
            await run_blocking(self.store.mark_failed, item.id, attempt.error or "not delivered", retry_at)
            report.failed += 1
            logger.warning("dossier notification %s for %s (%s) not delivered: %s; next try in %d s", item.id,
                           mask_receipt_code(item.receipt_code), item.channel, attempt.error,
                           (retry_at - now).total_seconds())

    async def _reconcile_waiting(self, report: DeliveryReport, now: datetime) -> None:
        waiting = await run_blocking(self.store.waiting_notifications)
        if not waiting:
            return
        confirmed, gone = await self.confirmed([item.outbox_id for item in waiting if item.outbox_id is not None])
        for item in waiting:
            if item.outbox_id in confirmed:
                if await run_blocking(self.store.mark_sent, item.id, now, NOTIFY_WAITING):
                    report.confirmed += 1
            elif item.outbox_id in gone:  # the outbox dropped it unfetched (its own expiry, same limit)
                if await run_blocking(self.store.mark_expired, item.id, NOTIFY_WAITING, "page never fetched it"):
                    report.expired += 1
                    self._log_expired(item)

    def _too_old(self, item: PendingNotification, now: datetime) -> bool:
        return item.created_at < now - self.policy.max_age

    def _log_expired(self, item: PendingNotification) -> None:
        logger.warning("dossier notification %s for %s (%s) dropped undelivered after %d attempts (older than %s "
                       "or unreachable)", item.id, mask_receipt_code(item.receipt_code), item.channel, item.attempts,
                       self.policy.max_age)


def retry_policy(settings=None) -> RetryPolicy:
    from base.retention import pending_message_max_age

    if settings is None:
        from base.settings import get_settings

        settings = get_settings()
    return RetryPolicy(base=timedelta(seconds=settings.dossier_notify_retry_base_s),
                       maximum=timedelta(seconds=settings.dossier_notify_retry_max_s),
                       max_age=pending_message_max_age(settings))
