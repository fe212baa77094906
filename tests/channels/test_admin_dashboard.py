"""The dashboard's HTTP surface on the seeded set: who may see it, the figures it serves, the CSV of every table."""
from __future__ import annotations

import csv
import io
import re

import aiohttp
import pytest

from bot.channels import admin_view
from tests.analytics import seed
from tests.fakes import admin_backend
from tests.fakes.channel_app import RunningApp

RANGE = "from=2026-11-02&to=2026-11-04"


@pytest.fixture
async def dashboard(sqlite_url):
    seed.seed_tracker(sqlite_url)
    seed.seed_project(sqlite_url)
    admin_backend.add_staff(sqlite_url)
    server = await RunningApp(admin_backend.build_admin_app(sqlite_url)).start()
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        try:
            yield server, http
        finally:
            await server.stop()


async def log_in(server, http, name, password):
    async with http.post(server.url + "/clerk/login", json={"name": name, "password": password}) as reply:
        assert reply.status == 200


async def get_json(http, url):
    async with http.get(url) as reply:
        return reply.status, await reply.json()


async def test_anonymous_and_clerk_are_refused(dashboard):
    server, http = dashboard
    async with http.get(server.url + "/admin/") as page:
        text = await page.text()
        assert page.status == 200 and "Bảng điều khiển vận hành" in text and 'href="/admin/misses"' in text
        assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    async with http.get(server.url + "/admin", allow_redirects=False) as bare:
        assert bare.status in (301, 302) and bare.headers["Location"].endswith("/admin/")
    for path in ("/admin/api/report?" + RANGE, "/admin/api/daily.csv?" + RANGE):
        status, body = await get_json(http, server.url + path)
        assert status == 401 and body["error"] == "Vui lòng đăng nhập bằng tài khoản quản trị."
    await log_in(server, http, admin_backend.CLERK, admin_backend.CLERK_PASSWORD)
    for path in ("/admin/api/report?" + RANGE, "/admin/api/unanswered.csv?" + RANGE):
        status, body = await get_json(http, server.url + path)
        assert status == 403 and "quản trị" in body["error"]
    async with http.get(server.url + "/clerk/api/session") as session:  # the clerk's own page still works
        assert session.status == 200


async def test_operator_sees_the_seeded_figures(dashboard):
    server, http = dashboard
    await log_in(server, http, admin_backend.OPERATOR, admin_backend.OPERATOR_PASSWORD)
    status, report = await get_json(http, server.url + "/admin/api/report?" + RANGE)
    assert status == 200
    expected = seed.EXPECTED
    assert report["period"] == {"from": "2026-11-02", "to": "2026-11-04", "timezone": "Asia/Ho_Chi_Minh"}
    summary = report["summary"]
    assert (summary["conversations"], summary["messages"], summary["handoff_tickets"],
            summary["handoff_median_minutes"], summary["thumbs_up"], summary["thumbs_down"], summary["unanswered"],
            summary["knowledge_issues"]) == (5, 12, 3, 306.0, 3, 2, 6, 2)
    assert summary["fallback_rate"] == round(2 / 12, 4) and summary["answered_rate"] == round(4 / 12, 4)
    tables = {t["name"]: t for t in report["tables"]}
    assert [t["name"] for t in report["tables"]] == list(admin_view.TABLE_NAMES)
    labels = {"zalo": "Zalo", "webchat": "Trang web", "rest": "REST (thử nghiệm)"}
    assert tables["daily"]["rows"] == [[d, labels[c], conv, msgs] for d, c, conv, msgs in expected["daily"]]
    assert [r[0] for r in tables["procedures"]["rows"]] == ["1.001193", "1.000894"]
    assert tables["facets"]["rows"] == [["Giấy tờ cần nộp", 2], ["Lệ phí", 1], ["Hỏi chung về thủ tục", 1]]
    assert tables["handoff"]["rows"][0] == ["Tất cả các kênh", 3, 2, 1, 2, 306.0, 306.0]
    assert [r[1] for r in tables["unanswered"]["rows"]][:2] == ["thoi tiet hom nay the nao", "lam khai sinh can gi"]
    assert "0912345678" not in str(report)  # masked
    # the charts draw the tables' numbers
    bars = re.findall(r'<rect class="bar" data-label="([^"]*)" data-value="([^"]*)"', report["charts"]["messages"])
    assert bars == [(day, str(messages)) for day, _, messages in expected["daily_totals"]]
    bars = re.findall(r'<rect class="bar" data-label="([^"]*)" data-value="([^"]*)"', report["charts"]["procedures"])
    assert bars == [(code, str(count)) for code, count in expected["procedures"]]


async def test_every_table_exports_the_shown_rows(dashboard, sqlite_url):
    server, http = dashboard
    await log_in(server, http, admin_backend.OPERATOR, admin_backend.OPERATOR_PASSWORD)
    _, report = await get_json(http, server.url + "/admin/api/report?" + RANGE)
    for table in report["tables"]:
        async with http.get(server.url + f"/admin/api/{table['name']}.csv?" + RANGE) as reply:
            assert reply.status == 200, table["name"]
            assert reply.headers["Content-Type"].startswith("text/csv")
            assert f"thutuc-{table['name']}-2026-11-02-2026-11-04.csv" in reply.headers["Content-Disposition"]
            raw = await reply.read()
        assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM: Excel reads the Vietnamese
        rows = list(csv.reader(io.StringIO(raw[3:].decode("utf-8"))))
        assert rows[0] == table["columns"]
        assert rows[1:] == [["" if v is None else str(v) for v in row] for row in table["rows"]], table["name"]
    async with http.get(server.url + "/admin/api/secrets.csv?" + RANGE) as missing:
        assert missing.status == 404
    from base.audit import AuditLog
    from base.db import make_engine

    engine = make_engine(sqlite_url)
    try:
        exports = [(e.actor, e.target, e.detail) for e in AuditLog(engine).entries(actor="minh", action="export")]
    finally:
        engine.dispose()
    assert sorted(exports) == sorted(("minh", f"admin:{t['name']}:2026-11-02..2026-11-04", f"{len(t['rows'])} dòng")
                                     for t in report["tables"])


async def test_a_bad_range_is_explained(dashboard):
    server, http = dashboard
    await log_in(server, http, admin_backend.OPERATOR, admin_backend.OPERATOR_PASSWORD)
    status, body = await get_json(http, server.url + "/admin/api/report?from=2026-11-05&to=2026-11-01")
    assert status == 400 and "ngày kết thúc trước ngày bắt đầu" in body["error"]
    status, body = await get_json(http, server.url + "/admin/api/report?from=2026-01-01&to=2027-12-31")
    assert status == 400 and "366" in body["error"]
    status, body = await get_json(http, server.url + "/admin/api/report")  # default: the last 30 days
    assert status == 200 and body["period"] == {"from": "2026-10-06", "to": "2026-11-04",
                                                 "timezone": "Asia/Ho_Chi_Minh"}
    assert body["summary"]["messages"] == 13  # the seeded messages of 2026-11-01 is inside that range too


def test_csv_cells_that_a_spreadsheet_would_run_are_defused():
    table = admin_view.Table("t", "t", ("=cột", "b"), (("=HYPERLINK(\"x\")", -1), ("+1", "@SUM(A1)"), ("-2", "bình thường")))
    rows = list(csv.reader(io.StringIO(admin_view.csv_bytes(table).decode("utf-8-sig"))))
    assert rows == [["'=cột", "b"], ["'=HYPERLINK(\"x\")", "-1"], ["'+1", "'@SUM(A1)"], ["'-2", "bình thường"]]
