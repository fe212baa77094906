"""A clerk answers a citizen from the clerk page, on the trained bot: two browser pages at once (the citizen's web
chat on a phone, the clerk's desk at 1280×800); the same for a Zalo citizen against the fake Zalo API.

The citizen asks for a clerk → the bot opens a ticket and falls silent; the clerk logs in, opens the ticket, reads
the question, replies; the reply appears on the citizen's page without reload (or is sent through the OA API);
closing the ticket makes the bot answer the next question.
"""
from __future__ import annotations

import pytest
import requests

from base.rasa_api import auth_headers
from tests.browser.conftest import desk_size_page, log_in, screenshot
from tests.browser.test_webchat_page import ask, bot_texts
from tests.fakes.staff import password_of

pytestmark = [pytest.mark.browser, pytest.mark.slow]

REPLY = "Chào bạn, mình là Lan ở bộ phận một cửa. Đất đai bạn mang sổ đỏ và CCCD đến quầy số 2 nhé."


@pytest.fixture
def desk(chromium):
    """The clerk's page on the issue's 1280×800 desk screen."""
    with desk_size_page(chromium, height=800, timeout_ms=20_000) as page:
        yield page


def open_ticket_of(desk, base_url: str, sender: str, database_url: str):
    from base.db import get_engine
    from handoff.store import ConversationStore

    store = ConversationStore(get_engine(database_url))
    ticket = next(t for t in store.list_tickets("open") if t.sender_id == sender)
    desk.goto(base_url + "/clerk/")
    log_in(desk, "lan", password_of("lan"))
    item = desk.locator(f"#tickets li[data-ticket='{ticket.id}']")
    item.wait_for()
    item.get_by_role("button", name="Mở cuộc trò chuyện").click()
    desk.wait_for_selector("#conversation:not([hidden])")
    return ticket


def send_reply(desk, text: str) -> None:
    desk.fill("#reply-text", text)
    desk.click("#reply-send")
    desk.wait_for_function("t => [...document.querySelectorAll('#conv-log li.clerk')].some(li => li.textContent.includes(t))",
                           arg=text[:40])


def close_from_conversation(desk, ticket_id: int) -> None:
    desk.click("#conv-close")
    desk.wait_for_selector("#conversation", state="hidden")
    desk.locator(f"#tickets li[data-ticket='{ticket_id}']").wait_for(state="detached")
    assert desk.locator("#reply-error").is_hidden() and desk.locator("#tickets-error").is_hidden()


def test_web_chat_citizen_gets_the_clerks_reply_live(page, desk, running_bot):
    page.goto(running_bot.rasa_url + "/chat/")
    ask(page, "tôi muốn hỏi về thủ tục đất đai")
    ask(page, "cho tôi gặp cán bộ")
    assert "phiếu số" in bot_texts(page)[-1]
    answers = len(bot_texts(page))
    page.fill("#input", "nhà tôi chưa có sổ đỏ thì làm sao")
    page.press("#input", "Enter")
    page.wait_for_selector("#log li.typing", state="detached")
    assert len(bot_texts(page)) == answers  # the bot is silent while the ticket is open

    sender = "web-" + page.evaluate("localStorage.getItem('thutuc.chat.session')").split(".")[1]
    ticket = open_ticket_of(desk, running_bot.rasa_url, sender, running_bot.database_url)
    desk.wait_for_function("() => [...document.querySelectorAll('#conv-log li.citizen')]"
                           ".some(li => li.textContent.includes('nhà tôi chưa có sổ đỏ thì làm sao'))")
    assert desk.locator("#conv-log li.bot", has_text="phiếu số").count() == 1
    send_reply(desk, REPLY)
    assert "trang chat" in desk.inner_text("#reply-status")
    screenshot(desk, "live-reply-clerk-desk")

    # The citizen's page shows it without reload, as the clerk's; the bot said nothing meanwhile.
    page.wait_for_selector("#log li.msg.clerk")
    shown = page.locator("#log li.msg.clerk .bubble").inner_text()
    assert shown.startswith("Cán bộ") and shown.endswith(REPLY)
    assert len(bot_texts(page)) == answers
    screenshot(page, "live-reply-citizen-phone")

    # Stored in the conversation like a bot message, marked as the clerk's.
    events = requests.get(f"{running_bot.rasa_url}/conversations/{sender}/tracker",
                          headers=auth_headers(running_bot.api_token), timeout=10).json()["events"]
    [clerk_message] = [e for e in events if e.get("event") == "bot" and (e.get("metadata") or {}).get("thutuc_author") == "clerk"]
    assert clerk_message["metadata"]["thutuc_staff"] == "lan" and "sổ đỏ" in clerk_message["text"]

    # After a reload the reply is still there (page history), and not delivered twice.
    page.reload()
    page.wait_for_selector("#log li.msg.clerk")
    page.wait_for_timeout(500)
    assert page.locator("#log li.msg.clerk").count() == 1

    close_from_conversation(desk, ticket.id)
    before = len(bot_texts(page))
    ask(page, "làm khai sinh cần gì")
    assert "(mã 1.001193)" in "\n".join(bot_texts(page)[before:])  # the bot answers again

    from base.audit import AuditLog
    from base.db import get_engine

    done = [(e.actor, e.action) for e in AuditLog(get_engine(running_bot.database_url)).entries()
            if e.target == f"ticket:{ticket.id}"]
    assert done == [("lan", "close"), ("lan", "reply")]


def test_zalo_citizen_gets_the_clerks_reply_through_the_oa_api(desk, zalo_bot):
    user = "7318845521049983012"
    zalo = zalo_bot.zalo
    assert zalo_bot.post(zalo_bot.text_event(user, "cho tôi gặp cán bộ")).status_code == 200
    zalo_bot.wait_until_answered(user, "cho tôi gặp cán bộ")
    assert "phiếu số" in zalo.wait_for_deliveries(1, user)[-1]["text"]
    delivered = len(zalo.delivered(user))
    assert zalo_bot.post(zalo_bot.text_event(user, "em hỏi về giấy phép kinh doanh")).status_code == 200
    zalo_bot.wait_until_answered(user, "em hỏi về giấy phép kinh doanh")

    ticket = open_ticket_of(desk, zalo_bot.rasa_url, user, zalo_bot.database_url)
    desk.wait_for_function("() => [...document.querySelectorAll('#conv-log li.citizen')]"
                           ".some(li => li.textContent.includes('giấy phép kinh doanh'))")
    assert len(zalo.delivered(user)) == delivered  # the bot stayed silent
    send_reply(desk, "Chào anh, em là Lan. Anh mang CCCD đến quầy số 3 nhé.")
    assert desk.inner_text("#reply-status") == "Đã gửi qua Zalo."
    last = zalo.sends()[-1]
    assert last.path == "/v3.0/oa/message/cs" and last.headers.get("access_token")  # the OA message API, with the token
    assert last.json == {"recipient": {"user_id": user},
                         "message": {"text": "Chào anh, em là Lan. Anh mang CCCD đến quầy số 3 nhé."}}
    screenshot(desk, "live-reply-zalo-desk")
    desk.set_viewport_size({"width": 390, "height": 780})  # the same page on a phone: one column, nothing cut off
    assert desk.locator("#reply-send").is_visible() and desk.locator("#conv-close").is_visible()
    assert desk.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    screenshot(desk, "live-reply-zalo-phone")

    close_from_conversation(desk, ticket.id)
    before = len(zalo.delivered(user))
    assert zalo_bot.post(zalo_bot.text_event(user, "làm khai sinh cần gì")).status_code == 200
    zalo_bot.wait_until_answered(user, "làm khai sinh cần gì")
    answer = "\n".join(m.get("text", "") for m in zalo.wait_for_deliveries(before + 1, user)[before:])
    assert "(mã 1.001193)" in answer
