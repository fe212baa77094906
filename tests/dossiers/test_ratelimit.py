"""Failed lookups and wrong second factors are limited per sender, in the database or in Redis, across processes."""
from __future__ import annotations

import uuid

import pytest
import requests

from dossiers.ratelimit import RedisRateLimiter, SqlRateLimiter, make_rate_limiter
from dossiers.store import DossierStore
from tests.dossiers.conftest import SALT, feed
from tests.dossiers.conversation import DOMAIN
from tests.dossiers.servers import start_action_server, stop


class FakeClock:
    def __init__(self):
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


def exercise(limiter, clock: FakeClock) -> None:
    for expected in range(1, 5):
        state = limiter.record_failure("sender-a")
        assert (state.failures, state.blocked, state.remaining) == (expected, False, 5 - expected)
        clock.now += 60
    fifth = limiter.record_failure("sender-a")  # at t0+240 s
    assert fifth.blocked and fifth.retry_after_s == pytest.approx(900 - 240)
    assert fifth.retry_after_minutes == 11
    assert not limiter.state("sender-b").blocked  # per sender
    clock.now += 600  # t0+840 s: the first failure is still inside the window
    assert limiter.state("sender-a").blocked and limiter.state("sender-a").retry_after_minutes == 1
    clock.now += 61  # the first failure left the window: one more attempt allowed
    state = limiter.state("sender-a")
    assert not state.blocked and state.failures == 4
    assert limiter.record_failure("sender-a").blocked


def test_sql_limiter(database_url):
    clock = FakeClock()
    exercise(SqlRateLimiter(DossierStore(database_url), 5, 900, clock=clock), clock)


@pytest.mark.redis
def test_redis_limiter():
    redis = pytest.importorskip("redis")
    client = redis.Redis(host="127.0.0.1", port=6379, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError:
        pytest.skip("Redis at 127.0.0.1:6379 is not reachable")
    prefix = f"test-thutuc-dossiers-{uuid.uuid4().hex}:"
    clock = FakeClock()
    try:
        exercise(RedisRateLimiter(client, 5, 900, clock=clock, prefix=prefix), clock)
        keys = client.keys(prefix + "*")
        assert len(keys) == 1 and 0 < client.ttl(keys[0]) <= 901  # counters expire on their own
    finally:
        for key in client.keys(prefix + "*"):
            client.delete(key)


def test_settings_choose_redis_when_configured(store):
    class Settings:
        redis_url = "redis://127.0.0.1:6379/0"
        lookup_attempts_limit = 3
        lookup_window_s = 60

    assert isinstance(make_rate_limiter(store, Settings()), RedisRateLimiter)
    Settings.redis_url = None
    limiter = make_rate_limiter(store, Settings())
    assert isinstance(limiter, SqlRateLimiter) and (limiter.limit, limiter.window_s) == (3, 60)


def _validate_request(sender: str, text: str) -> dict:
    message = {"text": text, "intent": {"name": "check_dossier_status", "confidence": 0.9}, "entities": []}
    tracker = {"sender_id": sender, "slots": {"receipt_code": None, "dossier_phone_last4": None,
                                              "dossier_lookup": None, "requested_slot": None},
               "latest_message": message, "events": [{"event": "user", "text": text, "parse_data": message}],
               "paused": False, "followup_action": None, "active_loop": {}, "latest_action_name": "action_listen"}
    return {"next_action": "validate_dossier_form", "sender_id": sender, "tracker": tracker, "domain": DOMAIN,
            "version": "3.6.21"}


@pytest.mark.slow
def test_limit_holds_across_two_action_server_processes(database_url):
    """Two separate action servers share one database: 3 + 2 unknown codes lock the sender out on both."""
    store = DossierStore(database_url)
    feed(store, {"receipt_code": "H15.50-251203-2035", "state": 4, "phone": "0912345678"})
    env = {"DATABASE_URL": database_url, "DOSSIER_CONTACT_SALT": SALT, "REDIS_URL": "",
           "DOSSIER_LOOKUP_LIMIT": "5", "DOSSIER_LOOKUP_WINDOW": "900", "DOSSIER_SOURCE_URL": ""}
    first, first_url = start_action_server(env)
    try:
        second, second_url = start_action_server(env)
    except Exception:
        stop(first)
        raise
    sender = f"guesser-{uuid.uuid4().hex[:8]}"

    def ask(base: str, text: str) -> str:
        reply = requests.post(f"{base}/webhook", json=_validate_request(sender, text), timeout=30)
        assert reply.status_code == 200, reply.text
        return " ".join(r.get("text") or "" for r in reply.json()["responses"])

    try:
        for n, base in enumerate([first_url, second_url, first_url, second_url]):
            assert "không tìm thấy hồ sơ" in ask(base, f"ho so H15.50-251203-900{n}")
        fifth = ask(first_url, "ho so H15.50-251203-9004")
        assert "không tìm thấy hồ sơ" in fifth and "thử lại sau 15 phút" in fifth
        # The other process refuses even an existing code now.
        refused = ask(second_url, "ho so H15.50-251203-2035")
        assert "thử lại sau" in refused and "không tìm thấy" not in refused
        # Another sender is unaffected on both.
        sender = f"other-{uuid.uuid4().hex[:8]}"
        assert "không tìm thấy hồ sơ" in ask(second_url, "ho so H15.50-251203-9009")
    finally:
        stop(first)
        stop(second)
