"""Answer each Zalo delivery once, and never lose one to a replica that dies.

Zalo redelivers an event when it gets no HTTP 200 within 2 seconds, possibly to another replica, so "seen" lives in
the shared key store (base/keystore.py). A plain "seen" mark is not enough with several replicas: a replica that
marks a delivery and dies before answering it would make every retry look like a duplicate, and one that dies after
its 200 but before the answer leaves nothing for Zalo to retry. So a delivery is *claimed* by the accepting process
(`pending:<process>`), kept with its event under `zalo:inflight:<id>` until handled, then marked `done`. Every
process refreshes a heartbeat (`zalo:replica:<process>`); a retry of a delivery whose owner is silent, or the
periodic sweep of any other replica, takes the claim over (compare-and-set: one taker) and handles the event.
Before answering a taken-over message the channel checks that the conversation does not already hold it
(bot/channels/zalo.py), so a turn that was answered and stored just before the death is not answered again.
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any, Dict, List, Optional

from base.keystore import KeyStore

DELIVERY_TTL_S = 24 * 3600  # Zalo's last retry comes about 2 hours after the first delivery.
INFLIGHT_TTL_S = 3600  # an event nobody could handle within an hour is dropped (its conversation moved on)
PENDING, DONE = "pending:", "done"


@dataclass(frozen=True)
class Claim:
    delivery_id: str
    event: Dict[str, Any]
    taken_over: bool = False  # another process had accepted it and died


class DeliveryLedger:
    """Claims, heartbeats and recovery of Zalo deliveries for one process (`owner`)."""

    def __init__(self, store: KeyStore, owner: str, heartbeat_s: float = 10.0, namespace: str = "zalo:") -> None:
        self._store = store
        self.owner = owner
        self.heartbeat_s = heartbeat_s
        self._deliveries = namespace + "delivery:"
        self._inflight = namespace + "inflight:"
        self._replicas = namespace + "replica:"
        self._last_beat = float("-inf")

    async def beat(self) -> None:
        """Say this process is alive; call more often than every `heartbeat_s` (every third of it)."""
        self._last_beat = time.monotonic()
        await self._store.put(self._replicas + self.owner, "1", max(1, int(round(self.heartbeat_s))))

    async def _beat_if_due(self) -> None:
        if time.monotonic() - self._last_beat > self.heartbeat_s / 3:
            await self.beat()

    async def _alive(self, owner: str) -> bool:
        return owner == self.owner or await self._store.get(self._replicas + owner) is not None

    async def claim(self, delivery_id: str, event: Dict[str, Any]) -> Optional[Claim]:
        """The claim when this process should handle the delivery; None for a duplicate (done, or being handled by
        a live process)."""
        await self._beat_if_due()  # nobody may take a claim over from a process that has not said it lives
        key = self._deliveries + delivery_id
        mine = PENDING + self.owner
        if await self._store.add_if_absent(key, DELIVERY_TTL_S, mine):
            await self._remember(delivery_id, event)
            return Claim(delivery_id, event)
        current = await self._store.get(key)
        if current is None:  # expired between the two calls: treat as new
            if await self._store.add_if_absent(key, DELIVERY_TTL_S, mine):
                await self._remember(delivery_id, event)
                return Claim(delivery_id, event)
            return None
        return await self._take_over(delivery_id, current, event)

    async def _take_over(self, delivery_id: str, current: str, event: Dict[str, Any]) -> Optional[Claim]:
        if not current.startswith(PENDING) or await self._alive(current[len(PENDING):]):
            return None  # done ("1" from older versions too), or its owner is still at it
        if not await self._store.replace_if(self._deliveries + delivery_id, current, PENDING + self.owner,
                                            DELIVERY_TTL_S):
            return None  # another replica took it first
        await self._remember(delivery_id, event)
        return Claim(delivery_id, event, taken_over=True)

    async def _remember(self, delivery_id: str, event: Dict[str, Any]) -> None:
        await self._store.put(self._inflight + delivery_id, json.dumps({"owner": self.owner, "event": event},
                                                                       ensure_ascii=False), INFLIGHT_TTL_S)

    async def done(self, delivery_id: str) -> None:
        await self._store.put(self._deliveries + delivery_id, DONE, DELIVERY_TTL_S)
        await self._store.delete(self._inflight + delivery_id)

    async def orphans(self) -> List[Claim]:
        """Deliveries accepted by processes that stopped beating, now claimed by this one (at most one taker)."""
        taken: List[Claim] = []
        for key in await self._store.keys(self._inflight):
            raw = await self._store.get(key)
            try:
                record = json.loads(raw) if raw else None
            except ValueError:
                record = None
            if not isinstance(record, dict) or not isinstance(record.get("event"), dict):
                continue
            owner = str(record.get("owner", ""))
            if await self._alive(owner):
                continue
            delivery_id = key[len(self._inflight):]
            current = await self._store.get(self._deliveries + delivery_id)
            if current is None:
                continue
            claim = await self._take_over(delivery_id, current, record["event"])
            if claim is not None:
                taken.append(claim)
            elif not current.startswith(PENDING):
                await self._store.delete(key)  # handled after all: forget the record
        return taken


class DeliveryDeduplicator:
    """A bare "seen" mark per id (kept for callers that need no recovery)."""

    def __init__(self, store: KeyStore, namespace: str = "zalo:delivery:", ttl_s: int = DELIVERY_TTL_S) -> None:
        self._store = store
        self._namespace = namespace
        self._ttl_s = ttl_s

    async def first_delivery(self, delivery_id: str) -> bool:
        """True exactly once per id within the TTL."""
        return await self._store.add_if_absent(self._namespace + delivery_id, self._ttl_s)
