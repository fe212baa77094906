"""The web chat's long poll (`GET /chat/updates`): a clerk's message reaches the page bound to its server-issued
identity, at once while it waits, on return otherwise; it counts as delivered only once the page confirms it."""
from __future__ import annotations

import asyncio
import time

import aiohttp
import pytest

from bot.channels.webchat import WebChatInput
from bot.channels.webchat_identity import HEADER, WebChatIdentity
from bot.channels.webchat_push import PushNotifier
from tests.fakes.channel_app import EchoAgent, RunningApp, build_app

SECRET = b"push-test-secret-0123456789abcdef"


@pytest.fixture
async def chat(tmp_path):
    from base.db import make_engine
    from base.outbox import Outbox

    engine = make_engine(f"sqlite:///{tmp_path / 'outbox.db'}")
    outbox = Outbox(engine)
    notifier = PushNotifier()
    identity = WebChatIdentity(SECRET)
    channel = WebChatInput(identity, outbox=lambda: outbox, notifier=notifier, poll_s=3)
    server = await RunningApp(build_app([channel], EchoAgent())).start()
    async with aiohttp.ClientSession() as http:
        try:
            yield server, http, outbox, notifier, identity
        finally:
            await server.stop()
            engine.dispose()


async def updates(server, http, token, after=0):
    headers = {HEADER: token} if token else {}
    async with http.get(server.url + "/chat/updates", params={"after": str(after)}, headers=headers) as reply:
        return reply.status, await reply.json()


async def test_a_waiting_page_gets_the_clerks_message_at_once(chat):
    server, http, outbox, notifier, identity = chat
    sender, token = identity.issue()
    poll = asyncio.create_task(updates(server, http, token))
    for _ in range(100):  # until the poll waits
        if notifier.waiting(sender):
            break
        await asyncio.sleep(0.02)
    started = time.monotonic()
    message = outbox.put(sender, "Chào bạn, mình là cán bộ Lan.")
    notifier.notify(sender)
    status, body = await poll
    assert time.monotonic() - started < 1.0  # not the 3 s poll, not the 2 s recheck
    assert status == 200 and body == {"messages": [{"id": message.id, "from": "clerk", "text": "Chào bạn, mình là cán bộ Lan."}]}
    assert outbox.messages(sender)[0].delivered_at is None  # shown is not yet confirmed

    status, body = await updates(server, http, token, after=message.id)  # the next poll confirms it
    assert body == {"messages": []}
    assert outbox.messages(sender)[0].delivered_at is not None


async def test_a_message_waits_for_the_citizen_to_come_back(chat):
    server, http, outbox, _, identity = chat
    sender, token = identity.issue()
    first = outbox.put(sender, "Câu trả lời thứ nhất")
    second = outbox.put(sender, "Câu trả lời thứ hai")
    status, body = await updates(server, http, token)  # the page opens again later
    assert [m["text"] for m in body["messages"]] == ["Câu trả lời thứ nhất", "Câu trả lời thứ hai"]
    status, body = await updates(server, http, token, after=first.id)  # shown only the first before closing
    assert [m["id"] for m in body["messages"]] == [second.id]
    assert [m.delivered_at is not None for m in outbox.messages(sender)] == [True, False]


async def test_only_the_identity_the_message_is_for_receives_it(chat):
    server, http, outbox, _, identity = chat
    sender, token = identity.issue()
    outbox.put(sender, "Riêng cho người này")
    _, other = identity.issue()
    started = time.monotonic()
    status, body = await updates(server, http, other)
    assert status == 200 and body == {"messages": []} and time.monotonic() - started >= 2.5  # waited, got nothing
    forged = "v1." + sender[4:] + ".AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
    for bad in (None, "", forged, sender):
        status, body = await updates(server, http, bad)
        assert status == 401 and body == {"error": "Chưa có cuộc trò chuyện."}
    async with http.get(server.url + "/chat/updates", params={"after": "-1"}, headers={HEADER: token}) as reply:
        assert reply.status == 400
    assert outbox.messages(sender)[0].delivered_at is None
