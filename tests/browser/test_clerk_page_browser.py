"""The clerk page in headless Chromium: login, search as you type, card, checklist, tickets."""
from __future__ import annotations

import pytest

from tests.browser.conftest import CLERK_NAME, CLERK_PASSWORD, screenshot

pytestmark = pytest.mark.browser


def test_login_search_card_checklist_and_tickets(desk_page, chat_backend, knowledge_db):
    from handoff.store import ConversationStore
    from base.db import make_engine

    engine = make_engine(knowledge_db)
    store = ConversationStore(engine)
    ticket = store.open_ticket("web-0123456789abcdef", "webchat", "Tôi muốn hỏi cán bộ về đất đai <b>gấp</b>")
    page = desk_page
    try:
        page.goto(chat_backend.url + "/clerk/")
        page.wait_for_selector("#login-view:not([hidden])")
        assert not page.locator("#app-view").is_visible()
        page.fill("#name", CLERK_NAME)
        page.fill("#password", "sai-mat-khau-1")
        page.press("#password", "Enter")
        page.wait_for_selector("#login-error:not([hidden])")
        assert page.inner_text("#login-error") == "Tên đăng nhập hoặc mật khẩu không đúng."

        page.fill("#password", CLERK_PASSWORD)
        page.press("#password", "Enter")
        page.wait_for_selector("#app-view:not([hidden])")
        assert page.locator("#app-view").is_visible() and not page.locator("#login-view").is_visible()
        screenshot(page, "clerk-after-login")

        # Instant search, typed key by key without diacritics.
        page.click("#search")
        page.keyboard.type("khai sinh", delay=40)
        # "Đăng ký khai sinh lưu động" is not in the popular list: these are the finished search's results.
        page.wait_for_function(
            "() => document.querySelector('#search-note').textContent.endsWith('kết quả')"
            " && [...document.querySelectorAll('#results .name')].some(n => n.textContent === 'Đăng ký khai sinh lưu động')"
        )
        assert page.locator("#results .name").first.inner_text() == "Đăng ký khai sinh"
        screenshot(page, "clerk-search")

        page.fill("#search", "")
        page.keyboard.type("tam tru", delay=40)
        page.wait_for_function(
            "() => [...document.querySelectorAll('#results .name')].some(n => n.textContent === 'Gia hạn tạm trú')"
        )  # typed without diacritics; not a popular procedure, so it comes from the search
        page.fill("#search", "")
        page.keyboard.type("khai sinh", delay=40)
        page.wait_for_function(
            "() => document.querySelector('#search-note').textContent.endsWith('kết quả')"
            " && document.querySelector('#results .name').textContent === 'Đăng ký khai sinh'"
        )

        page.locator("#results .result").first.click()
        page.wait_for_selector("#card:not([hidden]) h2")
        assert page.inner_text("#card h2") == "Đăng ký khai sinh — mã 1.001193"
        assert page.locator("#card h3").count() >= 2
        checklist = page.get_by_role("link", name="In danh sách giấy tờ")
        assert checklist.get_attribute("href") == "procedures/1.001193/checklist"
        screenshot(page, "clerk-card")

        with page.expect_popup() as popup_info:
            checklist.click()
        printable = popup_info.value
        printable.wait_for_load_state()
        assert "Đăng ký khai sinh" in printable.title()
        screenshot(printable, "clerk-checklist")
        printable.close()

        # The open ticket, shown as text, and closed with one click.
        item = page.locator(f"#tickets li[data-ticket='{ticket.id}']")
        item.wait_for()
        assert "Tôi muốn hỏi cán bộ về đất đai <b>gấp</b>" in item.inner_text()
        assert item.locator("b").count() == 0
        item.get_by_role("button", name="Đã xử lý — đóng phiếu").click()
        item.wait_for(state="detached")
        assert ticket.id not in [t.id for t in store.list_tickets("open")]
        screenshot(page, "clerk-ticket-closed")

        # Reloading keeps the session (cookie), logging out ends it.
        page.reload()
        page.wait_for_selector("#app-view:not([hidden])")
        page.click("#logout")
        page.wait_for_selector("#login-view:not([hidden])")
        assert page.locator("#login-view").is_visible() and not page.locator("#app-view").is_visible()
    finally:
        for open_ticket in store.list_tickets("open"):
            store.close_ticket(open_ticket.id)
        engine.dispose()
