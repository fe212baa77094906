"""The one sliding-window counter, on the shared database (SQLite, PostgreSQL) and on Redis: the same behaviour."""
from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from base.db import get_engine
from base.ratelimit import (
    Limit,
    RateEvent,
    RedisEventStore,
    SlidingWindowCounter,
    SqlEventStore,
    event_store_from_settings,
    subject_key,
)

LIMIT = Limit("test-sender", 5, 900)
LONG = Limit("test-code", 3, 86400)


class FakeClock:
    def __init__(self):
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres),
                        pytest.param("redis", marks=pytest.mark.redis)])
def store(request):
    if request.param != "redis":
        return SqlEventStore(get_engine(request.getfixturevalue(f"{request.param}_url")))
    client = request.getfixturevalue("redis_client")
    return RedisEventStore(client, prefix=client.test_prefix)


def test_sliding_window_counts_blocks_and_frees(store):
    clock = FakeClock()
    counter = SlidingWindowCounter(store, clock)
    for expected in range(1, 5):
        (state,) = counter.record((LIMIT, "sender-a")).states
        assert (state.count, state.blocked, state.remaining) == (expected, False, 5 - expected)
        clock.now += 60
    (fifth,) = counter.record((LIMIT, "sender-a")).states  # at t0+240 s
    assert fifth.blocked and not fifth.over and fifth.retry_after_s == pytest.approx(900 - 240)
    assert fifth.retry_after_minutes == 11 and fifth.since == pytest.approx(clock.now)
    assert not counter.state((LIMIT, "sender-b"))[0].blocked  # per subject
    clock.now += 600  # t0+840 s: the first event is still inside the window
    (state,) = counter.state((LIMIT, "sender-a"))
    assert state.blocked and state.retry_after_minutes == 1
    clock.now += 61  # the first event left the window: one more attempt allowed
    (state,) = counter.state((LIMIT, "sender-a"))
    assert not state.blocked and state.count == 4
    assert counter.record((LIMIT, "sender-a")).states[0].blocked


def test_discard_and_reset(store):
    clock = FakeClock()
    counter = SlidingWindowCounter(store, clock)
    kept = counter.record((LIMIT, "s"), (LONG, "code-1"))
    harmless = counter.record((LIMIT, "s"), (LONG, "code-1"))
    assert [state.count for state in harmless.states] == [2, 2]
    counter.discard(harmless)  # e.g. the right answer: it does not count
    assert [state.count for state in counter.state((LIMIT, "s"), (LONG, "code-1"))] == [1, 1]
    assert kept.recorded != harmless.recorded
    counter.record((LONG, "code-1"))
    counter.record((LONG, "code-1"))
    (locked,) = counter.state((LONG, "code-1"))
    assert locked.blocked and locked.until == pytest.approx(clock.now + 86400)
    assert counter.reset(LONG, "code-1") == 3
    assert counter.state((LONG, "code-1"))[0].count == 0
    assert counter.state((LIMIT, "s"))[0].count == 1  # other keys untouched
    assert counter.reset(LONG, "never-seen") == 0


def test_subjects_are_stored_hashed():
    key = subject_key("dossier-code", "H15.50-251203-2035")
    assert key.startswith("dossier-code:") and "H15" not in key and len(key) <= 96
    assert key == subject_key("dossier-code", "H15.50-251203-2035") != subject_key("dossier-sender",
                                                                                  "H15.50-251203-2035")


def test_sql_prunes_expired_events_of_every_key_while_recording(database_url):
    clock = FakeClock()
    engine = get_engine(database_url)
    counter = SlidingWindowCounter(SqlEventStore(engine, prune_every_s=60), clock)
    short = Limit("test-short", 5, 10)

    def rows() -> int:
        with engine.connect() as connection:
            return connection.execute(select(func.count()).select_from(RateEvent)).scalar_one()

    for n in range(30):  # a fresh subject every time, as a guesser changing sender would send
        counter.record((LIMIT, f"sender-{n}"))
    counter.record((LONG, "code"))
    clock.now += 901
    counter.record((short, "a"))  # recording prunes: the 30 expired events go, the 24-hour one stays
    assert rows() == 2
    clock.now += 20
    counter.record((short, "b"))  # "a" has expired, but the last prune is only 20 s old: at most one a minute
    assert rows() == 3
    clock.now += 41
    counter.record((short, "c"))  # 61 s since the last prune: "a" and "b" go
    assert rows() == 2
    assert counter.prune() == 0  # what `prune` alone would remove now: nothing left to remove


@pytest.mark.redis
def test_redis_keys_expire_with_their_window(redis_client):
    clock = FakeClock()
    counter = SlidingWindowCounter(RedisEventStore(redis_client, prefix=redis_client.test_prefix), clock)
    counter.record((LIMIT, "sender"), (LONG, "code"))
    ttls = sorted(redis_client.ttl(key) for key in redis_client.scan_iter(redis_client.test_prefix + "*"))
    assert len(ttls) == 2 and 0 < ttls[0] <= 901 and 86400 - 5 < ttls[1] <= 86401


@pytest.mark.postgres
def test_racing_attempts_never_exceed_the_maximum(postgres_url):
    """16 threads × 10 attempts at once: record first, refuse (and discard) when over → at most 5 are let through."""
    counter = SlidingWindowCounter(SqlEventStore(get_engine(postgres_url)))
    accepted, lock = [], threading.Lock()
    barrier = threading.Barrier(16)

    def guesser() -> None:
        barrier.wait()
        for _ in range(10):
            attempt = counter.record((LIMIT, "one-code"))
            if attempt.states[0].over:
                counter.discard(attempt)
            else:
                with lock:
                    accepted.append(attempt)

    threads = [threading.Thread(target=guesser) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert 1 <= len(accepted) <= LIMIT.maximum
    assert counter.state((LIMIT, "one-code"))[0].count == len(accepted)


def test_settings_choose_redis_when_configured(sqlite_url):
    class Settings:
        redis_url = "redis://127.0.0.1:6379/0"
        database_url = sqlite_url

    assert isinstance(event_store_from_settings(Settings()), RedisEventStore)
    Settings.redis_url = None
    assert isinstance(event_store_from_settings(Settings()), SqlEventStore)
