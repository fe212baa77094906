"""Our REST channel: loopback clients only, its own conversation-id prefix, the common cap, bounded JSON."""
from __future__ import annotations

import json

import aiohttp
import pytest

from base.settings import Settings
from bot.channels.rest import LocalRestInput
from tests.fakes.channel_app import EchoAgent, RunningApp, build_app
from tests.security.conftest import outside_address


@pytest.fixture
async def rest():
    agent = EchoAgent()
    server = await RunningApp(build_app([LocalRestInput(Settings())], agent), host="0.0.0.0").start()
    async with aiohttp.ClientSession() as http:
        try:
            yield server, agent, http
        finally:
            await server.stop()


async def post(rest, body, host="127.0.0.1", headers=None):
    server, _, http = rest
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    async with http.post(f"http://{host}:{server.port}/webhooks/rest/webhook", data=data, headers=headers) as reply:
        return reply.status, await reply.json()


async def test_conversation_ids_get_their_own_prefix(rest):
    _, agent, _ = rest
    status, answer = await post(rest, {"sender": "8470117331209467721", "message": "xin chào",
                                       "input_channel": "zalo", "metadata": {"x": 1}})
    assert status == 200 and answer == [{"recipient_id": "rest-8470117331209467721", "text": "Bạn hỏi: xin chào"}]
    message = agent.received[0]
    assert message.sender_id == "rest-8470117331209467721"  # never a Zalo user's (digits) or a web (web-…) id
    # The client's metadata is dropped; the server sets the channel and the client key it saw.
    assert message.input_channel == "rest" and message.metadata == {"channel": "rest", "thutuc_client": "ip:127.0.0.1"}


async def test_text_is_capped_before_the_bot_sees_it(rest):
    _, agent, _ = rest
    status, _ = await post(rest, {"sender": "u1", "message": "a" * 60_000})
    assert status == 200 and agent.received[0].text == "a" * 2000


@pytest.mark.parametrize("body, status", [
    (b"{", 400), (b"[]", 400), (b'"text"', 400), (b'{"message": "hi"}', 400), (b'{"sender": 5, "message": "hi"}', 400),
    (b'{"sender": "u1", "message": {"text": "hi"}}', 400), (b'{"sender": "' + b"x" * 65 + b'", "message": "hi"}', 400),
    (b'{"sender": "u\\n1", "message": "hi"}', 400), (b"[" * 100_000, 413), (b"[" * 50_000, 400),
    (b'{"sender": "u1", "message": "' + b"a" * 70_000 + b'"}', 413),
])
async def test_bad_bodies_are_refused_without_reaching_the_bot(rest, body, status):
    _, agent, _ = rest
    answer_status, answer = await post(rest, body)
    assert answer_status == status and set(answer) == {"error"}
    assert agent.received == []


async def test_only_local_clients_are_served(rest):
    _, agent, _ = rest
    status, answer = await post(rest, {"sender": "u1", "message": "hi"}, headers={"X-Real-IP": "203.0.113.5"})
    assert status == 403 and answer == {"error": "the REST channel serves local clients only"}
    host = outside_address()
    if host is not None:
        status, _ = await post(rest, {"sender": "u1", "message": "hi"}, host=host)
        assert status == 403
    assert agent.received == []


def test_enabled_by_environment():
    assert LocalRestInput(Settings()).is_enabled()
    assert not LocalRestInput(Settings(env="production")).is_enabled()
    assert LocalRestInput(Settings(env="production", rest_channel=True)).is_enabled()
    assert not LocalRestInput(Settings(rest_channel=False)).is_enabled()
