"""The process-wide key store: short-lived shared marks with expiry ("seen this delivery", "sent this message").

Shared between replicas through Redis (`SET NX EX`) when `settings.redis_url` is set, an in-process dictionary with
expiry otherwise (one process, the embedded default). With Redis configured, the store falls back to the in-process
dictionary while Redis is unreachable and goes back to Redis when it answers again (`ResilientKeyStore`), logging one
warning per outage (base/outage.py).
"""
from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from typing import Optional, Protocol

from base.outage import OutageLog
from base.settings import Settings, get_settings

KEY_PREFIX = "thutuc:"


class KeyStore(Protocol):
    """Small key/value store with expiry, shared between replicas when backed by Redis."""

    async def add_if_absent(self, key: str, ttl_s: int, value: str = "1") -> bool:
        """Store `key` unless it exists; True when this call stored it."""

    async def get(self, key: str) -> Optional[str]:
        """The value stored under `key`, None when absent or expired."""

    async def put(self, key: str, value: str, ttl_s: int) -> None:
        """Store (or overwrite) `key`."""

    async def replace_if(self, key: str, expected: str, value: str, ttl_s: int) -> bool:
        """Overwrite `key` with `value` only while it still holds `expected`; True when this call replaced it."""

    async def delete(self, key: str) -> None:
        """Remove `key` (no error when absent)."""

    async def keys(self, prefix: str) -> list[str]:
        """Live keys starting with `prefix` (for small namespaces only: Redis scans for them)."""

    async def close(self) -> None:
        """Release connections."""

    def may_have_missed_writes(self) -> bool:
        """True when a key written by another process may be missing here (the shared backend was unreachable)."""


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

    async def replace_if(self, key: str, expected: str, value: str, ttl_s: int) -> bool:
        if self._live(key) != expected:
            return False
        self._store(key, value, ttl_s)
        return True

    async def delete(self, key: str) -> None:
        self.discard(key)

    async def keys(self, prefix: str) -> list[str]:
        return [key for key in list(self._entries) if key.startswith(prefix) and self._live(key) is not None]

    async def close(self) -> None:
        self._entries.clear()

    def discard(self, key: str) -> None:
        self._entries.pop(key, None)

    def may_have_missed_writes(self) -> bool:
        return False  # one process: everything written is here


class RedisKeyStore:
    """Redis-backed store shared by all replicas; raises on any Redis failure (`ResilientKeyStore` handles them)."""

    def __init__(self, redis_url: str, prefix: str = KEY_PREFIX) -> None:
        import redis.asyncio as redis_asyncio  # imported here: Redis is optional

        self._redis = redis_asyncio.from_url(redis_url, socket_timeout=2, socket_connect_timeout=2)
        self._prefix = prefix

    async def add_if_absent(self, key: str, ttl_s: int, value: str = "1") -> bool:
        return bool(await self._redis.set(self._prefix + key, value, nx=True, ex=ttl_s))

    async def get(self, key: str) -> Optional[str]:
        raw = await self._redis.get(self._prefix + key)
        return raw.decode("utf-8") if isinstance(raw, bytes) else raw

    async def put(self, key: str, value: str, ttl_s: int) -> None:
        await self._redis.set(self._prefix + key, value, ex=ttl_s)

    # Compare-and-set in one step on the server: two replicas never both replace the same value.
    _REPLACE_IF = (
        "if redis.call('GET', KEYS[1]) == ARGV[1] then "
        "redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3]) return 1 end return 0"
    )

    async def replace_if(self, key: str, expected: str, value: str, ttl_s: int) -> bool:
        return bool(await self._redis.eval(self._REPLACE_IF, 1, self._prefix + key, expected, value, int(ttl_s)))

    async def delete(self, key: str) -> None:
        await self._redis.delete(self._prefix + key)

    async def keys(self, prefix: str) -> list[str]:
        found = []
        async for raw in self._redis.scan_iter(match=self._prefix + _glob_escape(prefix) + "*", count=500):
            name = raw.decode("utf-8") if isinstance(raw, bytes) else raw
            found.append(name[len(self._prefix):])
        return found

    async def close(self) -> None:
        await self._redis.close()

    def may_have_missed_writes(self) -> bool:
        return False


def _glob_escape(text: str) -> str:
    return "".join("\\" + c if c in "*?[]\\" else c for c in text)


def redis_errors() -> tuple[type[BaseException], ...]:
    """What a Redis call raises when Redis is down, slow or unreachable."""
    from redis.exceptions import RedisError

    return (RedisError, OSError, asyncio.TimeoutError)


_redis_outages: dict[str, OutageLog] = {}


def redis_outage(redis_url: str, retry_after_s: Optional[float] = None) -> OutageLog:
    """The one outage log of a Redis server in this process: the key store, the Zalo token store and the lock store
    share it, so an outage logs one warning and one recovery line, and all of them fall back and return together."""
    from urllib.parse import urlsplit

    parts = urlsplit(redis_url)
    name = f"Redis at {parts.hostname or '127.0.0.1'}:{parts.port or 6379}{parts.path or ''}"  # no password
    outage = _redis_outages.get(name)
    if outage is None:
        retry = retry_after_s if retry_after_s is not None else get_settings().redis_retry_s
        outage = _redis_outages[name] = OutageLog(
            name, "Zalo dedupe, sent-message marks, tokens and conversation locks use this process's memory until it "
                  "answers again", retry_after_s=retry)
    return outage


class ResilientKeyStore:
    """Redis while it answers, this process's memory while it does not; back to Redis as soon as it answers again.

    What was written to memory during an outage stays readable there until it expires (a delivery seen or a message
    sent during the outage is still known afterwards); a successful write to Redis replaces the memory copy.
    """

    def __init__(self, shared: KeyStore, local: Optional[InMemoryKeyStore] = None,
                 outage: Optional[OutageLog] = None, unsure_after_outage_s: float = 60.0) -> None:
        self._shared = shared
        self._local = local or InMemoryKeyStore()
        self._outage = outage or OutageLog("shared key store", "keys are kept in this process's memory meanwhile")
        self._errors = redis_errors()
        self._unsure_after_outage_s = unsure_after_outage_s

    async def add_if_absent(self, key: str, ttl_s: int, value: str = "1") -> bool:
        if await self._local.get(key) is not None:
            return False
        if self._outage.should_try():
            try:
                stored = await self._shared.add_if_absent(key, ttl_s, value)
            except self._errors as error:
                self._outage.failed(error)
            else:
                self._outage.succeeded()
                return stored
        return await self._local.add_if_absent(key, ttl_s, value)

    async def get(self, key: str) -> Optional[str]:
        local = await self._local.get(key)
        if local is not None:
            return local
        if self._outage.should_try():
            try:
                value = await self._shared.get(key)
            except self._errors as error:
                self._outage.failed(error)
            else:
                self._outage.succeeded()
                return value
        return None

    async def put(self, key: str, value: str, ttl_s: int) -> None:
        if self._outage.should_try():
            try:
                await self._shared.put(key, value, ttl_s)
            except self._errors as error:
                self._outage.failed(error)
            else:
                self._outage.succeeded()
                self._local.discard(key)
                return
        await self._local.put(key, value, ttl_s)

    async def replace_if(self, key: str, expected: str, value: str, ttl_s: int) -> bool:
        if await self._local.get(key) is not None:
            return await self._local.replace_if(key, expected, value, ttl_s)
        if self._outage.should_try():
            try:
                replaced = await self._shared.replace_if(key, expected, value, ttl_s)
            except self._errors as error:
                self._outage.failed(error)
            else:
                self._outage.succeeded()
                return replaced
        return False  # unknown here and Redis unreachable: nothing to replace

    async def delete(self, key: str) -> None:
        self._local.discard(key)
        if self._outage.should_try():
            try:
                await self._shared.delete(key)
            except self._errors as error:
                self._outage.failed(error)
            else:
                self._outage.succeeded()

    async def keys(self, prefix: str) -> list[str]:
        found = set(await self._local.keys(prefix))
        if self._outage.should_try():
            try:
                found.update(await self._shared.keys(prefix))
            except self._errors as error:
                self._outage.failed(error)
            else:
                self._outage.succeeded()
        return sorted(found)

    async def close(self) -> None:
        await self._shared.close()

    def may_have_missed_writes(self) -> bool:
        """True while Redis is down and shortly after: a key another replica wrote may be missing here."""
        return self._outage.recently_down(self._unsure_after_outage_s)


def key_store_from_settings(settings: Optional[Settings] = None) -> KeyStore:
    """Redis when configured (several replicas), else in-memory (one process)."""
    settings = settings or get_settings()
    if settings.redis_url:
        return ResilientKeyStore(RedisKeyStore(settings.redis_url), outage=redis_outage(settings.redis_url))
    return InMemoryKeyStore()
