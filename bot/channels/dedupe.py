"""Answer each Zalo delivery once: Zalo redelivers an event when it gets no HTTP 200 within 2 seconds, possibly to
another replica, so "seen" lives in the shared key store (base/keystore.py)."""
from __future__ import annotations

from base.keystore import KeyStore

DELIVERY_TTL_S = 24 * 3600  # Zalo's last retry comes about 2 hours after the first delivery.


class DeliveryDeduplicator:
    """Answers each Zalo `msg_id` once, however many times Zalo delivers it and to whichever replica."""

    def __init__(self, store: KeyStore, namespace: str = "zalo:delivery:", ttl_s: int = DELIVERY_TTL_S) -> None:
        self._store = store
        self._namespace = namespace
        self._ttl_s = ttl_s

    async def first_delivery(self, delivery_id: str) -> bool:
        """True exactly once per id within the TTL."""
        return await self._store.add_if_absent(self._namespace + delivery_id, self._ttl_s)
