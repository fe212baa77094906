"""Calls to the action server reuse connections and keep Rasa's request behaviour."""
from __future__ import annotations

import asyncio
import time

import pytest
from aiohttp import web
from rasa.utils.endpoints import ClientResponseError, EndpointConfig

from bot.perf import action_http
from bot.perf.action_http import ActionServerEndpoint


async def _serve(handler):
    app = web.Application()
    app.router.add_post("/webhook", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    return runner, f"http://127.0.0.1:{port}/webhook"


def test_requests_share_one_connection_and_keep_headers_and_auth(monkeypatch):
    monkeypatch.setattr(EndpointConfig, "session", action_http.pooled_session)
    peers, seen = set(), []

    async def handler(request):
        peers.add(request.transport.get_extra_info("peername"))
        seen.append((request.headers.get("Authorization"), request.headers.get("X-Ward"), await request.json()))
        return web.json_response({"events": [], "responses": [{"text": "Xin chào"}]})

    async def scenario():
        runner, url = await _serve(handler)
        try:
            endpoint = EndpointConfig(url, headers={"X-Ward": "phuong-1"},
                                      basic_auth={"username": "rasa", "password": "secret"})
            replies = [await endpoint.request(json={"next_action": f"a{i}"}, method="post") for i in range(5)]
        finally:
            await runner.cleanup()
        return replies

    replies = asyncio.run(scenario())
    assert replies == [{"events": [], "responses": [{"text": "Xin chào"}]}] * 5
    assert len(peers) == 1  # one TCP connection for five calls
    assert all(auth and auth.startswith("Basic ") and ward == "phuong-1" for auth, ward, _ in seen)
    assert [body["next_action"] for *_, body in seen] == [f"a{i}" for i in range(5)]


def test_errors_are_still_rasas(monkeypatch):
    monkeypatch.setattr(EndpointConfig, "session", action_http.pooled_session)

    async def handler(request):
        return web.json_response({"error": "bad"}, status=400)

    async def scenario():
        runner, url = await _serve(handler)
        try:
            await EndpointConfig(url).request(json={}, method="post")
        finally:
            await runner.cleanup()

    with pytest.raises(ClientResponseError) as error:
        asyncio.run(scenario())
    assert error.value.status == 400


def test_a_new_connection_after_the_server_restarts(monkeypatch):
    monkeypatch.setattr(EndpointConfig, "session", action_http.pooled_session)

    async def handler(request):
        return web.json_response({"ok": True})

    async def scenario():
        runner, url = await _serve(handler)
        endpoint = EndpointConfig(url)
        first = await endpoint.request(json={}, method="post")
        port = int(url.split(":")[2].split("/")[0])
        await runner.cleanup()  # the pooled connection is closed by the server
        app = web.Application()
        app.router.add_post("/webhook", handler)
        runner = web.AppRunner(app)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        try:
            second = await endpoint.request(json={}, method="post")
        finally:
            await runner.cleanup()
        return first, second

    assert asyncio.run(scenario()) == ({"ok": True}, {"ok": True})


async def test_action_calls_carry_the_secret_and_end_within_the_timeout(settings_env):
    settings_env(THUTUC_ACTION_SECRET="s3cret-for-tests", THUTUC_ACTION_TIMEOUT="0.5")
    seen = []

    async def slow(request):
        seen.append(request.headers.get("X-Thutuc-Action-Secret"))
        if (await request.json()).get("slow"):
            await asyncio.sleep(5)
        return web.json_response({"events": [], "responses": []})

    runner, url = await _serve(slow)
    endpoint = ActionServerEndpoint(url)
    try:
        assert await endpoint.request(json={}, method="post") == {"events": [], "responses": []}
        started = time.monotonic()
        with pytest.raises(asyncio.TimeoutError):
            await endpoint.request(json={"slow": True}, method="post", timeout=300)  # Rasa's five minutes, overridden
        assert time.monotonic() - started < 1.5
    finally:
        await runner.cleanup()
    assert seen == ["s3cret-for-tests", "s3cret-for-tests"]
