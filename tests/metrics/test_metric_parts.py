"""The counters that a short conversation does not reach: Zalo API errors by code against the fake Zalo server, an
action that raises, and the ticket gauge when the database does not answer."""
from __future__ import annotations

import time

from prometheus_client import CollectorRegistry, generate_latest

from base.metrics import ACTION_ERRORS, ACTION_RUNS, REGISTRY, ZALO_API_ERRORS, BoundedLabel
from tests.fakes.zalo_server import FakeZaloServer
from tests.metrics.scrape import parse, value


def _zalo_errors(code: str) -> float:
    return value(parse(generate_latest(REGISTRY).decode()), "thutuc_zalo_api_errors_total", code=code)


async def test_zalo_api_errors_are_counted_by_code(tmp_path):
    from bot.channels.zalo_client import ZaloClient, ZaloOAuthClient
    from bot.channels.zalo_tokens import FileTokenStore, TokenManager, ZaloTokens

    before = {code: _zalo_errors(code) for code in ("-201", "-230", "-216", "network")}
    async with FakeZaloServer(app_id="app", app_secret="s3cret") as zalo:
        manager = TokenManager(FileTokenStore(tmp_path / "t.json"), ZaloOAuthClient(zalo.base_url, "app", "s3cret").refresh,
                               ZaloTokens("AT-0", "RT-0"))
        client = ZaloClient(zalo.base_url, manager)
        try:
            zalo.inject_send_errors(-201, -230)
            assert (await client.send_text("123", "một")).error == -201
            assert (await client.send_text("123", "hai")).error == -230
            zalo.inject_send_errors(-216)  # refreshed once, then delivered: one error counted
            assert (await client.send_text("123", "ba")).ok
        finally:
            await client.close()
    assert _zalo_errors("-201") - before["-201"] == 1
    assert _zalo_errors("-230") - before["-230"] == 1
    assert _zalo_errors("-216") - before["-216"] == 1
    assert _zalo_errors("network") == before["network"]


def test_zalo_codes_beyond_the_cap_are_other():
    label = BoundedLabel({"-32"}, spare=2)
    assert [label(c) for c in ("-32", "-1", "-2", "-3", "-1", None)] == ["-32", "-1", "-2", "other", "-1", "other"]


async def test_an_action_that_raises_is_counted():
    from rasa_sdk import Action
    from rasa_sdk.executor import ActionExecutor

    from bot.action_server import count_action_runs

    class Exploding(Action):
        def name(self) -> str:
            return "action_metrics_test_explodes"

        async def run(self, dispatcher, tracker, domain):
            raise RuntimeError("boom")

    count_action_runs()
    executor = ActionExecutor()
    executor.register_action(Exploding())
    name = "action_metrics_test_explodes"
    runs, errors = ACTION_RUNS.labels(name)._value.get(), ACTION_ERRORS.labels(name)._value.get()
    call = {"next_action": name, "tracker": {"sender_id": "t", "slots": {}, "latest_message": {}, "events": [],
                                              "paused": False, "followup_action": None, "active_loop": {},
                                              "latest_action_name": None}, "domain": {}}
    try:
        await executor.run(call)
    except RuntimeError:
        pass
    else:
        raise AssertionError("the action should have raised")
    assert ACTION_RUNS.labels(name)._value.get() - runs == 1
    assert ACTION_ERRORS.labels(name)._value.get() - errors == 1


def _collect(collector) -> dict:
    registry = CollectorRegistry()
    registry.register(collector)
    return parse(generate_latest(registry).decode())


def test_ticket_gauge_counts_open_and_callback_tickets(sqlite_url):
    from base.db import get_engine
    from handoff.metrics import TicketCollector
    from handoff.store import TICKET_CALLBACK, ConversationStore

    store = ConversationStore(get_engine(sqlite_url))
    store.open_ticket("rest-a", "rest", "hỏi")
    store.open_ticket("rest-b", "rest", "hỏi")
    closed = store.open_ticket("rest-c", "rest", "hỏi")
    store.close_ticket(closed.id)
    store.open_ticket("rest-d", "rest", "hỏi", status=TICKET_CALLBACK)
    samples = _collect(TicketCollector(store.waiting_counts, timeout_s=5))
    assert value(samples, "thutuc_handoff_tickets_open", status="open") == 2
    assert value(samples, "thutuc_handoff_tickets_open", status="callback") == 1
    assert value(samples, "thutuc_ticket_store_up") == 1


def test_a_hanging_database_does_not_hang_the_scrape():
    from handoff.metrics import TicketCollector

    calls = []

    def hangs() -> dict:
        calls.append(1)
        time.sleep(1.5)
        return {"open": 7}

    collector = TicketCollector(hangs, timeout_s=0.2)
    started = time.monotonic()
    first = _collect(collector)
    second = _collect(collector)  # the first query is still running: waited for, not started again
    assert time.monotonic() - started < 1.0 and len(calls) == 1
    for samples in (first, second):
        assert value(samples, "thutuc_ticket_store_up") == 0
        assert not any(name == "thutuc_handoff_tickets_open" for name, _ in samples)
    time.sleep(1.5)
    assert value(_collect(collector), "thutuc_handoff_tickets_open", status="open") == 7


def test_a_failing_database_reports_the_store_down():
    from handoff.metrics import TicketCollector

    def fails() -> dict:
        raise OSError("connection refused")

    assert value(_collect(TicketCollector(fails, timeout_s=1)), "thutuc_ticket_store_up") == 0


async def test_lock_waits_are_timed_per_store():
    import asyncio

    from base.metrics import LOCK_WAIT_SECONDS
    from bot.lock_store import ResilientLockStore
    from tests.faults.dependencies import OwnRedis

    def count(store: str) -> float:
        return value(parse(generate_latest(REGISTRY).decode()), "thutuc_lock_wait_seconds_count", store=store)

    def slow_waits(store: str) -> float:  # waits of more than 0.25 s
        samples = parse(generate_latest(REGISTRY).decode())
        return (value(samples, "thutuc_lock_wait_seconds_count", store=store)
                - value(samples, "thutuc_lock_wait_seconds_bucket", store=store, le="0.25"))

    redis = OwnRedis().start()
    locks = ResilientLockStore(redis_url=redis.url)
    try:
        before, slow_before = count("redis"), slow_waits("redis")
        _, release = await locks._acquire("metrics-conversation", 60, 0.05)
        waiter = asyncio.create_task(locks._acquire("metrics-conversation", 60, 0.05))
        await asyncio.sleep(0.4)  # the second one waits for the first
        await release()
        _, release_second = await asyncio.wait_for(waiter, 5)
        await release_second()
        assert count("redis") - before == 2
        assert slow_waits("redis") - slow_before == 1
    finally:
        await locks.close()
        redis.close()
