"""Which paths the Rasa server answers from outside, and how it fails: bot/http_guard.py on Rasa's real app."""
from __future__ import annotations

import json

import pytest

from tests.security.conftest import API_TOKEN, build_rasa_app, outside_address
from tests.security.raw_http import build_request, send_raw

FORWARDED = {"X-Forwarded-For": "203.0.113.9"}


async def request(server, method, target, *, outside=False, body=b"", headers=None):
    host = outside_address() if outside else "127.0.0.1"
    if host is None:
        pytest.skip("this machine has no non-loopback IPv4 address")
    return await send_raw(host, server.port, build_request(method, target, host, body, headers))


PRIVATE = [
    ("GET", "/"),
    ("GET", f"/status?token={API_TOKEN}"),
    ("GET", f"/version"),
    ("GET", f"/conversations/web-x/tracker?token={API_TOKEN}"),
    ("DELETE", "/conversations/web-x/tracker"),  # a wrong method must not reveal the route either (no 405)
    ("OPTIONS", "/conversations/web-x/tracker"),  # Sanic-Cors would answer 200 before any middleware
    ("HEAD", f"/status?token={API_TOKEN}"),
    ("POST", f"/model/parse?token={API_TOKEN}"),
    ("GET", "/webhooks/rest/"),
    ("POST", "/webhooks/rest/webhook"),
    ("GET", "/chat/../status"),
    ("GET", "/chat/%2e%2e/status"),
    ("GET", "/chat/%2E%2E%2Fstatus"),
    ("GET", "//status"),
    ("GET", "/chat//../version"),
    ("GET", "/webhooks/zalo/../rest/"),
    ("GET", "/clerk\\..\\status"),
]


@pytest.mark.parametrize("method, target", PRIVATE)
async def test_private_paths_are_not_found_from_outside(rasa_app, method, target):
    for kwargs in ({"outside": True}, {"headers": FORWARDED}):  # a foreign peer, or a proxy on this host
        answer = await request(rasa_app, method, target, body=b'{"sender": "x", "message": "hi"}', **kwargs)
        assert answer.status == 404, (target, kwargs, answer.status, answer.text)
        assert method == "HEAD" or json.loads(answer.body) == {"error": "Not Found"}


async def test_public_paths_answer_from_outside(rasa_app):
    for target, expected in [("/chat/", 200), ("/chat/static/chat.js", 200), ("/chat/embed.js", 200),
                             ("/chat", 302), ("/clerk/", 200), ("/clerk/static/clerk.js", 200),
                             ("/admin/", 200), ("/admin/static/admin.js", 200), ("/admin", 302),
                             ("/admin/api/report", 401), ("/webhooks/zalo/", 200)]:
        answer = await request(rasa_app, "GET", target, outside=True)
        assert answer.status == expected, (target, answer.status)
    unsigned = await request(rasa_app, "POST", "/webhooks/zalo/webhook", outside=True, body=b"{}")
    assert unsigned.status == 401
    sync = await request(rasa_app, "POST", "/api/dossiers/sync", outside=True, body=b"{}")
    assert sync.status == 401  # public path, but the one-stop system's token is required


async def test_the_rasa_api_and_rest_answer_on_loopback(rasa_app):
    root = await request(rasa_app, "GET", "/")
    assert root.status == 200 and "Rasa" in root.text
    version = await request(rasa_app, "GET", "/version")
    assert version.status == 200
    rest = await request(rasa_app, "POST", "/webhooks/rest/webhook",
                         body=json.dumps({"sender": "u1", "message": "xin chào"}).encode())
    assert rest.status == 200 and json.loads(rest.body) == [{"recipient_id": "rest-u1", "text": "Bạn hỏi: xin chào"}]


async def test_rest_through_a_local_proxy_is_refused(rasa_app):
    """A proxy on this host forwarding the REST path by mistake still cannot reach the channel."""
    app = rasa_app.app
    from bot.http_guard import PUBLIC_PREFIXES

    assert not any("/webhooks/rest".startswith(prefix.rstrip("/")) for prefix in PUBLIC_PREFIXES)
    answer = await request(rasa_app, "POST", "/webhooks/rest/webhook", headers=FORWARDED,
                           body=b'{"sender": "u1", "message": "hi"}')
    assert answer.status == 404 and app.ctx.agent.received == []


async def test_buffered_bodies_are_capped_with_413(rasa_app):
    big = b"x" * (64 * 1024 + 1)
    for kwargs in ({"outside": True}, {}):
        answer = await request(rasa_app, "POST", "/clerk/logout", body=big, **kwargs)
        assert answer.status == 413 and json.loads(answer.body) == {"error": "Request Entity Too Large"}
    fits = await request(rasa_app, "POST", "/clerk/logout", body=b"x" * 1000, outside=True)
    assert fits.status == 200


async def test_a_crash_is_a_bare_500_without_internals(rasa_app, caplog):
    async def broken(request):
        raise RuntimeError("bot.channels secret at File \"rasa/server.py\"")

    rasa_app.app.router.reset()
    rasa_app.app.add_route(broken, "/chat/broken-for-test")
    rasa_app.app.router.finalize()
    answer = await request(rasa_app, "GET", "/chat/broken-for-test", outside=True)
    assert answer.status == 500 and json.loads(answer.body) == {"error": "Internal Server Error"}
    assert "RuntimeError" in caplog.text  # the details go to the log


def test_the_wrapper_builds_what_rasa_builds(monkeypatch, tmp_path):
    """Same routes as Rasa's own configure_app (tested against Rasa's result), plus our rules."""
    import rasa.core.run as rasa_run
    from rasa.core.run import create_http_input_channels

    env = {"THUTUC_WEBCHAT_SECRET_FILE": str(tmp_path / "secret")}
    ours = build_rasa_app(env, monkeypatch)
    original = rasa_run.configure_app.__wrapped__
    channels = create_http_input_channels(None, "credentials.yml")
    theirs = original(channels, cors=None, auth_token=API_TOKEN, enable_api=True)
    assert {r.path for r in ours.router.routes} == {r.path for r in theirs.router.routes}
    assert ours.config.REQUEST_MAX_SIZE == 64 * 1024 and theirs.config.REQUEST_MAX_SIZE == 100_000_000


def test_production_leaves_the_rest_channel_out_unless_asked(monkeypatch, tmp_path):
    secrets = {"THUTUC_ENV": "production", "THUTUC_WEBCHAT_SECRET": "s" * 32}
    app = build_rasa_app(secrets, monkeypatch)
    assert not any(r.path.startswith("webhooks/rest") for r in app.router.routes)
    assert any(r.path.startswith("chat") for r in app.router.routes)
    app = build_rasa_app({**secrets, "THUTUC_REST_CHANNEL": "on"}, monkeypatch)
    assert any(r.path.startswith("webhooks/rest") for r in app.router.routes)
    app = build_rasa_app({"THUTUC_ENV": "development", "THUTUC_REST_CHANNEL": "off",
                          "THUTUC_WEBCHAT_SECRET_FILE": str(tmp_path / "secret")}, monkeypatch)
    assert not any(r.path.startswith("webhooks/rest") for r in app.router.routes)


@pytest.mark.parametrize("raw, status", [
    (b"POST /chat/webhook HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n", 400),  # Sanic alone: 500
    (b"POST /chat/webhook HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n", 400),  # Sanic alone: hangs
    (b"POST /chat/webhook HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n", 400),  # Sanic alone: 500
    (b"POST /chat/webhook HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n{}", 400),  # hangs
    (b"POST /chat/webhook HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}", 400),
    (b"GET /chat/\xc3\xa9 HTTP/1.1\r\nHost: x\r\n\r\n", 404),  # Sanic alone: connection dropped, no answer
    (b"GET /chat/\xff HTTP/1.1\r\nHost: x\r\n\r\n", 404),
    (b"GET /chat/ HTTP/1.1\r\nHost: x\r\n\r\n", 200),
])
async def test_malformed_heads_get_a_short_answer(rasa_app, raw, status):
    raw = raw.replace(b"Host: x\r\n", b"Host: x\r\nConnection: close\r\n")
    answer = await send_raw("127.0.0.1", rasa_app.port, raw, timeout_s=10)
    assert answer.status == status, answer.text
    if status != 200:
        assert set(json.loads(answer.body)) == {"error"}
