"""The web chat in headless Chromium, as a citizen on a phone uses it (scripted backend; see test_real_bot_pages.py
for the same walk against the trained bot)."""
from __future__ import annotations

import pytest

from tests.browser.conftest import screenshot

pytestmark = pytest.mark.browser

XSS = "<img src=x onerror=alert(1)>"


def bot_texts(page):
    return page.locator("#log li.msg.bot:not(.typing) .bubble").all_inner_texts()


def user_texts(page):
    return page.locator("#log li.msg.user .bubble").all_inner_texts()


def ask(page, text):
    before = page.locator("#log li.msg.bot:not(.typing)").count()
    page.fill("#input", text)
    page.press("#input", "Enter")
    page.wait_for_function(
        "n => document.querySelectorAll('#log li.msg.bot:not(.typing)').length > n && !document.querySelector('.typing')",
        arg=before,
    )


def test_conversation_buttons_links_injection_and_history(page, chat_backend):
    page.goto(chat_backend.url + "/chat/")
    assert page.locator("h1").inner_text() == "Hỏi đáp thủ tục hành chính"
    assert "trợ lý tự động" in bot_texts(page)[0]

    # Ask for documents.
    ask(page, "làm giấy khai sinh cần giấy tờ gì")
    answer = bot_texts(page)[-1]
    assert answer.startswith("Đăng ký khai sinh — mã 1.001193")
    link = page.locator("#log li.msg.bot").last.locator("a[href]")
    assert link.get_attribute("href") == "https://dichvucong.gov.vn/"
    assert set(link.get_attribute("rel").split()) >= {"noopener", "noreferrer"}
    assert link.get_attribute("target") == "_blank"
    screenshot(page, "webchat-documents")

    # Click a button: its title is shown as the user's message, its payload goes to the bot.
    page.get_by_role("button", name="Lệ phí").click()
    page.wait_for_function("() => document.querySelectorAll('#log li.msg.bot:not(.typing)').length === 3")
    assert user_texts(page)[-1] == "Lệ phí"
    assert bot_texts(page)[-1] == "Đăng ký khai sinh đúng hạn: miễn lệ phí."
    assert page.get_by_role("button", name="Thời hạn giải quyết").is_disabled()  # old choices no longer clickable

    # A typed follow-up.
    ask(page, "còn lệ phí thì sao")
    assert bot_texts(page)[-1].startswith("Về Đăng ký khai sinh")

    # HTML typed by someone is shown as text and never runs.
    ask(page, XSS)
    assert user_texts(page)[-1] == XSS
    assert bot_texts(page)[-1] == f"Bạn hỏi: {XSS}"
    assert page.locator("#log img").count() == 0
    page.wait_for_timeout(300)  # give a (wrongly) injected onerror handler the chance to fire
    assert page.dialogs == []
    screenshot(page, "webchat-injection-as-text")

    # Reload: the same conversation is still there, in order.
    before_users, before_bots = user_texts(page), bot_texts(page)
    page.reload()
    page.wait_for_selector("#log li.msg.user")
    assert user_texts(page) == before_users
    assert bot_texts(page) == before_bots
    assert page.locator("#log img").count() == 0 and page.dialogs == []
    screenshot(page, "webchat-after-reload")


def test_typing_indicator_and_server_issued_identity(page, chat_backend):
    page.goto(chat_backend.url + "/chat/")
    assert page.evaluate("localStorage.getItem('thutuc.chat.session')") is None  # nothing until the server issues it
    # Hold the answer back to see the indicator.
    page.route("**/chat/webhook", lambda route: (page.wait_for_timeout(800), route.continue_()))
    page.fill("#input", "xin chào")
    page.press("#input", "Enter")
    page.wait_for_selector("#log li.typing")
    assert page.locator("#send").is_disabled()
    page.wait_for_selector("#log li.typing", state="detached")
    page.unroute("**/chat/webhook")
    session = page.evaluate("localStorage.getItem('thutuc.chat.session')")
    assert session and session.startswith("v1.")

    # After a reload the page sends the same identity back, and the server keeps it.
    page.reload()
    with page.expect_request("**/chat/webhook") as sent:
        ask(page, "còn lệ phí thì sao")
    assert sent.value.headers.get("x-chat-session") == session
    assert "sender" not in sent.value.post_data_json
    assert page.evaluate("localStorage.getItem('thutuc.chat.session')") == session

    # "Bắt đầu lại" forgets it: the next message gets a new identity from the server.
    page.evaluate("window.confirm = () => true")  # the fixture dismisses real dialogs
    page.click("#new-chat")
    ask(page, "xin chào")
    renewed = page.evaluate("localStorage.getItem('thutuc.chat.session')")
    assert renewed and renewed != session


def test_fits_a_phone_screen(page, chat_backend):
    page.goto(chat_backend.url + "/chat/")
    ask(page, "dài")  # a long answer must wrap, not widen the page
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    box = page.locator("#composer").bounding_box()
    assert box["y"] + box["height"] <= 780 + 1  # the input stays on screen
    screenshot(page, "webchat-phone-long-answer")


def test_server_unreachable_message_and_nothing_lost(page, chat_backend):
    page.goto(chat_backend.url + "/chat/")
    ask(page, "xin chào")
    chat_backend.stop()

    page.fill("#input", "thủ tục kết hôn cần gì")
    page.press("#input", "Enter")
    status = page.locator("#status")
    status.wait_for(state="visible")
    assert status.inner_text().startswith("Không kết nối được với máy chủ")
    assert page.input_value("#input") == "thủ tục kết hôn cần gì"  # the question is kept for a retry
    assert page.locator("#log li.msg.user.failed .retry").count() == 1
    assert page.locator("#log li.typing").count() == 0
    screenshot(page, "webchat-server-unreachable")


def test_input_length_is_limited(page, chat_backend):
    page.goto(chat_backend.url + "/chat/")
    page.fill("#input", "a" * 2500)
    assert len(page.input_value("#input")) == 2000  # maxlength: the server's cap (THUTUC_MAX_MESSAGE_CHARS default)


def test_embed_snippet_opens_the_chat_on_a_ward_page(page, chat_backend):
    # The ward's page is served on another origin (localhost vs 127.0.0.1) and embeds the chat with the snippet.
    page.goto(f"http://localhost:{chat_backend.port}/ward-demo")
    launcher = page.get_by_role("button", name="Hỏi đáp thủ tục")
    launcher.click()
    assert launcher.get_attribute("aria-expanded") == "true"
    frame = page.frame_locator("iframe[title='Trợ lý thủ tục hành chính']")
    with page.expect_response("**/chat/webhook") as first:
        frame.locator("#input").fill("xin chào")
        frame.locator("#input").press("Enter")
    frame.locator("#log li.msg.bot .bubble", has_text="Bạn hỏi: xin chào").wait_for()
    assert page.evaluate("document.querySelector('iframe').src").startswith(chat_backend.url + "/chat/")
    # A cross-site iframe may get neither cookies nor storage (this Chromium denies the frame localStorage): the page
    # keeps the server-issued token in memory, and the conversation still holds from one message to the next.
    session = first.value.headers.get("x-chat-session")
    with page.expect_request("**/chat/webhook") as second:
        frame.locator("#input").fill("còn gì nữa")
        frame.locator("#input").press("Enter")
    frame.locator("#log li.msg.bot .bubble", has_text="Bạn hỏi: còn gì nữa").wait_for()
    assert session and second.value.headers.get("x-chat-session") == session
    screenshot(page, "webchat-embedded")
    launcher.click()
    assert page.locator("iframe").is_hidden()
