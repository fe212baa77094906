"""The dossier lookup's limits: per sender, per client, code enumeration, the per-code lock and the global budget —
in the database or Redis, across processes, and with no synchronous wait on the action server's event loop."""
from __future__ import annotations

import asyncio
import logging
import time
import uuid

import pytest
import requests

from actions import dossier_status
from base.clients import UNKNOWN_CLIENT
from base.ratelimit import Limit, RedisEventStore, SlidingWindowCounter, SqlEventStore
from dossiers.ratelimit import LookupLimitConfig, LookupLimits, make_lookup_limits
from dossiers.service import DossierService, Outcome
from dossiers.store import DossierStore
from tests.dossiers.conftest import SALT, FakeDirectory, feed
from tests.dossiers.conversation import DOMAIN, Conversation
from tests.dossiers.servers import start_action_server, stop

CODE = "H15.50-251203-2035"  # phone ends 5678


def codes(count: int, day: str = "251204") -> list[str]:
    return [f"H15.50-{day}-{n:04d}" for n in range(1, count + 1)]


@pytest.fixture
def dossiers(store):
    feed(store, {"receipt_code": CODE, "state": 4, "phone": "0912345678"},
         *({"receipt_code": code, "state": 4, "phone": "0900000001"} for code in codes(6)))
    return store


def guess(service: DossierService, sender: str, client: str, code: str, digits: str):
    found = service.lookup(sender, code, client)
    if found.outcome is not Outcome.FOUND:
        return found
    return service.verify(sender, digits, client)


def test_one_client_gets_twenty_wrong_factors_an_hour_whatever_its_senders(dossiers, service, clock):
    """5 codes × 4 wrong digits (no code reaches its lock), a fresh sender every time, from one address."""
    outcomes = [guess(service, f"s-{uuid.uuid4().hex[:8]}", "ip:203.0.113.7", code, "1111").outcome
                for code in codes(5) for _ in range(4)]
    assert outcomes[:19] == [Outcome.WRONG_FACTOR] * 19 and outcomes[19] is Outcome.BLOCKED
    refused = service.lookup("fresh-sender", CODE, "ip:203.0.113.7")
    assert refused.outcome is Outcome.BLOCKED and refused.limit.retry_after_minutes == 60
    # Another address (and the shared "unknown" client) is not affected; no code is locked.
    assert guess(service, "citizen", "ip:198.51.100.1", CODE, "5678").outcome is Outcome.VERIFIED
    assert not any(service.code_lock(code).locked for code in codes(5))
    clock.advance(minutes=61)
    assert service.lookup("fresh-sender", CODE, "ip:203.0.113.7").outcome is Outcome.FOUND


def test_code_enumeration_is_limited_per_client(dossiers, service):
    unknown = [service.lookup(f"s-{n}", code, "zalo:abc").outcome for n, code in enumerate(codes(10, "251210"))]
    assert unknown == [Outcome.UNKNOWN] * 10
    refused = service.lookup("s-new", CODE, "zalo:abc")  # even an existing code, with a fresh sender
    assert refused.outcome is Outcome.BLOCKED and refused.limit.retry_after_minutes == 60
    assert service.lookup("s-new", CODE, "zalo:other").outcome is Outcome.FOUND


def test_the_enumeration_limit_message_is_today_s_limit_message(dossiers, service):
    dossier_status.set_service(service, FakeDirectory())
    try:
        for n, code in enumerate(codes(9, "251210")):
            Conversation(sender=f"s-{n}", client="ip:203.0.113.9").say(f"ho so {code}", "check_dossier_status")
        tenth = Conversation(sender="s-10", client="ip:203.0.113.9").say("ho so H15.50-251210-0010",
                                                                            "check_dossier_status")
        assert "không tìm thấy" in tenth[0] and "thử lại sau 60 phút" in tenth[1]
        reply = Conversation(sender="s-11", client="ip:203.0.113.9").say(f"hồ sơ {CODE}", "check_dossier_status")
        assert reply == [dossier_status.messages.blocked(60)]
    finally:
        dossier_status.set_service(None, None)


def test_messages_without_a_client_key_share_one_unknown_client(dossiers, service):
    for n, code in enumerate(codes(10, "251210")):
        assert service.lookup(f"s-{n}", code).outcome is Outcome.UNKNOWN  # no client: "unknown"
    talk = Conversation(sender="no-key", client="")
    assert dossier_status.client_of(talk._tracker("x", "inform", [])) == UNKNOWN_CLIENT
    assert service.lookup("s-x", CODE, UNKNOWN_CLIENT).outcome is Outcome.BLOCKED
    assert service.lookup("s-x", CODE, "ip:198.51.100.1").outcome is Outcome.FOUND


def test_spent_global_budget_slows_every_lookup_and_warns_once(store, make_service, caplog):
    feed(store, {"receipt_code": CODE, "state": 4, "phone": "0912345678"})
    config = LookupLimitConfig(Limit("dossier-sender", 5, 900), Limit("dossier-client", 20, 3600),
                               Limit("dossier-unknown", 10, 3600), Limit("dossier-code", 5, 86400),
                               Limit("dossier-budget", 3, 3600), slowdown_s=0.3)
    service = make_service(store, config=config)
    dossier_status.set_service(service, FakeDirectory())
    caplog.set_level(logging.WARNING, logger="dossiers.ratelimit")

    async def scenario() -> tuple[list[float], list[float]]:
        durations, ticks = [], []

        async def ticker() -> None:
            for _ in range(30):
                ticks.append(time.monotonic())
                await asyncio.sleep(0.05)

        tick_task = asyncio.create_task(ticker())
        for n in range(6):  # 3 failures spend the budget; the lookups after them are slowed
            started = time.monotonic()
            talk = Conversation(sender=f"s-{n}", client=f"ip:203.0.113.{n}")
            dispatcher = dossier_status.CollectingDispatcher()
            await dossier_status.ValidateDossierForm().run(
                dispatcher, talk._tracker(f"ho so H15.50-251210-000{n}", "check_dossier_status", []), DOMAIN)
            durations.append(time.monotonic() - started)
        await tick_task
        return durations, ticks

    try:
        durations, ticks = asyncio.run(scenario())
    finally:
        dossier_status.set_service(None, None)
    assert all(d < 0.25 for d in durations[:3]) and all(d >= 0.3 for d in durations[3:])
    gaps = [b - a for a, b in zip(ticks, ticks[1:])]
    assert max(gaps) < 0.25  # the event loop kept running during the delays (asyncio.sleep, not time.sleep)
    warnings = [r for r in caplog.records if "every lookup is now slowed" in r.getMessage()]
    assert len(warnings) == 1  # one per window, not one per lookup
    assert service.lookup("another", CODE, "ip:198.51.100.1").delay_s == 0.3  # found codes wait too


@pytest.mark.redis
def test_limits_on_redis_behave_like_on_the_database(dossiers, clock, redis_client):
    counter = SlidingWindowCounter(RedisEventStore(redis_client, prefix=redis_client.test_prefix), clock=clock.epoch)
    service = DossierService(dossiers, LookupLimits(counter, LookupLimitConfig.defaults()), salt=SALT, clock=clock)
    outcomes = [guess(service, f"s-{n}", f"zalo:{n}", CODE, "0000").outcome for n in range(7)]
    assert outcomes == [Outcome.WRONG_FACTOR] * 4 + [Outcome.LOCKED] * 3
    assert guess(service, "citizen", "zalo:citizen", CODE, "5678").outcome is Outcome.LOCKED
    lock = service.code_lock(CODE)
    assert lock.locked and lock.failures == 5 and lock.until == pytest.approx(lock.since + 86400)
    assert service.unlock(CODE).failures == 5
    assert guess(service, "citizen", "zalo:citizen", CODE, "5678").outcome is Outcome.VERIFIED


def test_settings_choose_redis_when_configured(store):
    from base.settings import Settings

    limits = make_lookup_limits(Settings(redis_url="redis://127.0.0.1:6379/0", lookup_attempts_limit=3,
                                         lookup_window_s=60), engine=store.engine)
    assert isinstance(limits.counter.store, RedisEventStore) and limits.config.sender.maximum == 3
    limits = make_lookup_limits(Settings(redis_url=None, dossier_code_failure_limit=7), engine=store.engine)
    assert isinstance(limits.counter.store, SqlEventStore) and limits.config.code == Limit("dossier-code", 7, 86400)


def _validate_request(sender: str, text: str, client: str | None = None) -> dict:
    message = {"text": text, "intent": {"name": "check_dossier_status", "confidence": 0.9}, "entities": []}
    user = {"event": "user", "text": text, "parse_data": message,
            "metadata": {"thutuc_client": client} if client else {}}
    tracker = {"sender_id": sender, "slots": {"receipt_code": None, "dossier_phone_last4": None,
                                              "dossier_lookup": None, "requested_slot": None},
               "latest_message": message, "events": [user],
               "paused": False, "followup_action": None, "active_loop": {}, "latest_action_name": "action_listen"}
    return {"next_action": "validate_dossier_form", "sender_id": sender, "tracker": tracker, "domain": DOMAIN,
            "version": "3.6.21"}


@pytest.mark.slow
def test_limits_hold_across_two_action_server_processes(database_url):
    """Two separate action servers share one database: 3 + 2 unknown codes lock the sender out on both, and a
    client changing sender is stopped by its enumeration limit on both."""
    store = DossierStore(database_url)
    feed(store, {"receipt_code": CODE, "state": 4, "phone": "0912345678"})
    env = {"DATABASE_URL": database_url, "DOSSIER_CONTACT_SALT": SALT, "REDIS_URL": "",
           "DOSSIER_LOOKUP_LIMIT": "5", "DOSSIER_LOOKUP_WINDOW": "900", "DOSSIER_SOURCE_URL": ""}
    first, first_url = start_action_server(env)
    try:
        second, second_url = start_action_server(env)
    except Exception:
        stop(first)
        raise
    sender = f"guesser-{uuid.uuid4().hex[:8]}"

    def ask(base: str, text: str, client: str | None = None, who: str | None = None) -> str:
        reply = requests.post(f"{base}/webhook", json=_validate_request(who or sender, text, client), timeout=30)
        assert reply.status_code == 200, reply.text
        return " ".join(r.get("text") or "" for r in reply.json()["responses"])

    try:
        for n, base in enumerate([first_url, second_url, first_url, second_url]):
            assert "không tìm thấy hồ sơ" in ask(base, f"ho so H15.50-251203-900{n}")
        fifth = ask(first_url, "ho so H15.50-251203-9004")
        assert "không tìm thấy hồ sơ" in fifth and "thử lại sau 15 phút" in fifth
        # The other process refuses even an existing code now.
        refused = ask(second_url, f"ho so {CODE}")
        assert "thử lại sau" in refused and "không tìm thấy" not in refused
        # A client with a fresh sender per lookup: 10 unknown codes over both processes, then refused on both.
        for n in range(10):
            base = (first_url, second_url)[n % 2]
            assert "không tìm thấy hồ sơ" in ask(base, f"ho so H15.50-251203-80{n:02d}", "ip:203.0.113.5", f"e-{n}")
        for base in (first_url, second_url):
            refused = ask(base, f"ho so {CODE}", "ip:203.0.113.5", f"fresh-{uuid.uuid4().hex[:6]}")
            assert "thử lại sau 60 phút" in refused
        other = requests.post(f"{second_url}/webhook", timeout=30,
                              json=_validate_request("someone-else", f"ho so {CODE}", "ip:198.51.100.2")).json()
        slots = {event["name"]: event["value"] for event in other["events"] if event.get("event") == "slot"}
        assert slots["dossier_lookup"] == "found"  # another address is not affected
    finally:
        stop(first)
        stop(second)


@pytest.mark.postgres
def test_concurrent_guessers_on_one_code_get_no_more_than_five_comparisons(postgres_url, make_service):
    """24 guessers at once (fresh sender and client each) on PostgreSQL: at most 5 digit comparisons ever happen.

    Racing attempts over-count: one that finds the code's limit already full (counting the others in flight) is
    refused with the lock message and not counted, so a burst may even end below 5 failures; later guesses fill it."""
    import threading

    store = DossierStore(postgres_url)
    feed(store, {"receipt_code": CODE, "state": 4, "phone": "0912345678"})
    service = make_service(store)
    for n in range(24):
        assert service.lookup(f"g-{n}", CODE, f"zalo:{n}").outcome is Outcome.FOUND
    barrier, outcomes = threading.Barrier(24), []

    def guesser(n: int) -> None:
        barrier.wait()
        outcomes.append(service.verify(f"g-{n}", "0000", f"zalo:{n}").outcome)

    threads = [threading.Thread(target=guesser, args=(n,)) for n in range(24)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(outcomes) == 24 and set(outcomes) <= {Outcome.WRONG_FACTOR, Outcome.LOCKED}
    burst = service.code_lock(CODE).failures
    assert outcomes.count(Outcome.WRONG_FACTOR) <= burst <= 5
    for n in range(24, 30):  # one after the other now: the code locks at exactly 5 failures
        guess(service, f"g-{n}", f"zalo:{n}", CODE, "0000")
    assert service.code_lock(CODE).failures == 5 and service.code_lock(CODE).locked
