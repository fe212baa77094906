"""The key store and the lock store against our own redis-server, really stopped and started again: they fall back
to this process's memory, come back to Redis when it answers, and log one warning and one recovery line between
them."""
from __future__ import annotations

import asyncio
import logging
import uuid

import pytest

from base.keystore import RedisKeyStore, ResilientKeyStore
from base.outage import OutageLog
from bot.channels.zalo_state import SentMessageRegistry
from bot.channels.zalo_tokens import RedisTokenStore, TokenManager, ZaloTokens
from bot.lock_store import ResilientLockStore
from tests.faults.dependencies import OwnRedis


@pytest.fixture
def redis_server():
    server = OwnRedis().start()
    yield server
    server.close()


def outage_log(url: str) -> OutageLog:
    return OutageLog(f"Redis at {url}", "memory meanwhile", retry_after_s=0.2)


async def test_key_store_falls_back_and_returns(redis_server, caplog):
    outage = outage_log(redis_server.url)
    store = ResilientKeyStore(RedisKeyStore(redis_server.url, prefix="t:"), outage=outage)
    client = redis_server.client()
    try:
        with caplog.at_level(logging.INFO, logger="base.outage"):
            assert await store.add_if_absent("delivery:1", 60) is True
            assert client.get("t:delivery:1") == b"1"  # shared while Redis answers

            redis_server.stop()
            assert await store.add_if_absent("delivery:1", 60) is True  # unknown here: processed, not dropped
            assert await store.add_if_absent("delivery:1", 60) is False  # but only once
            await store.put("sent:2", "1", 60)
            assert await store.get("sent:2") == "1"
            assert store.may_have_missed_writes()

            redis_server.start()  # a Redis without persistence comes back empty
            await asyncio.sleep(0.25)
            assert await store.add_if_absent("delivery:3", 60) is True
            assert client.get("t:delivery:3") == b"1"  # back on Redis
            assert await store.get("sent:2") == "1"  # what was marked during the outage is still known
            assert await store.add_if_absent("delivery:1", 60) is False
            assert store.may_have_missed_writes()  # for a minute after the outage, marks may be missing
    finally:
        await store.close()
    assert [r.levelname for r in caplog.records if r.name == "base.outage"] == ["WARNING", "INFO"]


async def test_unknown_echo_is_the_bots_own_only_while_marks_may_be_missing(redis_server):
    store = ResilientKeyStore(RedisKeyStore(redis_server.url, prefix=f"t{uuid.uuid4().hex}:"),
                              outage=outage_log(redis_server.url), unsure_after_outage_s=0.5)
    registry = SentMessageRegistry(store)
    try:
        assert await registry.sent_by_bot("u1", "clerk-1", "Chào anh, em là cán bộ phường") is False  # a clerk

        redis_server.stop()
        await registry.before_send("u1", "Đăng ký khai sinh")
        await registry.after_send("m-1")
        assert await registry.sent_by_bot("u1", "m-1", "Đăng ký khai sinh") is True  # known from memory
        assert await registry.sent_by_bot("u1", "elsewhere", "sent by another replica") is True  # unsure: ours

        redis_server.start()
        await asyncio.sleep(0.25)
        assert await registry.sent_by_bot("u1", "elsewhere-2", "maybe another replica's") is True  # just back
        await asyncio.sleep(0.5)
        assert await registry.sent_by_bot("u1", "clerk-2", "Chào anh, em là cán bộ phường") is False  # sure again
    finally:
        await store.close()


async def test_lock_store_locks_in_process_while_redis_is_down(redis_server, caplog):
    outage = outage_log(redis_server.url)
    locks = ResilientLockStore(redis_url=redis_server.url, outage=outage)
    client = redis_server.client()
    order: list[str] = []

    async def handle(name: str, hold_s: float) -> None:
        async with locks.lock("conversation-1", wait_time_in_seconds=0.01):
            order.append(f"{name} in")
            await asyncio.sleep(hold_s)
            order.append(f"{name} out")

    try:
        with caplog.at_level(logging.INFO, logger="base.outage"):
            async with locks.lock("conversation-1"):
                assert client.exists("thutuc:lock:conversation-1")  # in Redis while it answers
            assert not client.exists("thutuc:lock:conversation-1")  # released

            redis_server.stop()
            await asyncio.gather(handle("a", 0.05), handle("b", 0.0))  # still one at a time, in this process
            assert order in (["a in", "a out", "b in", "b out"], ["b in", "b out", "a in", "a out"])  # never both

            redis_server.start()
            await asyncio.sleep(0.25)
            async with locks.lock("conversation-1"):
                assert client.exists("thutuc:lock:conversation-1")  # back on Redis
    finally:
        await locks.close()
    assert [r.levelname for r in caplog.records if r.name == "base.outage"] == ["WARNING", "INFO"]


async def test_zalo_tokens_in_use_survive_an_outage_but_are_not_refreshed(redis_server):
    key = f"thutuc-test:{uuid.uuid4().hex}"
    store = RedisTokenStore(redis_server.url, key=key, lock_key=key + ":lock")
    store._outage = outage_log(redis_server.url)
    refreshed: list[str] = []

    async def refresher(refresh_token: str) -> ZaloTokens:
        refreshed.append(refresh_token)
        return ZaloTokens("AT-1", "RT-1")

    manager = TokenManager(store, refresher, ZaloTokens("AT-0", "RT-0"))
    try:
        assert (await manager.current()).access_token == "AT-0"  # seeded into Redis
        redis_server.stop()
        assert (await manager.current()).access_token == "AT-0"  # messages still go out
        with pytest.raises(Exception):
            await manager.refresh("AT-0")  # no refresh without the shared lock: the refresh token is single use
        assert refreshed == []
    finally:
        await store.close()
