"""The clerk page's HTTP surface against the real knowledge base (project data in a temp SQLite) and ticket store."""
from __future__ import annotations

import functools
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from bot.channels.clerk import COOKIE_NAME, ClerkInput, ClerkServices, session_cookie_value, session_is_valid
from tests.fakes.channel_app import EchoAgent, RunningApp, build_app

PROJECT_ROOT = Path(__file__).resolve().parents[2]
TOKEN = "clerk-token-for-tests-7f3a"


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


@pytest.fixture
async def clerk(knowledge_engine):
    from handoff.store import ConversationStore, close_and_resume
    from knowledge.api import KnowledgeBase

    rasa = FakeRasaApi()
    rasa_app = web.Application()
    rasa_app.router.add_post("/conversations/{conversation_id}/tracker/events", rasa.handle)
    runner = web.AppRunner(rasa_app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    rasa_url = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"

    store = ConversationStore(knowledge_engine)
    services = ClerkServices(
        knowledge=lambda: KnowledgeBase(knowledge_engine),
        tickets=lambda: store,
        close_and_resume=functools.partial(close_and_resume, rasa_url=rasa_url, token=None),
    )
    server = await RunningApp(build_app([ClerkInput(token=TOKEN, services=services)], EchoAgent())).start()
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        try:
            yield server, http, store, rasa
        finally:
            await server.stop()
            await runner.cleanup()
            for ticket in store.list_tickets(None):
                store.close_ticket(ticket.id)


async def login(server, http, token=TOKEN):
    async with http.post(server.url + "/clerk/login", json={"token": token}) as reply:
        login.last_set_cookie = reply.headers.get("Set-Cookie", "")
        return reply.status, await reply.json()


async def test_everything_but_the_page_requires_login(clerk):
    server, http, _, _ = clerk
    async with http.get(server.url + "/clerk/") as page:
        assert page.status == 200 and "Bàn cán bộ" in await page.text()
        assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
    for path in ("/clerk/api/session", "/clerk/api/search?q=khai", "/clerk/api/procedures/1.001193", "/clerk/api/tickets"):
        async with http.get(server.url + path) as reply:
            assert reply.status == 401, path
            assert (await reply.json())["error"].startswith("Vui lòng đăng nhập")
    async with http.get(server.url + "/clerk/procedures/1.001193/checklist", allow_redirects=False) as checklist:
        assert checklist.status in (302, 303, 307) and checklist.headers["Location"] == "/clerk/"

    status, body = await login(server, http, "wrong")
    assert (status, body["error"]) == (401, "Mã truy cập không đúng.")
    status, _ = await login(server, http)
    assert status == 200
    set_cookie = login.last_set_cookie.lower()
    assert set_cookie.startswith(COOKIE_NAME + "=") and TOKEN.lower() not in set_cookie  # never the token itself
    assert "httponly" in set_cookie and "samesite=strict" in set_cookie and "path=/clerk" in set_cookie
    async with http.get(server.url + "/clerk/api/session") as reply:
        assert reply.status == 200


async def test_bearer_header_works_for_scripts(clerk):
    server, http, _, _ = clerk
    async with http.get(server.url + "/clerk/api/session", headers={"Authorization": f"Bearer {TOKEN}"}) as reply:
        assert reply.status == 200
    async with http.get(server.url + "/clerk/api/session", headers={"Authorization": "Bearer nope"}) as reply:
        assert reply.status == 401


async def test_login_attempts_are_throttled(clerk):
    server, http, _, _ = clerk
    statuses = [(await login(server, http, f"guess-{i}"))[0] for i in range(11)]
    assert statuses[:10] == [401] * 10 and statuses[10] == 429
    assert (await login(server, http))[0] == 429  # even the right token waits out the window


def test_session_cookie_is_signed_with_the_token_and_expires():
    value = session_cookie_value("t1", 1_700_000_000)
    assert session_is_valid("t1", value, now=1_700_000_100)
    assert not session_is_valid("t2", value, now=1_700_000_100)  # rotating the token logs everyone out
    assert not session_is_valid("t1", value, now=1_700_000_000 + 13 * 3600)
    assert not session_is_valid("t1", "1700000000.forged", now=1_700_000_100)


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


async def test_page_closed_without_a_configured_token():
    server = await RunningApp(build_app([ClerkInput(token=None, services=None)], EchoAgent())).start()
    try:
        async with aiohttp.ClientSession() as http:
            async with http.post(server.url + "/clerk/login", json={"token": ""}) as reply:
                assert reply.status == 503 and "THUTUC_CLERK_TOKEN" in (await reply.json())["error"]
            async with http.get(server.url + "/clerk/api/search?q=a") as reply:
                assert reply.status == 503
    finally:
        await server.stop()
