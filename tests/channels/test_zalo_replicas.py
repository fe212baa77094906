"""Two replicas behind one OA: a delivery retried onto the other replica is still answered once (Redis)."""
from __future__ import annotations

import json
import uuid

import aiohttp
import pytest

from base.keystore import RedisKeyStore
from bot.channels.zalo_signature import signature_header
from tests.channels.conftest import APP_ID, APP_SECRET, OA_SECRET, USER_ID, make_zalo_channel, text_event
from tests.fakes.channel_app import EchoAgent, RunningApp, SetConversationControl, build_app
from tests.fakes.zalo_server import FakeZaloServer

pytestmark = pytest.mark.redis


async def test_retry_on_another_replica_is_answered_once(tmp_path):
    prefix = f"thutuc-test:{uuid.uuid4().hex}:"
    stores = [RedisKeyStore("redis://127.0.0.1:6379/0", prefix=prefix) for _ in range(2)]
    async with FakeZaloServer(app_id=APP_ID, app_secret=APP_SECRET) as zalo:
        replicas = []
        for index, store in enumerate(stores):
            agent = EchoAgent()
            control = SetConversationControl(agent)
            channel = make_zalo_channel(zalo, tmp_path / "tokens.json", store=store, control=lambda app, c=control: c)
            replicas.append((agent, channel, await RunningApp(build_app([channel], agent)).start()))
        try:
            event = text_event("làm hộ chiếu", "m-replica-" + uuid.uuid4().hex)
            raw = json.dumps(event, ensure_ascii=False).encode()
            headers = {"X-ZEvent-Signature": signature_header(APP_ID, raw, event["timestamp"], OA_SECRET)}
            async with aiohttp.ClientSession() as http:
                for _, _, server in replicas:  # first delivery on A, Zalo's retry lands on B
                    async with http.post(server.url + "/webhooks/zalo/webhook", data=raw, headers=headers) as reply:
                        assert reply.status == 200
            for _, channel, _ in replicas:
                await channel.wait_for_background_tasks()

            assert sum(len(agent.received) for agent, _, _ in replicas) == 1
            assert zalo.delivered(USER_ID) == [{"text": "Bạn hỏi: làm hộ chiếu"}]
        finally:
            for _, channel, server in replicas:
                await server.stop()
                await channel.client.close()
            keys = await stores[0]._redis.keys(prefix + "*")
            if keys:
                await stores[0]._redis.delete(*keys)
            for store in stores:
                await store.close()
