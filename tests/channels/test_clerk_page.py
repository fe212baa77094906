"""The clerk page's HTTP surface against the real knowledge base (project data in a temp SQLite) and ticket store."""
from __future__ import annotations

import asyncio
import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from bot.channels.citizen_replies import CitizenReplies
from bot.channels.clerk import COOKIE_NAME, ClerkInput, ClerkServices
from bot.channels.webchat_push import PushNotifier
from bot.channels.zalo import ZaloOutput
from tests.channels.conftest import APP_ID, APP_SECRET, make_zalo_channel
from tests.fakes.channel_app import EchoAgent, RunningApp, build_app
from tests.fakes.zalo_server import FakeZaloServer

PROJECT_ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "mat-khau-cua-lan-42"
PASSWORD_MINH = "mat-khau-cua-minh-42"
ZALO_USER = "8470117331209467721"


@pytest.fixture(scope="module")
def knowledge_engine(tmp_path_factory):
    from base.db import make_engine
    from knowledge.loader import load_curated

    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('clerk') / 'kb.db'}")
    load_curated(engine, PROJECT_ROOT / "knowledge" / "data")
    return engine


class FakeRasaApi:
    """Records `POST /conversations/{id}/tracker/events` like Rasa's HTTP API."""

    def __init__(self, status: int = 200) -> None:
        self.status = status
        self.events: list[tuple[str, dict]] = []

    async def handle(self, request: web.Request) -> web.Response:
        self.events.append((request.match_info["conversation_id"], await request.json()))
        return web.json_response({"ok": True}, status=self.status)


class FakeConversations:
    """The conversation record (ConversationRecord) of an in-memory 'tracker': a list of messages per sender."""

    def __init__(self) -> None:
        self.messages: dict[str, list[dict]] = {}

    def __call__(self, app):
        return self

    async def transcript(self, sender_id):
        return list(self.messages.get(sender_id, []))

    async def add_staff_message(self, sender_id, text, staff_name):
        self.messages.setdefault(sender_id, []).append({"from": "clerk", "text": text, "clerk": staff_name, "at": 1.0})


@pytest.fixture
async def clerk(knowledge_engine, tmp_path):
    from base.audit import AuditLog
    from base.outbox import Outbox
    from base.ratelimit import SlidingWindowCounter, SqlEventStore
    from handoff.accounts import AccountStore
    from handoff.login_limits import LoginLimiter
    from handoff.store import ConversationStore, close_and_resume
    from knowledge.api import KnowledgeBase
    from base.db import make_engine

    rasa = FakeRasaApi()
    rasa_app = web.Application()
    rasa_app.router.add_post("/conversations/{conversation_id}/tracker/events", rasa.handle)
    runner = web.AppRunner(rasa_app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    rasa_url = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"

    engine = make_engine(f"sqlite:///{tmp_path / 'desk.db'}")  # accounts, audit, outbox, limits: this test's own
    accounts = AccountStore(engine)
    accounts.add_user("lan", "clerk", PASSWORD)
    accounts.add_user("minh", "clerk", PASSWORD_MINH)
    store = ConversationStore(knowledge_engine)
    outbox, audit = Outbox(engine), AuditLog(engine)
    notifier = PushNotifier()
    async with FakeZaloServer(app_id=APP_ID, app_secret=APP_SECRET) as zalo:
        zalo_channel = make_zalo_channel(zalo, tmp_path / "zalo_tokens.json")
        replies = CitizenReplies(lambda: outbox, lambda: ZaloOutput(zalo_channel.client, zalo_channel.store), notifier)
        services = ClerkServices(
            knowledge=lambda: KnowledgeBase(knowledge_engine),
            tickets=lambda: store,
            close_and_resume=functools.partial(close_and_resume, rasa_url=rasa_url, token=None),
            accounts=lambda: accounts,
            audit=lambda: audit,
            login_limiter=lambda: LoginLimiter(SlidingWindowCounter(SqlEventStore(engine)), 10, 5, 900),
            replies=lambda: replies,
        )
        conversations = FakeConversations()
        server = await RunningApp(build_app([ClerkInput(services=services, conversations=conversations)],
                                            EchoAgent())).start()
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
            try:
                yield Desk(server, http, store, rasa, accounts, audit, outbox, zalo, conversations, notifier)
            finally:
                await server.stop()
                await runner.cleanup()
                await zalo_channel.client.close()
                for ticket in store.list_tickets(None):
                    store.close_ticket(ticket.id)
                engine.dispose()


@dataclass
class Desk:
    server: Any
    http: aiohttp.ClientSession
    store: Any
    rasa: FakeRasaApi
    accounts: Any
    audit: Any
    outbox: Any
    zalo: FakeZaloServer
    conversations: FakeConversations
    notifier: PushNotifier

    def __iter__(self):  # server, http, store, rasa = desk
        return iter((self.server, self.http, self.store, self.rasa))


HEADERS = {"X-Requested-With": "thutuc-clerk"}


async def login(server, http, name="lan", password=PASSWORD):
    async with http.post(server.url + "/clerk/login", json={"name": name, "password": password}) as reply:
        login.last_set_cookie = reply.headers.get("Set-Cookie", "")
        return reply.status, await reply.json()


async def test_everything_but_the_page_requires_login(clerk):
    server, http, _, _ = clerk
    async with http.get(server.url + "/clerk/") as page:
        assert page.status == 200 and "Bàn cán bộ" in await page.text()
        assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
    for path in ("/clerk/api/session", "/clerk/api/search?q=khai", "/clerk/api/procedures/1.001193", "/clerk/api/tickets",
                 "/clerk/api/tickets/1/conversation"):
        async with http.get(server.url + path) as reply:
            assert reply.status == 401, path
            assert (await reply.json())["error"].startswith("Vui lòng đăng nhập")
    async with http.post(server.url + "/clerk/api/tickets/1/reply", json={"text": "x"}, headers=HEADERS) as reply:
        assert reply.status == 401
    async with http.get(server.url + "/clerk/procedures/1.001193/checklist", allow_redirects=False) as checklist:
        assert checklist.status in (302, 303, 307) and checklist.headers["Location"] == "/clerk/"

    status, body = await login(server, http, "lan", "wrong-password")
    assert (status, body["error"]) == (401, "Tên đăng nhập hoặc mật khẩu không đúng.")
    status, body = await login(server, http, "nobody", PASSWORD)
    assert (status, body["error"]) == (401, "Tên đăng nhập hoặc mật khẩu không đúng.")  # same answer: names stay secret
    status, body = await login(server, http, "LAN ")
    assert status == 200 and body == {"ok": True, "name": "lan", "role": "clerk"}
    set_cookie = login.last_set_cookie.lower()
    assert set_cookie.startswith(COOKIE_NAME + "=") and PASSWORD not in set_cookie
    assert "httponly" in set_cookie and "samesite=strict" in set_cookie and "path=/" in set_cookie
    assert "max-age=43200" in set_cookie
    async with http.get(server.url + "/clerk/api/session") as reply:
        assert reply.status == 200 and (await reply.json())["name"] == "lan"

    async with http.post(server.url + "/clerk/logout") as reply:
        assert reply.status == 200
    async with http.get(server.url + "/clerk/api/session") as reply:
        assert reply.status == 401


async def test_a_stolen_cookie_stops_working_on_logout_and_on_disable(clerk):
    server, http, _, _ = clerk
    await login(server, http)
    token = http.cookie_jar.filter_cookies(server.url)[COOKIE_NAME].value
    async with aiohttp.ClientSession() as other:
        cookie = {"Cookie": f"{COOKIE_NAME}={token}"}
        async with other.get(server.url + "/clerk/api/session", headers=cookie) as reply:
            assert reply.status == 200
        clerk.accounts.set_active("lan", False)
        async with other.get(server.url + "/clerk/api/session", headers=cookie) as reply:
            assert reply.status == 401
    status, _ = await login(server, http)
    assert status == 401  # a disabled account cannot log in
    clerk.accounts.set_active("lan", True)
    assert (await login(server, http))[0] == 200


async def test_login_attempts_are_throttled_per_address(clerk):
    server, http, _, _ = clerk
    statuses = [(await login(server, http, f"guess-{i}", "wrong-password"))[0] for i in range(11)]
    assert statuses[:10] == [401] * 10 and statuses[10] == 429
    status, body = await login(server, http)
    assert status == 429 and "thử lại sau" in body["error"]  # even the right password waits out the window


async def test_login_attempts_are_throttled_per_account(clerk):
    server, http, _, _ = clerk
    statuses = [(await login(server, http, "minh", f"wrong-{i}-password"))[0] for i in range(6)]
    assert statuses == [401] * 5 + [429]
    assert (await login(server, http, "lan"))[0] == 200  # another account from the same address is not locked
    failed = [e for e in clerk.audit.entries(action="login_failed") if e.target == "user:minh"]
    assert len(failed) == 5


async def test_search_as_you_type_without_diacritics(clerk):
    server, http, _, _ = clerk
    await login(server, http)
    async with http.get(server.url + "/clerk/api/search", params={"q": "khai sinh"}) as reply:
        body = await reply.json()
    assert body["results"][0] == {"code": "1.001193", "name": "Đăng ký khai sinh", "score": pytest.approx(body["results"][0]["score"]), "status": "curated"}
    async with http.get(server.url + "/clerk/api/search", params={"q": "dang ky tam tru"}) as reply:
        names = [r["name"] for r in (await reply.json())["results"]]
    assert "Đăng ký tạm trú" in names
    async with http.get(server.url + "/clerk/api/search", params={"q": ""}) as reply:
        popular = await reply.json()
    assert popular["popular"] is True and popular["results"][0]["code"] == "1.001193"


async def test_card_and_printable_checklist(clerk):
    server, http, _, _ = clerk
    await login(server, http)
    async with http.get(server.url + "/clerk/api/procedures/1.001193") as reply:
        card = await reply.json()
    assert card["name"] == "Đăng ký khai sinh" and card["code"] == "1.001193"
    assert card["documents"] and all(group["items"] for group in card["documents"])
    assert card["channels"] and card["source"]
    async with http.get(server.url + "/clerk/procedures/1.001193/checklist") as reply:
        html = await reply.text()
        assert reply.status == 200 and reply.content_type == "text/html"
        assert "script-src" not in reply.headers["Content-Security-Policy"]  # default-src 'none' forbids scripts
    assert "Đăng ký khai sinh" in html and "1.001193" in html
    async with http.get(server.url + "/clerk/api/procedures/9.999999") as reply:
        assert reply.status == 404 and (await reply.json())["error"] == "Không tìm thấy thủ tục này."


async def test_open_tickets_and_closing_one_resumes_the_bot(clerk):
    server, http, store, rasa = clerk
    first = store.open_ticket("web-abcdef0123456789", "webchat", "Tôi cần hỏi về đất đai", contact="0912 345 678")
    second = store.open_ticket("8470117331209467721", "zalo", "gặp cán bộ")
    await login(server, http)

    async with http.get(server.url + "/clerk/api/tickets") as reply:
        tickets = (await reply.json())["tickets"]
    assert [t["id"] for t in tickets] == [first.id, second.id]
    assert tickets[0]["question"] == "Tôi cần hỏi về đất đai" and tickets[0]["channel"] == "webchat"

    async with http.post(server.url + f"/clerk/api/tickets/{first.id}/close") as reply:
        assert reply.status == 400  # no custom header: a cross-site form cannot close tickets
    headers = {"X-Requested-With": "thutuc-clerk"}
    async with http.post(server.url + f"/clerk/api/tickets/{first.id}/close", headers=headers) as reply:
        assert reply.status == 200 and (await reply.json())["ticket"]["status"] == "closed"
    [entry] = clerk.audit.entries(action="close")
    assert (entry.actor, entry.target) == ("lan", f"ticket:{first.id}")
    [(conversation, posted)] = rasa.events
    posted = posted if isinstance(posted, list) else [posted]
    assert conversation == "web-abcdef0123456789" and {"event": "resume"} in posted

    async with http.get(server.url + "/clerk/api/tickets") as reply:
        assert [t["id"] for t in (await reply.json())["tickets"]] == [second.id]
    async with http.post(server.url + "/clerk/api/tickets/999999/close", headers=headers) as reply:
        assert reply.status == 404


async def test_rasa_refusing_the_resume_is_reported_not_hidden(clerk):
    server, http, store, rasa = clerk
    rasa.status = 500
    ticket = store.open_ticket("web-0011223344556677", "webchat", "hỏi cán bộ")
    await login(server, http)
    async with http.post(
        server.url + f"/clerk/api/tickets/{ticket.id}/close", headers={"X-Requested-With": "thutuc-clerk"}
    ) as reply:
        body = await reply.json()
    # The fake app has no Rasa agent to resume in-process either: the clerk is told plainly.
    assert reply.status == 502 and body["error"].startswith("Đã đóng phiếu nhưng chưa bật lại được trợ lý")


async def test_a_ticket_shows_the_conversation_and_a_reply_reaches_the_web_chat_outbox(clerk):
    server, http, store, _ = clerk
    sender = "web-" + "ab" * 16
    ticket = store.open_ticket(sender, "webchat", "Tôi cần hỏi về đất đai")
    clerk.conversations.messages[sender] = [
        {"from": "citizen", "text": "Tôi cần hỏi về đất đai", "at": 1.0},
        {"from": "citizen", "text": "cho tôi gặp cán bộ", "at": 2.0},
        {"from": "bot", "text": "Mình đã chuyển câu hỏi tới cán bộ (phiếu số 1).", "at": 3.0},
    ]
    await login(server, http)
    async with http.get(server.url + f"/clerk/api/tickets/{ticket.id}/conversation") as reply:
        body = await reply.json()
    assert body["ticket"]["id"] == ticket.id and [m["from"] for m in body["messages"]] == ["citizen", "citizen", "bot"]

    waiting = asyncio.create_task(clerk.notifier.wait(sender, 5))  # the citizen's page, waiting in its long poll
    await asyncio.sleep(0)
    async with http.post(server.url + f"/clerk/api/tickets/{ticket.id}/reply", json={"text": "Chào bạn, mình là Lan."}) as reply:
        assert reply.status == 400  # no custom header: a cross-site form cannot speak for a clerk
    async with http.post(server.url + f"/clerk/api/tickets/{ticket.id}/reply", json={"text": "Chào bạn, mình là Lan."},
                         headers=HEADERS) as reply:
        answer = await reply.json()
    assert reply.status == 200 and answer["status"] == "waiting" and "trang chat" in answer["message"]
    assert await waiting  # woken at once, not at the next recheck
    [queued] = clerk.outbox.after(sender, 0)
    assert (queued.text, queued.author, queued.delivered_at) == ("Chào bạn, mình là Lan.", "clerk", None)
    assert clerk.conversations.messages[sender][-1] == {"from": "clerk", "text": "Chào bạn, mình là Lan.",
                                                        "clerk": "lan", "at": 1.0}

    async with http.post(server.url + f"/clerk/api/tickets/{ticket.id}/reply", json={"text": "   "}, headers=HEADERS) as reply:
        assert reply.status == 400 and (await reply.json())["error"] == "Vui lòng nhập nội dung trả lời."
    async with http.post(server.url + "/clerk/api/tickets/999999/reply", json={"text": "a"}, headers=HEADERS) as reply:
        assert reply.status == 404


async def test_two_clerks_reply_on_zalo_and_the_audit_log_names_each(clerk):
    server, http, store, _ = clerk
    ticket = store.open_ticket(ZALO_USER, "zalo", "gặp cán bộ")
    await login(server, http, "lan")
    async with http.post(server.url + f"/clerk/api/tickets/{ticket.id}/reply", json={"text": "Chào anh, em là Lan."},
                         headers=HEADERS) as reply:
        assert reply.status == 200 and (await reply.json())["status"] == "sent"
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as second:
        assert (await login(server, second, "minh", PASSWORD_MINH))[0] == 200
        async with second.post(server.url + f"/clerk/api/tickets/{ticket.id}/reply", json={"text": "Minh bổ sung."},
                               headers=HEADERS) as reply:
            assert reply.status == 200
        async with second.post(server.url + f"/clerk/api/tickets/{ticket.id}/close", headers=HEADERS) as reply:
            assert reply.status == 200
    assert [m["text"] for m in clerk.zalo.delivered(ZALO_USER)] == ["Chào anh, em là Lan.", "Minh bổ sung."]
    assert [m["clerk"] for m in clerk.conversations.messages[ZALO_USER]] == ["lan", "minh"]
    done = [(e.actor, e.action, e.target, e.detail) for e in clerk.audit.entries() if e.action in ("reply", "close")]
    assert done == [("minh", "close", f"ticket:{ticket.id}", "zalo"), ("minh", "reply", f"ticket:{ticket.id}", "zalo: sent"),
                    ("lan", "reply", f"ticket:{ticket.id}", "zalo: sent")]

    async with http.post(server.url + f"/clerk/api/tickets/{ticket.id}/reply", json={"text": "Còn nữa"},
                         headers=HEADERS) as reply:
        assert reply.status == 409 and "đã đóng" in (await reply.json())["error"]  # the bot has the conversation back
    assert len(clerk.zalo.delivered(ZALO_USER)) == 2


async def test_a_zalo_reply_zalo_refuses_is_reported_and_not_stored(clerk):
    server, http, store, _ = clerk
    ticket = store.open_ticket(ZALO_USER, "zalo", "gặp cán bộ")
    clerk.zalo.inject_send_errors(-230)
    await login(server, http)
    async with http.post(server.url + f"/clerk/api/tickets/{ticket.id}/reply", json={"text": "Chào anh"},
                         headers=HEADERS) as reply:
        body = await reply.json()
    assert reply.status == 502 and "7 ngày" in body["error"]
    assert ZALO_USER not in clerk.conversations.messages and clerk.zalo.delivered(ZALO_USER) == []
    [entry] = clerk.audit.entries(action="reply")
    assert entry.detail == "zalo: failed"
