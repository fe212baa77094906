"""The operators' dashboard in headless Chromium on the seeded set: log in as an operator, read the figures and
the charts (bars carry their numbers), at 1280×800 and on a phone; a clerk is turned away."""
from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest

from tests.analytics import seed
from tests.browser.conftest import Backend, log_in, screenshot, start_backend
from tests.fakes import admin_backend

URL = "/admin/?from=2026-11-02&to=2026-11-04"


@pytest.fixture
def dashboard_backend(tmp_path: Path) -> Iterator[Backend]:
    backend = start_backend(f"sqlite:///{tmp_path / 'dash.db'}", "--seed", module="tests.fakes.admin_backend")
    try:
        yield backend
    finally:
        backend.stop()


def figure(page, name: str) -> str:
    return page.inner_text(f'[data-figure="{name}"] .value')


def bars(page, chart: str) -> list[tuple[str, str]]:
    return page.eval_on_selector_all(
        f'#chart-{chart} svg rect.bar', "rs => rs.map(r => [r.getAttribute('data-label'), r.getAttribute('data-value')])")


def check_dashboard(page) -> None:
    page.wait_for_selector("#app-view:not([hidden]) [data-figure='messages']")
    assert figure(page, "conversations") == "5"
    assert figure(page, "messages") == "12"
    assert figure(page, "fallback_rate") == "16,7 %"
    assert figure(page, "clarifying_rate") == "16,7 %"
    assert figure(page, "answered_rate") == "33,3 %"
    assert figure(page, "handoff_tickets") == "3"
    assert figure(page, "handoff_median_minutes") == "306,0"
    assert (figure(page, "thumbs_up"), figure(page, "thumbs_down")) == ("3", "2")
    assert figure(page, "unanswered") == "6"
    assert figure(page, "knowledge_issues") == "2"
    assert [tuple(b) for b in bars(page, "messages")] == [(d, str(m)) for d, _, m in seed.EXPECTED["daily_totals"]]
    assert [tuple(b) for b in bars(page, "conversations")] == [(d, str(c)) for d, c, _ in seed.EXPECTED["daily_totals"]]
    assert [tuple(b) for b in bars(page, "procedures")] == [(c, str(n)) for c, n in seed.EXPECTED["procedures"]]
    assert [tuple(b) for b in bars(page, "facets")] == [(f, str(n)) for f, n in seed.EXPECTED["facets"]]
    assert dict(tuple(b) for b in bars(page, "outcomes")) == {
        "answered": "4", "clarifying": "2", "fallback": "2", "not_found": "1", "out_of_scope": "2"}
    assert page.locator("#table-daily tbody tr").count() == len(seed.EXPECTED["daily"])
    assert page.locator("#table-unanswered tbody tr").count() == 5
    first = page.locator("#table-unanswered tbody tr").first.inner_text()
    assert "thoi tiet hom nay the nao" in first and "Ngoài phạm vi: 2" in first
    assert "0912345678" not in page.content()
    assert page.get_attribute("#table-procedures a.csv", "href") == "/admin/api/procedures.csv?from=2026-11-02&to=2026-11-04"
    assert page.get_attribute("nav a[href='/admin/misses']", "href") == "/admin/misses"
    assert page.dialogs == []


def test_operator_reads_the_figures_on_a_desk_screen(chromium, dashboard_backend):
    context = chromium.new_context(viewport={"width": 1280, "height": 800}, locale="vi-VN", device_scale_factor=1)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.dialogs = []
    try:
        page.goto(dashboard_backend.url + URL)
        log_in(page, admin_backend.OPERATOR, admin_backend.OPERATOR_PASSWORD, then=None)
        check_dashboard(page)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 1280  # nothing wider than the screen
        page.screenshot(path=str(screenshot_path("admin-dashboard-desk")), full_page=False)
        screenshot(page, "admin-dashboard-desk-full")
    finally:
        context.close()


def test_operator_reads_the_figures_on_a_phone(chromium, dashboard_backend):
    context = chromium.new_context(viewport={"width": 390, "height": 844}, locale="vi-VN", device_scale_factor=1,
                                   is_mobile=True, has_touch=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.dialogs = []
    try:
        page.goto(dashboard_backend.url + URL)
        log_in(page, admin_backend.OPERATOR, admin_backend.OPERATOR_PASSWORD, then=None)
        check_dashboard(page)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390  # wide tables scroll inside their box, the page does not
        screenshot(page, "admin-dashboard-phone")
    finally:
        context.close()


def test_a_clerk_is_turned_away(page, dashboard_backend):
    page.goto(dashboard_backend.url + URL)
    log_in(page, admin_backend.CLERK, admin_backend.CLERK_PASSWORD, then=None)
    page.wait_for_selector("#forbidden-view:not([hidden])")
    assert "chỉ dành cho tài khoản quản trị" in page.inner_text("#forbidden-message")
    assert page.is_hidden("#app-view") and page.locator("[data-figure]").count() == 0


def screenshot_path(name: str) -> Path:
    from tests.browser.conftest import ARTIFACTS

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS / f"{name}.png"


def test_the_clerk_page_leads_operators_to_the_dashboard(page, dashboard_backend):
    """One login for both pages: an operator logged in on the clerk page follows its link and sees the figures; a
    clerk has no link."""
    page.goto(dashboard_backend.url + "/clerk/")
    log_in(page, admin_backend.CLERK, admin_backend.CLERK_PASSWORD, then=None)
    page.wait_for_selector("#app-view:not([hidden])")
    assert page.is_hidden("#admin-link")
    page.click("#logout")
    log_in(page, admin_backend.OPERATOR, admin_backend.OPERATOR_PASSWORD, then=None)
    page.wait_for_selector("#admin-link:not([hidden])")
    page.click("#admin-link")
    page.wait_for_url("**/admin/")
    page.fill("#from", "2026-11-02")
    page.fill("#to", "2026-11-04")
    page.click("#range-form button[type=submit]")
    page.wait_for_selector("#range-note:has-text('2026-11-02 đến 2026-11-04')")
    assert figure(page, "messages") == "12"  # no second login
