"""Every citizen channel puts a server-derived client key into the message metadata, whatever the client sends."""
from __future__ import annotations

import aiohttp

from base.clients import ClientKeys
from bot.channels.rest import LocalRestInput
from bot.channels.webchat import WebChatInput
from tests.channels.conftest import USER_ID, text_event
from tests.fakes.channel_app import EchoAgent, RunningApp, build_app


async def _post_from(address: str, url: str, payload: dict, headers: dict | None = None) -> int:
    """POST from a chosen loopback source address (127.0.0.0/8 is all ours), as another client would."""
    connector = aiohttp.TCPConnector(local_addr=(address, 0))
    async with aiohttp.ClientSession(connector=connector) as http:
        async with http.post(url, json=payload, headers=headers or {}) as reply:
            await reply.read()
            return reply.status


async def test_web_chat_and_rest_key_clients_by_their_tcp_peer():
    agent = EchoAgent()
    server = await RunningApp(build_app([WebChatInput(client_keys=ClientKeys()), LocalRestInput(client_keys=ClientKeys())], agent)).start()
    try:
        forged = {"X-Real-IP": "198.51.100.1"}  # no proxy is trusted: ignored
        assert await _post_from("127.0.0.2", server.url + "/chat/webhook",
                                {"sender": "abcdef0123456789", "message": "xin chào"}, forged) == 200
        assert await _post_from("127.0.0.3", server.url + "/webhooks/rest/webhook",
                                {"sender": "u1", "message": "xin chào",
                                 "metadata": {"thutuc_client": "ip:192.0.2.99", "other": "x"}}) == 200
    finally:
        await server.stop()
    web, rest = agent.received
    assert web.metadata == {"channel": "webchat", "thutuc_client": "ip:127.0.0.2"}
    assert rest.metadata == {"channel": "rest", "thutuc_client": "ip:127.0.0.3"}  # the client's metadata is dropped
    assert rest.input_channel == "rest"


async def test_behind_a_trusted_proxy_the_real_ip_header_names_the_client():
    agent = EchoAgent()
    keys = ClientKeys("127.0.0.0/8", "X-Real-IP")
    server = await RunningApp(build_app([WebChatInput(client_keys=keys), LocalRestInput(client_keys=keys)], agent)).start()
    try:
        header = {"X-Real-IP": "203.0.113.7"}
        assert await _post_from("127.0.0.1", server.url + "/chat/webhook",
                                {"sender": "abcdef0123456789", "message": "xin chào"}, header) == 200
        # The REST channel never serves what came through a proxy: it is for this machine only.
        assert await _post_from("127.0.0.1", server.url + "/webhooks/rest/webhook",
                                {"sender": "u1", "message": "xin chào"}, header) == 403
    finally:
        await server.stop()
    assert [m.metadata["thutuc_client"] for m in agent.received] == ["ip:203.0.113.7"]


async def test_zalo_messages_carry_a_keyed_hash_of_the_signed_user_id(zalo_harness):
    assert await zalo_harness.post_event(text_event("xin chào", "msg-client-key")) == 200
    await zalo_harness.settle()
    (message,) = zalo_harness.agent.received
    key = message.metadata["thutuc_client"]
    assert key == ClientKeys.from_settings().for_zalo_user(USER_ID)
    assert key.startswith("zalo:") and USER_ID not in key
