"""Per-sender limit on failed dossier lookups and wrong second factors (code guessing is slowed down).

Sliding window: at most `limit` failures in the last `window_s` seconds. Counters live where every replica sees
them: the shared database by default, Redis when `settings.redis_url` is set. A failure is written (and committed)
before it is counted, so concurrent replicas can only over-count, never let an extra guess through.
"""
from __future__ import annotations

import math
import time
import uuid
from dataclasses import dataclass
from typing import Callable, Optional, Protocol

from sqlalchemy import delete, select

from dossiers.models import LookupFailure
from dossiers.store import DossierStore, sender_key


@dataclass(frozen=True)
class LimitState:
    failures: int
    limit: int
    retry_after_s: float  # 0 when not blocked

    @property
    def blocked(self) -> bool:
        return self.failures >= self.limit

    @property
    def remaining(self) -> int:
        return max(0, self.limit - self.failures)

    @property
    def retry_after_minutes(self) -> int:
        return max(1, math.ceil(self.retry_after_s / 60)) if self.blocked else 0


class RateLimiter(Protocol):
    limit: int
    window_s: int

    def state(self, sender_id: str) -> LimitState:
        """The sender's current failures in the window (no change)."""

    def record_failure(self, sender_id: str) -> LimitState:
        """Count one failure and return the state including it."""


def _state(failures: int, oldest: Optional[float], limit: int, window_s: int, now: float) -> LimitState:
    if failures >= limit and oldest is not None:
        # Blocked until enough failures age out of the window for one more attempt.
        return LimitState(failures, limit, max(0.0, oldest + window_s - now))
    return LimitState(failures, limit, 0.0)


class SqlRateLimiter:
    """Failures as rows in `dossier_lookup_failures` of the shared database."""

    def __init__(self, store: DossierStore, limit: int, window_s: int, clock: Callable[[], float] = time.time,
                 prefix: str = ""):
        self.store, self.limit, self.window_s, self.clock, self.prefix = store, limit, window_s, clock, prefix

    def _key(self, sender_id: str) -> str:
        return self.prefix + sender_key(sender_id)

    def _count(self, key: str, now: float) -> LimitState:
        with self.store.session() as session:
            rows = session.execute(
                select(LookupFailure.failed_at)
                .where(LookupFailure.sender_key == key, LookupFailure.failed_at > now - self.window_s)
                .order_by(LookupFailure.failed_at.desc())
            ).scalars().all()
        # The attempt that unblocks is the one after the `limit`-th most recent failure ages out.
        oldest_relevant = rows[self.limit - 1] if len(rows) >= self.limit else None
        return _state(len(rows), oldest_relevant, self.limit, self.window_s, now)

    def state(self, sender_id: str) -> LimitState:
        return self._count(self._key(sender_id), self.clock())

    def record_failure(self, sender_id: str) -> LimitState:
        key, now = self._key(sender_id), self.clock()
        with self.store.session() as session, session.begin():
            session.add(LookupFailure(sender_key=key, failed_at=now))
            # Housekeeping: old rows of this sender are useless.
            session.execute(
                delete(LookupFailure).where(LookupFailure.sender_key == key,
                                            LookupFailure.failed_at <= now - self.window_s)
            )
        return self._count(key, now)


class RedisRateLimiter:
    """Failures as members of one sorted set per sender (score = time), expiring with the window."""

    def __init__(self, client, limit: int, window_s: int, clock: Callable[[], float] = time.time,
                 prefix: str = "thutuc:dossier-failures:"):
        self.client, self.limit, self.window_s, self.clock, self.prefix = client, limit, window_s, clock, prefix

    @classmethod
    def from_url(cls, url: str, limit: int, window_s: int, **kwargs) -> "RedisRateLimiter":
        import redis

        return cls(redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2), limit, window_s, **kwargs)

    def _key(self, sender_id: str) -> str:
        return self.prefix + sender_key(sender_id)

    def _read(self, key: str, now: float) -> LimitState:
        pipe = self.client.pipeline(transaction=True)
        pipe.zremrangebyscore(key, "-inf", now - self.window_s)
        pipe.zrevrange(key, 0, -1, withscores=True)
        _, members = pipe.execute()
        scores = [score for _, score in members]
        oldest_relevant = scores[self.limit - 1] if len(scores) >= self.limit else None
        return _state(len(scores), oldest_relevant, self.limit, self.window_s, now)

    def state(self, sender_id: str) -> LimitState:
        return self._read(self._key(sender_id), self.clock())

    def record_failure(self, sender_id: str) -> LimitState:
        key, now = self._key(sender_id), self.clock()
        pipe = self.client.pipeline(transaction=True)
        pipe.zadd(key, {f"{now:.6f}:{uuid.uuid4().hex}": now})
        pipe.expire(key, int(self.window_s) + 1)
        pipe.execute()
        return self._read(key, now)


def make_rate_limiter(store: DossierStore, settings=None) -> RateLimiter:
    """Redis when `redis_url` is set, else the shared database."""
    if settings is None:
        from base.settings import get_settings

        settings = get_settings()
    if settings.redis_url:
        return RedisRateLimiter.from_url(settings.redis_url, settings.lookup_attempts_limit, settings.lookup_window_s)
    return SqlRateLimiter(store, settings.lookup_attempts_limit, settings.lookup_window_s)
