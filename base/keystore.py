"""The process-wide key store: short-lived shared marks with expiry ("seen this delivery", "sent this message").

Shared between replicas through Redis (`SET NX EX`) when `settings.redis_url` is set, an in-process dictionary with
expiry otherwise (one process, the embedded default).
"""
from __future__ import annotations

import logging
import time
from collections import OrderedDict
from typing import Optional, Protocol

from base.settings import Settings, get_settings

logger = logging.getLogger(__name__)

KEY_PREFIX = "thutuc:"


class KeyStore(Protocol):
    """Small key/value store with expiry, shared between replicas when backed by Redis."""

    async def add_if_absent(self, key: str, ttl_s: int, value: str = "1") -> bool:
        """Store `key` unless it exists; True when this call stored it."""

    async def get(self, key: str) -> Optional[str]:
        """The value stored under `key`, None when absent or expired."""

    async def put(self, key: str, value: str, ttl_s: int) -> None:
        """Store (or overwrite) `key`."""

    async def close(self) -> None:
        """Release connections."""


class InMemoryKeyStore:
    """Process-local store; bounded so a flood of distinct ids cannot exhaust memory."""

    def __init__(self, max_entries: int = 100_000, clock=time.monotonic) -> None:
        self._entries: "OrderedDict[str, tuple[float, str]]" = OrderedDict()
        self._max_entries = max_entries
        self._clock = clock

    def _live(self, key: str) -> Optional[str]:
        entry = self._entries.get(key)
        if entry is None:
            return None
        expires_at, value = entry
        if expires_at <= self._clock():
            del self._entries[key]
            return None
        return value

    def _store(self, key: str, value: str, ttl_s: int) -> None:
        self._entries[key] = (self._clock() + ttl_s, value)
        self._entries.move_to_end(key)
        while len(self._entries) > self._max_entries:
            self._entries.popitem(last=False)

    async def add_if_absent(self, key: str, ttl_s: int, value: str = "1") -> bool:
        if self._live(key) is not None:
            return False
        self._store(key, value, ttl_s)
        return True

    async def get(self, key: str) -> Optional[str]:
        return self._live(key)

    async def put(self, key: str, value: str, ttl_s: int) -> None:
        self._store(key, value, ttl_s)

    async def close(self) -> None:
        self._entries.clear()


class RedisKeyStore:
    """Redis-backed store shared by all replicas; errors are logged and treated as "not seen"."""

    def __init__(self, redis_url: str, prefix: str = KEY_PREFIX) -> None:
        import redis.asyncio as redis_asyncio  # imported here: Redis is optional

        self._redis = redis_asyncio.from_url(redis_url, socket_timeout=2, socket_connect_timeout=2)
        self._prefix = prefix

    async def add_if_absent(self, key: str, ttl_s: int, value: str = "1") -> bool:
        try:
            return bool(await self._redis.set(self._prefix + key, value, nx=True, ex=ttl_s))
        except Exception as error:  # noqa: BLE001 - any Redis failure must not drop the message
            logger.warning("Redis unavailable for dedupe (%s); processing the event anyway", type(error).__name__)
            return True

    async def get(self, key: str) -> Optional[str]:
        try:
            raw = await self._redis.get(self._prefix + key)
        except Exception as error:  # noqa: BLE001
            logger.warning("Redis unavailable (%s); treating key as absent", type(error).__name__)
            return None
        return raw.decode("utf-8") if isinstance(raw, bytes) else raw

    async def put(self, key: str, value: str, ttl_s: int) -> None:
        try:
            await self._redis.set(self._prefix + key, value, ex=ttl_s)
        except Exception as error:  # noqa: BLE001
            logger.warning("Redis unavailable (%s); key not stored", type(error).__name__)

    async def close(self) -> None:
        await self._redis.close()


def key_store_from_settings(settings: Optional[Settings] = None) -> KeyStore:
    """Redis when configured (several replicas), else in-memory (one process)."""
    settings = settings or get_settings()
    if settings.redis_url:
        return RedisKeyStore(settings.redis_url)
    return InMemoryKeyStore()
