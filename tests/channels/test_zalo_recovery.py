"""A replica that dies holding a Zalo delivery loses nothing: a retry or another replica's sweep takes the claim over
(once), and a delivery that was handled is never handled again (bot/channels/dedupe.py)."""
from __future__ import annotations

import asyncio
import json
import uuid

import aiohttp
import pytest

from base.keystore import InMemoryKeyStore, RedisKeyStore
from bot.channels.dedupe import DeliveryLedger
from bot.channels.zalo_signature import signature_header
from tests.channels.conftest import APP_ID, APP_SECRET, OA_SECRET, USER_ID, make_zalo_channel, text_event
from tests.fakes.channel_app import EchoAgent, RunningApp, SetConversationControl, build_app
from tests.fakes.zalo_server import FakeZaloServer

REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
async def store(request):
    if request.param == "memory":
        yield InMemoryKeyStore()
        return
    prefix = f"thutuc-test:{uuid.uuid4().hex}:"
    shared = RedisKeyStore(REDIS_URL, prefix=prefix)
    yield shared
    keys = await shared._redis.keys(prefix + "*")
    if keys:
        await shared._redis.delete(*keys)
    await shared.close()


async def test_claims_are_taken_over_only_from_silent_owners(store):
    a, b, c = (DeliveryLedger(store, name, heartbeat_s=30) for name in ("a:1:x", "b:1:y", "c:1:z"))
    event = {"event_name": "user_send_text", "message": {"msg_id": "m1"}}
    assert (await a.claim("msg:m1", event)) is not None
    assert await b.claim("msg:m1", event) is None  # a is alive: a retry reaching b is a duplicate
    assert await a.claim("msg:m1", event) is None  # and a does not handle it twice either

    await store.delete("zalo:replica:a:1:x")  # a stops beating (dies)
    taken = await b.claim("msg:m1", event)
    assert taken is not None and taken.taken_over and taken.event == event
    assert await c.claim("msg:m1", event) is None  # one taker
    await b.done("msg:m1")
    assert await c.claim("msg:m1", event) is None  # done stays done

    # Accepted, acknowledged, never handled: nothing will be retried, the sweep finds it.
    assert await c.claim("msg:m2", {"event_name": "user_send_text", "message": {"msg_id": "m2"}}) is not None
    assert await b.orphans() == []  # c is alive
    await store.delete("zalo:replica:c:1:z")
    orphans = await b.orphans()
    assert [o.delivery_id for o in orphans] == ["msg:m2"] and orphans[0].taken_over
    assert await a.orphans() == [] and await b.orphans() == []  # b owns it now, and b is alive
    await b.done("msg:m2")
    assert await store.keys("zalo:inflight:") == []


@pytest.mark.redis
async def test_delivery_of_a_dead_replica_is_answered_once_by_the_other(tmp_path):
    prefix = f"thutuc-test:{uuid.uuid4().hex}:"
    stores = [RedisKeyStore(REDIS_URL, prefix=prefix) for _ in range(2)]
    async with FakeZaloServer(app_id=APP_ID, app_secret=APP_SECRET) as zalo:
        replicas = []
        for index, store in enumerate(stores):
            agent = EchoAgent()
            control = SetConversationControl(agent)
            channel = make_zalo_channel(zalo, tmp_path / "tokens.json", store=store, control=lambda app, c=control: c)
            channel._ledger.heartbeat_s = 0.6
            channel._ledger.owner = f"replica-{index}:1:{uuid.uuid4().hex[:6]}"  # one test process, two "processes"
            replicas.append((agent, channel, await RunningApp(build_app([channel], agent)).start()))
        (agent_a, channel_a, server_a), (agent_b, channel_b, server_b) = replicas
        agent_a.gate = asyncio.Event()  # A accepts and acknowledges, then hangs on the message ...
        try:
            event = text_event("làm hộ chiếu", "m-dead-" + uuid.uuid4().hex)
            raw = json.dumps(event, ensure_ascii=False).encode()
            headers = {"X-ZEvent-Signature": signature_header(APP_ID, raw, event["timestamp"], OA_SECRET)}
            async with aiohttp.ClientSession() as http:
                async with http.post(server_a.url + "/webhooks/zalo/webhook", data=raw, headers=headers) as reply:
                    assert reply.status == 200 and (await reply.json())["status"] == "accepted"
                while not agent_a.received:
                    await asyncio.sleep(0.01)
                # ... and dies: no heartbeat, its task gone, nothing answered or marked done.
                channel_a._watch.cancel()
                for task in list(channel_a._tasks):
                    task.cancel()
                await asyncio.gather(channel_a._watch, *channel_a._tasks, return_exceptions=True)

                for _ in range(100):  # B's sweep takes it over once A's heartbeat has expired
                    if zalo.delivered(USER_ID):
                        break
                    await asyncio.sleep(0.05)
                await channel_b.wait_for_background_tasks()
                # Zalo's retry (had it missed the 200) is now a duplicate on either replica.
                for server in (server_b, server_a):
                    async with http.post(server.url + "/webhooks/zalo/webhook", data=raw, headers=headers) as reply:
                        assert (await reply.json())["status"] == "duplicate"
            await asyncio.sleep(1.5)  # a few more sweeps: still answered once
            assert [m.text for m in agent_b.received] == ["làm hộ chiếu"]
            assert zalo.delivered(USER_ID) == [{"text": "Bạn hỏi: làm hộ chiếu"}]
        finally:
            agent_a.gate.set()
            for _, channel, server in replicas:
                await server.stop()
                await channel.client.close()
            keys = await stores[0]._redis.keys(prefix + "*")
            if keys:
                await stores[0]._redis.delete(*keys)
            for store in stores:
                await store.close()
