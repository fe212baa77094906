"""The web chat and clerk pages served by the real Rasa server (trained model, action server, knowledge base)."""
from __future__ import annotations

import pytest

from tests.browser.conftest import log_in, screenshot
from tests.fakes.staff import password_of
from tests.browser.test_webchat_page import XSS, ask, bot_texts, user_texts

pytestmark = [pytest.mark.browser, pytest.mark.slow]



def test_citizen_walk_through_with_the_trained_bot(page, running_bot):
    page.goto(running_bot.rasa_url + "/chat/")
    ask(page, "làm giấy khai sinh cần giấy tờ gì")
    answer = "\n".join(bot_texts(page)[1:])
    assert "Đăng ký khai sinh (mã 1.001193)" in answer
    screenshot(page, "real-bot-documents")

    # The answer offers the other facets as buttons (actions/templates.py FACET_BUTTON).
    choice = page.locator("#log .choices button:not([disabled])", has_text="Thời hạn giải quyết").last
    before = len(bot_texts(page))
    choice.click()
    page.wait_for_function(
        "n => document.querySelectorAll('#log li.msg.bot:not(.typing)').length > n && !document.querySelector('.typing')",
        arg=before,
    )
    assert user_texts(page)[-1] == "Thời hạn giải quyết"
    assert "(mã 1.001193)" in "\n".join(bot_texts(page)[before:])  # still about the same procedure

    before = len(bot_texts(page))
    ask(page, "còn lệ phí thì sao?")
    follow_up = "\n".join(bot_texts(page)[before:])
    assert "(mã 1.001193)" in follow_up and "Lệ phí" in follow_up

    ask(page, XSS)
    assert user_texts(page)[-1] == XSS
    assert page.locator("#log img").count() == 0
    page.wait_for_timeout(300)
    assert page.dialogs == []

    users, bots = user_texts(page), bot_texts(page)
    page.reload()
    page.wait_for_selector("#log li.msg.user")
    assert user_texts(page) == users and bot_texts(page) == bots
    screenshot(page, "real-bot-after-reload")


def test_clerk_search_on_the_real_server(chromium, running_bot):
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="vi-VN")
    page = context.new_page()
    page.set_default_timeout(20_000)
    try:
        page.goto(running_bot.rasa_url + "/clerk/")
        log_in(page, "lan", password_of("lan"))
        page.click("#search")
        page.keyboard.type("ket hon", delay=40)
        # Results of a finished search (not the popular list, not a half-typed query still on screen).
        page.wait_for_function(
            "() => document.querySelector('#search-note').textContent.endsWith('kết quả')"
            " && [...document.querySelectorAll('#results .name')].some(n => n.textContent === 'Đăng ký kết hôn')"
        )
        page.locator("#results .result", has_text="Đăng ký kết hôn").first.click()
        page.wait_for_selector("#card:not([hidden]) h2")
        assert "Đăng ký kết hôn — mã" in page.inner_text("#card h2")
        screenshot(page, "real-bot-clerk-card")
    finally:
        context.close()


def test_clerk_closing_the_ticket_lets_the_bot_answer_again(page, chromium, running_bot):
    from handoff.store import ConversationStore
    from base.db import get_engine

    page.goto(running_bot.rasa_url + "/chat/")
    ask(page, "cho tôi gặp cán bộ")
    assert "phiếu số" in "\n".join(bot_texts(page)[1:])  # [0] is the page's own welcome

    # While a clerk has the conversation the bot stays silent.
    answers = len(bot_texts(page))
    page.fill("#input", "alo có ai không")
    page.press("#input", "Enter")
    page.wait_for_selector("#log li.typing", state="detached")
    assert len(bot_texts(page)) == answers and page.locator("#status").is_hidden()

    sender = "web-" + page.evaluate("localStorage.getItem('thutuc.chat.session')").split(".")[1]
    store = ConversationStore(get_engine(running_bot.database_url))
    ticket = next(t for t in store.list_tickets("open") if t.sender_id == sender)

    desk = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="vi-VN")
    clerk = desk.new_page()
    clerk.set_default_timeout(20_000)
    try:
        clerk.goto(running_bot.rasa_url + "/clerk/")
        log_in(clerk, "lan", password_of("lan"))
        item = clerk.locator(f"#tickets li[data-ticket='{ticket.id}']")
        item.wait_for()
        screenshot(clerk, "real-bot-clerk-ticket")
        item.get_by_role("button", name="Đã xử lý — đóng phiếu").click()
        item.wait_for(state="detached")
        assert clerk.locator("#tickets-error").is_hidden()
    finally:
        desk.close()

    ask(page, "làm khai sinh cần gì")
    assert "(mã 1.001193)" in "\n".join(bot_texts(page)[answers:])
