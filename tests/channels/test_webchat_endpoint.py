"""The web chat's HTTP surface: page, assets, JSON endpoint, server-issued identity and limits (the browser tests
cover the page)."""
from __future__ import annotations

import unicodedata

import aiohttp
import pytest

from bot.channels import texts
from bot.channels.webchat import WebChatInput
from bot.channels.webchat_identity import HEADER, WebChatIdentity
from tests.fakes.channel_app import EchoAgent, RunningApp, build_app

SECRET = b"web-chat-secret-for-tests-0123456789"


@pytest.fixture
async def chat():
    agent = EchoAgent()
    server = await RunningApp(build_app([WebChatInput(WebChatIdentity(SECRET))], agent)).start()
    async with aiohttp.ClientSession() as http:
        try:
            yield server, agent, http
        finally:
            await server.stop()


async def post(chat, body, token=None):
    server, _, http = chat
    headers = {HEADER: token} if token else {}
    async with http.post(server.url + "/chat/webhook", json=body, headers=headers) as reply:
        return reply.status, reply.headers.get(HEADER), await reply.json()


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


async def test_message_round_trip_keeps_buttons_and_issues_an_identity(chat):
    _, agent, _ = chat
    status, token, body = await post(chat, {"message": "cần giấy tờ gì để khai sinh"})
    assert status == 200
    assert body[0]["text"].startswith("Đăng ký khai sinh — mã 1.001193")
    assert body[0]["buttons"] == [
        {"title": "Lệ phí", "payload": "/ask_fee"},
        {"title": "Thời hạn giải quyết", "payload": "/ask_processing_time"},
    ]
    sender = agent.received[0].sender_id
    assert sender.startswith("web-") and token and sender[4:] in token
    assert agent.received[0].input_channel == "webchat"

    status, again, _ = await post(chat, {"message": "còn lệ phí thì sao"}, token)
    assert status == 200 and again == token and agent.received[1].sender_id == sender


async def test_a_client_chosen_sender_is_ignored(chat):
    _, agent, _ = chat
    for chosen in ("8470117331209467721", "web-abcdef0123456789", "rest-u1"):  # a Zalo user, a web and a REST id
        await post(chat, {"sender": chosen, "message": "xin chào"})
    senders = [m.sender_id for m in agent.received]
    assert len(set(senders)) == 3 and all(s.startswith("web-") and len(s) == 36 for s in senders)
    assert not any(chosen in s for s in senders for chosen in ("8470117331209467721", "abcdef0123456789", "u1"))


async def test_a_forged_or_foreign_token_gets_a_new_identity_never_another_conversation(chat):
    _, agent, _ = chat
    _, token, _ = await post(chat, {"message": "xin chào"})
    owner = agent.received[0].sender_id
    ident = token.split(".")[1]
    forgeries = [
        f"v1.{ident}.{'A' * 43}",  # right id, wrong signature
        WebChatIdentity(b"another-server-secret-0123456789").issue()[1],  # signed by another server
        token[:-1] + ("A" if token[-1] != "A" else "B"),
        ident, "web-" + ident, owner, "v1." + ident, "x" * 5000, "v1..", "",
    ]
    for forged in forgeries:
        status, issued, _ = await post(chat, {"message": "ai đây"}, forged or None)
        assert status == 200 and issued and issued != forged
    senders = [m.sender_id for m in agent.received[1:]]
    assert owner not in senders and len(set(senders)) == len(forgeries)


async def test_text_is_normalised_to_nfc(chat):
    _, agent, _ = chat
    await post(chat, {"message": unicodedata.normalize("NFD", "lệ phí kết hôn")})
    assert agent.received[0].text == unicodedata.normalize("NFC", "lệ phí kết hôn")


async def test_a_long_message_is_cut_to_the_common_cap(chat):
    _, agent, _ = chat
    status, _, _ = await post(chat, {"message": "ă" * 5000})
    assert status == 200 and agent.received[0].text == "ă" * 2000


@pytest.mark.parametrize(
    "body, status",
    [
        (b"{not json", 400),
        (b"[1,2]", 400),
        (b'{"sender": "abcdef0123456789"}', 400),
        (b'{"message": 42}', 400),
        (b'{"message": ["hi"]}', 400),
        (b'{"message": "   "}', 400),
        (b'{"message": "\xff\xfe"}', 400),
        (b'{"message": "hi", "x": ' + b"[" * 5000 + b"]" * 5000 + b"}", 400),
        (b'{"message": "' + b"a" * 100_000 + b'"}', 413),
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
    _, agent, _ = chat

    async def explode(message):
        raise RuntimeError("boom 0912345678")

    agent.handle_message = explode
    status, _, answer = await post(chat, {"message": "xin chào"})
    assert status == 500
    assert answer == {"error": texts.BOT_FAILED}
    assert "sự cố" in texts.BOT_FAILED
