"""/admin/misses over HTTP: operators only (same login and session as the clerk page), decisions stored and undone,
the clerk page's search used for the picker."""
from __future__ import annotations

from pathlib import Path

import aiohttp
import pytest

from bot.channels.admin_review import AdminReviewInput, ReviewServices
from bot.channels.clerk import ClerkInput, ClerkServices
from tests.fakes.channel_app import EchoAgent, RunningApp, build_app
from tests.review.conversations import answered, not_found, refused, store_conversation

PROJECT_ROOT = Path(__file__).resolve().parents[2]
HEADERS = {"X-Requested-With": "thutuc-clerk"}
CLERK, OPERATOR = ("lan", "mat-khau-cua-lan-42"), ("minh", "mat-khau-cua-minh-42")


@pytest.fixture
async def site(shipped_kb, tmp_path):
    from base.audit import AuditLog
    from base.db import make_engine
    from base.ratelimit import SlidingWindowCounter, SqlEventStore
    from handoff.accounts import AccountStore
    from handoff.login_limits import LoginLimiter
    from review.store import ReviewStore

    tracker_url = f"sqlite:///{tmp_path / 'conversations.db'}"
    store_conversation(tracker_url, "rest-a", [answered("làm khai sinh cần gì"), not_found("xin giấy ra ở riêng")])
    store_conversation(tracker_url, "rest-b", [not_found("xin giay ra o rieng")])
    store_conversation(tracker_url, "rest-c", [refused("làm giấy chứng nhận độc thân để cưới vợ")])
    engine = make_engine(f"sqlite:///{tmp_path / 'desk.db'}")
    tracker = make_engine(tracker_url)
    accounts = AccountStore(engine)
    accounts.add_user(CLERK[0], "clerk", CLERK[1])
    accounts.add_user(OPERATOR[0], "operator", OPERATOR[1])
    audit = AuditLog(engine)
    reviews = ReviewStore(engine, shipped_kb, audit)
    clerk = ClerkInput(services=ClerkServices(
        knowledge=lambda: shipped_kb, tickets=lambda: None, close_and_resume=lambda *a: None,
        accounts=lambda: accounts, audit=lambda: audit,
        login_limiter=lambda: LoginLimiter(SlidingWindowCounter(SqlEventStore(engine)), 10, 5, 900)))
    page = AdminReviewInput(ReviewServices(accounts=lambda: accounts, store=lambda: reviews,
                                           tracker_engine=lambda: tracker, knowledge=lambda: shipped_kb))
    server = await RunningApp(build_app([clerk, page], EchoAgent())).start()
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        try:
            yield server, http, reviews, audit
        finally:
            await server.stop()
            engine.dispose()
            tracker.dispose()


async def _login(server, http, who) -> None:
    async with http.post(server.url + "/clerk/login", json={"name": who[0], "password": who[1]}) as reply:
        assert reply.status == 200


async def _groups(server, http):
    async with http.get(server.url + "/admin/misses/api/groups") as reply:
        return reply.status, await reply.json()


async def test_the_page_is_served_and_the_api_needs_a_login(site):
    server, http, _, _ = site
    async with http.get(server.url + "/admin/misses/") as page:
        assert page.status == 200 and "Rà soát câu hỏi bot chưa trả lời" in await page.text()
        assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    status, body = await _groups(server, http)
    assert status == 401 and "đăng nhập" in body["error"]


async def test_a_clerk_is_refused_with_403(site):
    server, http, _, _ = site
    await _login(server, http, CLERK)
    status, body = await _groups(server, http)
    assert status == 403 and "quản trị viên" in body["error"]
    async with http.post(server.url + "/admin/misses/api/groups/x/review", json={"out_of_scope": True},
                         headers=HEADERS) as reply:
        assert reply.status == 403


async def test_an_operator_lists_reviews_and_undoes(site, shipped_kb):
    server, http, reviews, audit = site
    await _login(server, http, OPERATOR)
    status, body = await _groups(server, http)
    assert status == 200
    assert [(g["count"], g["review"]) for g in body["groups"]] == [(2, None), (1, None)]
    first, second = body["groups"]
    assert sorted(first["texts"]) == ["xin giay ra o rieng", "xin giấy ra ở riêng"]
    assert {f["name"] for f in body["facets"]} >= {"overview", "documents", "fee", "time", "steps"}

    url = server.url + f"/admin/misses/api/groups/{first['id']}/review"
    async with http.post(url, json={"code": "1.010038", "facet": "overview"}) as reply:
        assert reply.status == 400  # no anti-CSRF header
    async with http.post(url, json={"code": "9.999999", "facet": "overview"}, headers=HEADERS) as reply:
        assert reply.status == 422 and "9.999999" in (await reply.json())["error"]
    async with http.post(url, json={"code": "1.010038", "facet": "overview"}, headers=HEADERS) as reply:
        assert reply.status == 200
    async with http.post(server.url + f"/admin/misses/api/groups/{second['id']}/review", json={"out_of_scope": True},
                         headers=HEADERS) as reply:
        assert reply.status == 200
    _, body = await _groups(server, http)
    states = {g["id"]: g["review"] for g in body["groups"]}
    assert (states[first["id"]]["code"], states[first["id"]]["name"], states[first["id"]]["reviewer"]) == \
        ("1.010038", shipped_kb.card("1.010038").name, "minh")
    assert states[second["id"]]["out_of_scope"] is True
    assert sorted(str(r.procedure_code) for r in reviews.reviews()) == ["1.010038", "None"]
    assert [e.action for e in audit.entries(actor="minh")][:2] == ["review", "review"]

    async with http.post(server.url + f"/admin/misses/api/groups/{first['id']}/undo", headers=HEADERS) as reply:
        assert reply.status == 200
    _, body = await _groups(server, http)
    assert {g["id"]: g["review"] for g in body["groups"]}[first["id"]] is None
    assert len(reviews.reviews()) == 1


async def test_the_picker_uses_the_clerk_search_with_the_same_session(site):
    server, http, _, _ = site
    await _login(server, http, OPERATOR)
    async with http.get(server.url + "/clerk/api/search", params={"q": "tách hộ"}) as reply:
        assert reply.status == 200
        assert (await reply.json())["results"][0]["code"] == "1.010038"


def test_the_review_page_is_a_public_path_and_nothing_else_under_admin_is_made_public_by_it():
    from bot.http_guard import is_public_path

    assert is_public_path("/admin/misses/") and is_public_path("/admin/misses/api/groups")
    assert is_public_path("/admin/misses")
    assert not is_public_path("/adminx") and not is_public_path("/admin-misses") and not is_public_path("/admin/misses/../../conversations")
