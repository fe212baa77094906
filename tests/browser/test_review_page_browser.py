"""/admin/misses in headless Chromium: a clerk is turned away; an operator reviews three unanswered questions
(two procedures found with the picker, one out of scope) at 1280×800, and the page also fits a phone."""
from __future__ import annotations

import pytest

from tests.browser.conftest import log_in, screenshot, start_backend
from tests.review.conversations import not_found, refused, store_conversation

pytestmark = pytest.mark.browser

OPERATOR, CLERK = ("minh", "mat-khau-cua-minh-42"), ("lan", "mat-khau-cua-lan-42")
QUESTIONS = {
    "làm giấy chứng nhận độc thân để cưới vợ": 3,
    "xin giấy ra ở riêng": 2,
    "thời tiết ngày mai thế nào": 1,
    "con ghẻ muốn làm giấy tờ cha dượng": 1,
}


@pytest.fixture
def review_backend(tmp_path):
    from base.db import make_engine
    from handoff.accounts import AccountStore
    from knowledge.loader import load_curated
    from base.settings import PROJECT_ROOT

    db = f"sqlite:///{tmp_path / 'kb.db'}"
    engine = make_engine(db)
    load_curated(engine, PROJECT_ROOT / "knowledge" / "data")
    accounts = AccountStore(engine)
    accounts.add_user(OPERATOR[0], "operator", OPERATOR[1])
    accounts.add_user(CLERK[0], "clerk", CLERK[1])
    engine.dispose()
    tracker = f"sqlite:///{tmp_path / 'conversations.db'}"
    number = 0
    for text, count in QUESTIONS.items():
        for _ in range(count):
            number += 1
            turn = refused(text) if "thời tiết" in text or "độc thân" in text else not_found(text)
            store_conversation(tracker, f"web-{number:04d}", [turn])
    backend = start_backend(db, "--tracker", tracker)
    try:
        yield backend, db
    finally:
        backend.stop()


def _group(page, example: str):
    return page.locator("li.group", has=page.locator("q.example", has_text=example))


def _pick(page, example: str, query: str, code: str, facet: str) -> None:
    group = _group(page, example)
    group.locator(".proc-search").type(query, delay=30)
    group.locator(f".proc-results button[data-code='{code}']").click()
    group.locator("select.facet").select_option(facet)
    group.locator("button.save").click()
    page.wait_for_function(
        "([example, code]) => [...document.querySelectorAll('li.group.reviewed')].some(li =>"
        " li.querySelector('q.example').textContent === example && li.querySelector('.state').textContent.includes(code))",
        arg=[example, code])


def test_a_clerk_is_turned_away(chromium, review_backend):
    backend, _ = review_backend
    context = chromium.new_context(viewport={"width": 1280, "height": 800}, locale="vi-VN")
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        page.goto(backend.url + "/admin/misses/")
        log_in(page, *CLERK, then=None)
        page.wait_for_selector("#denied:not([hidden])")
        assert "quản trị viên" in page.inner_text("#denied")
        assert not page.locator("#app-view").is_visible()
    finally:
        context.close()


def test_an_operator_reviews_three_questions(chromium, review_backend):
    from base.db import make_engine
    from knowledge.api import KnowledgeBase
    from review.store import ReviewStore

    backend, db = review_backend
    context = chromium.new_context(viewport={"width": 1280, "height": 800}, locale="vi-VN")
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        page.goto(backend.url + "/admin/misses/")
        log_in(page, *OPERATOR, then=None)
        page.wait_for_selector("li.group")
        assert page.locator("li.group").count() == 4
        assert page.locator("li.group .count").first.inner_text() == "3"
        assert page.inner_text("#summary") == "4 nhóm câu hỏi, 0 nhóm đã rà soát."
        screenshot(page, "misses-before-review")

        _pick(page, "làm giấy chứng nhận độc thân để cưới vợ", "xac nhan doc than", "1.004873", "documents")
        _pick(page, "xin giấy ra ở riêng", "tach ho", "1.010038", "overview")
        _group(page, "thời tiết ngày mai thế nào").locator("button.oos").click()
        page.wait_for_function("() => document.querySelector('#summary').textContent"
                               " === '4 nhóm câu hỏi, 3 nhóm đã rà soát.'")
        assert "ngoài phạm vi" in _group(page, "thời tiết ngày mai thế nào").locator(".state").inner_text()
        assert _group(page, "con ghẻ muốn làm giấy tờ cha dượng").locator(".state").inner_text() == "Chưa rà soát"
        screenshot(page, "misses-reviewed-1280")
        page.set_viewport_size({"width": 390, "height": 780})
        assert page.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scrolling on a phone
        screenshot(page, "misses-reviewed-phone")
    finally:
        context.close()

    engine = make_engine(db)
    reviews = ReviewStore(engine, KnowledgeBase(engine)).reviews()
    engine.dispose()
    assert sorted((r.texts[0], r.procedure_code, r.facet, r.reviewer) for r in reviews) == [
        ("làm giấy chứng nhận độc thân để cưới vợ", "1.004873", "documents", "minh"),
        ("thời tiết ngày mai thế nào", None, None, "minh"),
        ("xin giấy ra ở riêng", "1.010038", "overview", "minh"),
    ]
