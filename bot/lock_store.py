"""Conversation locks in Redis for several Rasa replicas, in-process while Redis is down.

Rasa's `RedisLockStore` raises on every message once Redis stops (the citizen gets nothing), and it talks to Redis
with a synchronous client on the event loop. This store keeps Rasa's ticket-lock algorithm and key layout
(`thutuc:lock:<conversation>`, a serialised `TicketLock`) with an asynchronous client; when Redis fails it locks in
this process instead (one process cannot answer one conversation twice at once; two replicas could, which is why the
proxy routes a conversation to one replica, docs/operations.md), and it goes back to Redis as soon as Redis answers.
The outage is logged once, shared with the key store (base/keystore.py `redis_outage`).

A replica that dies holding a conversation's lock would block that conversation on every other replica until the
ticket expires (`TICKET_LOCK_LIFETIME`, 60 s). So each ticket records its process (`thutuc:lock:<conversation>:owner:
<ticket>`), and a waiter drops tickets ahead of it whose process no longer beats (`thutuc:zalo:replica:<process>`,
the heartbeat of bot/channels/dedupe.py, refreshed here too when a lock is taken).

Configured by bot/endpoints.py when `REDIS_URL` is set (`lock_store: type: bot.lock_store.ResilientLockStore`); the
URL, with its password, comes from the environment, never from the rendered file.

The wait for a lock is measured (`thutuc_lock_wait_seconds`, base/metrics.py): here for Redis (`store="redis"`), and
in Rasa's own `LockStore._acquire_lock` for the in-process stores — Rasa's `InMemoryLockStore` without REDIS_URL,
and this store's fallback while Redis is down (`store="memory"`, `measure_rasa_lock_wait`).
"""
from __future__ import annotations

import asyncio
import json
import time
from contextlib import asynccontextmanager
from typing import AsyncGenerator, Awaitable, Callable, Optional, Text

from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, InMemoryLockStore, LockError, LockStore
from rasa.utils.endpoints import EndpointConfig

from base.keystore import redis_errors, redis_outage
from base.metrics import LOCK_WAIT_SECONDS
from base.outage import OutageLog
from base.settings import get_settings
from bot.replica import process_identity

KEY_PREFIX = "thutuc"
KEY_GRACE_S = 60  # lock keys expire this long after their last ticket could have, should a process die holding one

Release = Callable[[], Awaitable[None]]


class ResilientLockStore(LockStore):
    def __init__(self, endpoint_config: Optional[EndpointConfig] = None, redis_url: Optional[str] = None,
                 outage: Optional[OutageLog] = None) -> None:
        import redis.asyncio as redis_asyncio

        url = redis_url or get_settings().redis_url
        if not url:
            raise ValueError("ResilientLockStore needs REDIS_URL")
        prefix = str((endpoint_config.kwargs if endpoint_config else {}).get("key_prefix") or KEY_PREFIX)
        self._redis = redis_asyncio.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        self._key_prefix = f"{prefix}:lock:"
        self._heartbeat_prefix = f"{prefix}:zalo:replica:"  # the same keys as bot/channels/dedupe.py
        self._owner = process_identity()
        self._heartbeat_s = get_settings().replica_heartbeat_s
        self._last_beat = float("-inf")
        self._local = InMemoryLockStore()
        self._outage = outage or redis_outage(url)
        self._errors = redis_errors()
        super().__init__()

    # Rasa's synchronous interface is only used through `lock()`, which is replaced below; kept in-process so a
    # stray caller still gets a working lock.
    def get_lock(self, conversation_id: Text) -> Optional[TicketLock]:
        return self._local.get_lock(conversation_id)

    def delete_lock(self, conversation_id: Text) -> None:
        self._local.delete_lock(conversation_id)

    def save_lock(self, lock: TicketLock) -> None:
        self._local.save_lock(lock)

    @asynccontextmanager
    async def lock(self, conversation_id: Text, lock_lifetime: float = LOCK_LIFETIME,
                   wait_time_in_seconds: float = 1) -> AsyncGenerator[TicketLock, None]:
        held, release = await self._acquire(conversation_id, lock_lifetime, wait_time_in_seconds)
        try:
            yield held
        finally:
            await release()

    async def _acquire(self, conversation_id: Text, lifetime: float, wait_s: float) -> tuple[TicketLock, Release]:
        if self._outage.should_try():
            started = time.perf_counter()
            try:
                ticket, held = await self._acquire_in_redis(conversation_id, lifetime, wait_s)
            except self._errors as error:
                self._outage.failed(error)
            else:
                LOCK_WAIT_SECONDS.labels("redis").observe(time.perf_counter() - started)
                self._outage.succeeded()
                return held, lambda: self._release_in_redis(conversation_id, ticket, lifetime)
        return await self._acquire_locally(conversation_id, lifetime, wait_s)

    async def _acquire_locally(self, conversation_id: Text, lifetime: float,
                               wait_s: float) -> tuple[TicketLock, Release]:
        ticket = self._local.issue_ticket(conversation_id, lifetime)
        try:
            held = await self._local._acquire_lock(conversation_id, ticket, wait_s)
        except BaseException:
            self._local.cleanup(conversation_id, ticket)
            raise

        async def release() -> None:
            self._local.cleanup(conversation_id, ticket)

        return held, release

    # ---- Redis, with Rasa's ticket algorithm (rasa.core.lock_store.LockStore) ------------------------------------
    def _key(self, conversation_id: Text) -> str:
        return self._key_prefix + conversation_id

    async def _load(self, conversation_id: Text) -> Optional[TicketLock]:
        raw = await self._redis.get(self._key(conversation_id))
        return TicketLock.from_dict(json.loads(raw)) if raw else None

    async def _store(self, lock: TicketLock, lifetime: float) -> None:
        await self._redis.set(self._key(lock.conversation_id), lock.dumps(), ex=int(lifetime) + KEY_GRACE_S)

    def _owner_key(self, conversation_id: Text, ticket: int) -> str:
        return f"{self._key(conversation_id)}:owner:{ticket}"

    async def _beat_if_due(self) -> None:
        if time.monotonic() - self._last_beat > self._heartbeat_s / 3:
            self._last_beat = time.monotonic()
            await self._redis.set(self._heartbeat_prefix + self._owner, "1",
                                  ex=max(1, int(round(self._heartbeat_s))))

    async def _drop_tickets_of_dead_processes(self, lock: TicketLock, ticket: int, lifetime: float) -> bool:
        """Remove the tickets ahead of ours whose process stopped beating; True when one was removed."""
        ahead = [t.number for t in lock.tickets if t.number < ticket]
        if not ahead:
            return False
        owners = await self._redis.mget([self._owner_key(lock.conversation_id, n) for n in ahead])
        dead = []
        for number, owner in zip(ahead, owners):
            if owner is None:
                continue  # an older version's ticket, or its record expired: wait for the ticket's own expiry
            name = owner.decode("utf-8") if isinstance(owner, bytes) else str(owner)
            if name != self._owner and await self._redis.get(self._heartbeat_prefix + name) is None:
                dead.append(number)
        for number in dead:
            lock.remove_ticket_for(number)
        if dead:
            await self._store(lock, lifetime)
            await self._redis.delete(*[self._owner_key(lock.conversation_id, n) for n in dead])
        return bool(dead)

    async def _acquire_in_redis(self, conversation_id: Text, lifetime: float, wait_s: float) -> tuple[int, TicketLock]:
        await self._beat_if_due()
        lock = await self._load(conversation_id) or TicketLock(conversation_id)
        ticket = lock.issue_ticket(lifetime)
        await self._store(lock, lifetime)
        await self._redis.set(self._owner_key(conversation_id, ticket), self._owner, ex=int(lifetime) + KEY_GRACE_S)
        try:
            while True:
                lock = await self._load(conversation_id)
                if lock is None:  # expired while waiting
                    raise LockError(f"Could not acquire lock for conversation_id '{conversation_id}'.")
                if not lock.is_locked(ticket):
                    return ticket, lock
                if await self._drop_tickets_of_dead_processes(lock, ticket, lifetime):
                    continue
                await asyncio.sleep(wait_s)
                lock = await self._load(conversation_id)
                if lock is not None:
                    lock.remove_expired_tickets()
                    await self._store(lock, lifetime)
        except BaseException:  # LockError, and a cancelled wait too: a forgotten ticket would block everyone after it
            await self._release_in_redis(conversation_id, ticket, lifetime)
            raise

    async def _release_in_redis(self, conversation_id: Text, ticket: int, lifetime: float) -> None:
        """Rasa's `cleanup`: drop our ticket, delete the lock when nobody waits. A Redis failure here only leaves a
        ticket that expires with its lifetime."""
        try:
            await self._redis.delete(self._owner_key(conversation_id, ticket))
            lock = await self._load(conversation_id)
            if lock is not None:
                lock.remove_ticket_for(ticket)
                if lock.is_someone_waiting():
                    await self._store(lock, lifetime)
                    return
            await self._redis.delete(self._key(conversation_id))
        except self._errors as error:
            self._outage.failed(error)
        else:
            self._outage.succeeded()

    async def close(self) -> None:
        await self._redis.close()


_measuring = False


def measure_rasa_lock_wait() -> None:
    """Time Rasa's `LockStore._acquire_lock` (the in-process stores' wait for their turn) as `store="memory"`."""
    global _measuring
    if _measuring:
        return
    original = LockStore._acquire_lock

    async def acquire_lock(self: LockStore, conversation_id: Text, ticket: int,
                           wait_time_in_seconds: float) -> TicketLock:
        started = time.perf_counter()
        held = await original(self, conversation_id, ticket, wait_time_in_seconds)
        LOCK_WAIT_SECONDS.labels("memory").observe(time.perf_counter() - started)
        return held

    LockStore._acquire_lock = acquire_lock  # type: ignore[assignment]
    _measuring = True
