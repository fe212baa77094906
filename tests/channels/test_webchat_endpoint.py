"""The web chat's HTTP surface: page, assets, JSON endpoint and its limits (the browser tests cover the page)."""
from __future__ import annotations

import unicodedata

import aiohttp
import pytest

from bot.channels import texts
from bot.channels.webchat import MAX_MESSAGE_CHARS, WebChatInput
from tests.fakes.channel_app import EchoAgent, RunningApp, build_app


@pytest.fixture
async def chat():
    agent = EchoAgent()
    server = await RunningApp(build_app([WebChatInput()], agent)).start()
    async with aiohttp.ClientSession() as http:
        try:
            yield server, agent, http
        finally:
            await server.stop()


async def test_page_and_assets_are_served_with_a_strict_policy(chat):
    server, _, http = chat
    async with http.get(server.url + "/chat/") as page:
        html = await page.text()
        assert page.status == 200 and page.content_type == "text/html"
        assert '<html lang="vi">' in html and "static/chat.js" in html
        policy = page.headers["Content-Security-Policy"]
        assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    async with http.get(server.url + "/chat", allow_redirects=False) as bare:
        assert bare.status in (301, 302, 307, 308) and bare.headers["Location"].endswith("/chat/")
    async with http.get(server.url + "/chat/static/chat.js") as script:
        assert script.status == 200 and "textContent" in await script.text()
        assert "innerHTML" not in await script.text()
    async with http.get(server.url + "/chat/embed.js") as embed:
        assert embed.status == 200 and "iframe" in await embed.text()
    for name in ("../settings.py", "chat.html.bak", "..%2F..%2Fsettings.py"):
        async with http.get(server.url + "/chat/static/" + name) as missing:
            assert missing.status == 404


async def test_message_round_trip_keeps_buttons_and_prefixes_the_sender(chat):
    server, agent, http = chat
    payload = {"sender": "abcdef0123456789", "message": "cần giấy tờ gì để khai sinh"}
    async with http.post(server.url + "/chat/webhook", json=payload) as reply:
        body = await reply.json()
    assert reply.status == 200
    assert body[0]["text"].startswith("Đăng ký khai sinh — mã 1.001193")
    assert body[0]["buttons"] == [
        {"title": "Lệ phí", "payload": "/ask_fee"},
        {"title": "Thời hạn giải quyết", "payload": "/ask_processing_time"},
    ]
    assert agent.received[0].sender_id == "web-abcdef0123456789"
    assert agent.received[0].input_channel == "webchat"


async def test_text_is_normalised_to_nfc(chat):
    server, agent, http = chat
    text = unicodedata.normalize("NFD", "lệ phí kết hôn")
    async with http.post(server.url + "/chat/webhook", json={"sender": "abcdef0123456789", "message": text}):
        pass
    assert agent.received[0].text == unicodedata.normalize("NFC", "lệ phí kết hôn")


@pytest.mark.parametrize(
    "body, status",
    [
        (b"{not json", 400),
        (b"[1,2]", 400),
        (b'{"sender": "short", "message": "hi"}', 400),
        (b'{"sender": "../../etc/passwd", "message": "hi"}', 400),
        (b'{"sender": "abcdef0123456789", "message": 42}', 400),
        (b'{"sender": "abcdef0123456789", "message": "   "}', 400),
        (('{"sender": "abcdef0123456789", "message": "%s"}' % ("a" * (MAX_MESSAGE_CHARS + 1))).encode(), 413),
        (b'{"sender": "abcdef0123456789", "message": "' + b"a" * 100_000 + b'"}', 413),
    ],
)
async def test_bad_requests_get_a_vietnamese_error_and_reach_no_bot(chat, body, status):
    server, agent, http = chat
    async with http.post(server.url + "/chat/webhook", data=body, headers={"Content-Type": "application/json"}) as reply:
        answer = await reply.json()
    assert reply.status == status
    assert answer["error"] and any(ch in answer["error"] for ch in "ạảãáàâăêôơư")
    assert agent.received == []


async def test_a_crashing_bot_gives_a_polite_error(chat):
    server, agent, http = chat

    async def explode(message):
        raise RuntimeError("boom 0912345678")

    agent.handle_message = explode
    async with http.post(server.url + "/chat/webhook", json={"sender": "abcdef0123456789", "message": "xin chào"}) as reply:
        answer = await reply.json()
    assert reply.status == 500
    assert answer == {"error": texts.BOT_FAILED}
    assert "sự cố" in texts.BOT_FAILED
