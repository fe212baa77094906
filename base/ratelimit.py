"""One sliding-window counter for every limit of the project (failed lookups per sender, per client, per code, …).

A limit is a name, a maximum and a window. Each attempt is an event recorded under a key — the limit's name and a
keyed hash of the subject (a sender id, a client address, a receipt code; HMAC with the data key of base/crypto.py),
so no subject is stored in clear nor can be confirmed by hashing a guess — and a
limit's state is the key's events inside the window. Callers record an attempt *before* they count and judge it, and
discard the events of an attempt that turned out harmless: replicas racing each other can then only over-count
(refuse one attempt too many), never let an extra attempt through.

Two stores with the same behaviour, shared by every replica: the project database (table `base_rate_events`,
Alembic branch `base`) by default, Redis (one sorted set per key, expiring with its window) when
`settings.redis_url` is set. Old events are pruned as part of recording: Redis drops a key's old members on each
record and the key itself expires; the database deletes every expired row (any key) at most once a minute per
process, in its own short transaction after the new events are committed.
"""
from __future__ import annotations

import logging
import math
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Callable, Optional, Protocol, Sequence

from sqlalchemy import Column, Float, Index, Integer, MetaData, String, delete, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import declarative_base

from base.crypto import keyed_hash
logger = logging.getLogger(__name__)

REDIS_PREFIX = "thutuc:rate:"
PRUNE_EVERY_S = 60.0

Base = declarative_base(metadata=MetaData(naming_convention={
    "ix": "ix_%(column_0_label)s",
    "pk": "pk_%(table_name)s",
}))


class RateEvent(Base):
    """One counted attempt; `expires_at` (= at + the limit's window) lets one prune serve every limit."""

    __tablename__ = "base_rate_events"
    __table_args__ = (
        Index("ix_base_rate_events_key_at", "key", "at"),
        Index("ix_base_rate_events_expires_at", "expires_at"),
    )

    id = Column(Integer, primary_key=True)
    key = Column(String(96), nullable=False)
    at = Column(Float, nullable=False)  # epoch seconds
    expires_at = Column(Float, nullable=False)


@dataclass(frozen=True)
class Limit:
    """At most `maximum` events per `window_s` seconds for one subject."""

    name: str
    maximum: int
    window_s: float


@dataclass(frozen=True)
class WindowState:
    """A subject's events inside the limit's window, newest first (at most as many as were asked for)."""

    limit: Limit
    events: tuple[float, ...]
    now: float

    @property
    def count(self) -> int:
        return len(self.events)

    @property
    def blocked(self) -> bool:
        return self.count >= self.limit.maximum

    @property
    def over(self) -> bool:
        """More events than allowed: an attempt recorded beyond the maximum (refuse it)."""
        return self.count > self.limit.maximum

    @property
    def remaining(self) -> int:
        return max(0, self.limit.maximum - self.count)

    @property
    def since(self) -> Optional[float]:
        """When the current block began: the event that reached the maximum (exact when all events were read)."""
        return self.events[self.count - self.limit.maximum] if self.blocked else None

    @property
    def until(self) -> Optional[float]:
        """When one more attempt is allowed again: the maximum-th newest event leaves the window."""
        return self.events[self.limit.maximum - 1] + self.limit.window_s if self.blocked else None

    @property
    def retry_after_s(self) -> float:
        until = self.until
        return max(0.0, until - self.now) if until is not None else 0.0

    @property
    def retry_after_minutes(self) -> int:
        return max(1, math.ceil(self.retry_after_s / 60)) if self.blocked else 0


@dataclass(frozen=True)
class Attempt:
    """What `SlidingWindowCounter.record` wrote, and the states counted right after (including it)."""

    states: tuple[WindowState, ...]
    recorded: tuple[tuple[str, str], ...] = field(repr=False)  # (key, event id)


class EventStore(Protocol):
    """Where events live: the shared database or Redis."""

    def record(self, items: Sequence[tuple[str, float]], at: float) -> list[str]:
        """One event at `at` under each key, kept `keep_s` seconds: [(key, keep_s)] → event ids."""

    def newest(self, queries: Sequence[tuple[str, float, int]]) -> list[list[float]]:
        """For each (key, after, cap): the times of up to `cap` newest events later than `after`, newest first."""

    def discard(self, events: Sequence[tuple[str, str]]) -> None:
        """Remove these (key, event id) events."""

    def reset(self, key: str) -> int:
        """Remove every event of `key`; returns how many there were."""

    def prune(self, now: float) -> int:
        """Remove expired events of every key; returns how many (Redis: 0, its keys expire by themselves)."""


def subject_key(limit_name: str, subject: str) -> str:
    """The stored key: the limit's name and a keyed hash of the subject (sender ids, addresses, codes stay out of
    storage)."""
    digest = keyed_hash(f"{limit_name}:{subject}", "rate-limit")[:40]
    return f"{limit_name}:{digest}"


class SlidingWindowCounter:
    """Counts, records, discards and resets events of (limit, subject) pairs on one store."""

    def __init__(self, store: EventStore, clock: Callable[[], float] = time.time):
        self.store, self.clock = store, clock

    def state(self, *checks: tuple[Limit, str], cap: Optional[int] = None) -> list[WindowState]:
        """The current states (no change). `cap` reads more events than the maximum (for an exact `since`)."""
        return self._read(checks, self.clock(), cap)

    def record(self, *checks: tuple[Limit, str]) -> Attempt:
        """Record one event for each pair, then count: the states include this attempt (and any racing one)."""
        now = self.clock()
        keys = [subject_key(limit.name, subject) for limit, subject in checks]
        ids = self.store.record([(key, limit.window_s) for key, (limit, _) in zip(keys, checks)], now)
        return Attempt(tuple(self._read(checks, now, None)), tuple(zip(keys, ids)))

    def discard(self, attempt: Attempt) -> None:
        """Forget an attempt that turned out not to count (a right answer, a refused request)."""
        if attempt.recorded:
            self.store.discard(attempt.recorded)

    def reset(self, limit: Limit, subject: str) -> int:
        return self.store.reset(subject_key(limit.name, subject))

    def prune(self) -> int:
        return self.store.prune(self.clock())

    def _read(self, checks: Sequence[tuple[Limit, str]], now: float, cap: Optional[int]) -> list[WindowState]:
        queries = [(subject_key(limit.name, subject), now - limit.window_s, max(cap or 0, limit.maximum + 1))
                   for limit, subject in checks]
        found = self.store.newest(queries)
        return [WindowState(limit, tuple(times), now) for (limit, _), times in zip(checks, found)]


class SqlEventStore:
    """Events as rows of `base_rate_events` in the project database."""

    def __init__(self, engine: Engine, prune_every_s: float = PRUNE_EVERY_S):
        from base.db import migrate, session_factory

        migrate(engine=engine)
        self.engine, self.prune_every_s = engine, prune_every_s
        self._sessions = session_factory(engine)
        self._last_prune = float("-inf")
        self._prune_lock = threading.Lock()

    @classmethod
    def from_url(cls, url: Optional[str] = None) -> "SqlEventStore":
        from base.db import get_engine

        return cls(get_engine(url))

    def record(self, items: Sequence[tuple[str, float]], at: float) -> list[str]:
        rows = [RateEvent(key=key, at=at, expires_at=at + keep_s) for key, keep_s in items]
        with self._sessions() as session, session.begin():
            session.add_all(rows)
            session.flush()
            ids = [str(row.id) for row in rows]
        self._maybe_prune(at)
        return ids

    def newest(self, queries: Sequence[tuple[str, float, int]]) -> list[list[float]]:
        with self.engine.connect() as connection:
            return [
                list(connection.execute(
                    select(RateEvent.at).where(RateEvent.key == key, RateEvent.at > after)
                    .order_by(RateEvent.at.desc()).limit(cap)
                ).scalars())
                for key, after, cap in queries
            ]

    def discard(self, events: Sequence[tuple[str, str]]) -> None:
        with self._sessions() as session, session.begin():
            session.execute(delete(RateEvent).where(RateEvent.id.in_([int(event_id) for _, event_id in events])))

    def reset(self, key: str) -> int:
        with self._sessions() as session, session.begin():
            return session.execute(delete(RateEvent).where(RateEvent.key == key)).rowcount

    def prune(self, now: float) -> int:
        with self._sessions() as session, session.begin():
            return session.execute(delete(RateEvent).where(RateEvent.expires_at <= now)).rowcount

    def _maybe_prune(self, now: float) -> None:
        with self._prune_lock:
            if now - self._last_prune < self.prune_every_s:
                return
            self._last_prune = now
        try:
            self.prune(now)
        except Exception as error:  # noqa: BLE001 - housekeeping must not fail the attempt; the next one retries
            logger.warning("pruning rate-limit events failed: %s", type(error).__name__)


class RedisEventStore:
    """Events as members of one sorted set per key (score = time), expiring with the key's window."""

    def __init__(self, client, prefix: str = REDIS_PREFIX):
        self.client, self.prefix = client, prefix

    @classmethod
    def from_url(cls, url: str, **kwargs) -> "RedisEventStore":
        import redis  # optional dependency, only with REDIS_URL

        return cls(redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2), **kwargs)

    def record(self, items: Sequence[tuple[str, float]], at: float) -> list[str]:
        pipe = self.client.pipeline(transaction=True)
        ids = []
        for key, keep_s in items:
            member = f"{at:.6f}:{uuid.uuid4().hex}"
            ids.append(member)
            pipe.zadd(self.prefix + key, {member: at})
            pipe.zremrangebyscore(self.prefix + key, "-inf", at - keep_s)  # prune as part of recording
            pipe.expire(self.prefix + key, int(math.ceil(keep_s)) + 1)
        pipe.execute()
        return ids

    def newest(self, queries: Sequence[tuple[str, float, int]]) -> list[list[float]]:
        pipe = self.client.pipeline(transaction=False)
        for key, after, cap in queries:
            pipe.zrevrangebyscore(self.prefix + key, "+inf", f"({after}", start=0, num=cap, withscores=True)
        return [[score for _, score in members] for members in pipe.execute()]

    def discard(self, events: Sequence[tuple[str, str]]) -> None:
        pipe = self.client.pipeline(transaction=True)
        for key, member in events:
            pipe.zrem(self.prefix + key, member)
        pipe.execute()

    def reset(self, key: str) -> int:
        pipe = self.client.pipeline(transaction=True)
        pipe.zcard(self.prefix + key)
        pipe.delete(self.prefix + key)
        count, _ = pipe.execute()
        return int(count)

    def prune(self, now: float) -> int:
        return 0  # every key expires with its window; recording drops a key's old members


def event_store_from_settings(settings=None, engine: Optional[Engine] = None) -> EventStore:
    """Redis when `redis_url` is set (several replicas), else the project database (shared by replicas too)."""
    if settings is None:
        from base.settings import get_settings

        settings = get_settings()
    if settings.redis_url:
        return RedisEventStore.from_url(settings.redis_url)
    return SqlEventStore(engine) if engine is not None else SqlEventStore.from_url(settings.database_url)
