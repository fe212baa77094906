"""The web chat page receiving a clerk's messages (scripted backend in its own process): a message put in the
outbox appears without reload through the long poll, and an after-hours access code typed into the chat shows the
clerk's answer, both styled as "Cán bộ"."""
from __future__ import annotations

import pytest

from tests.browser.conftest import screenshot
from tests.browser.test_webchat_page import ask

pytestmark = pytest.mark.browser


def test_clerk_message_arrives_live_and_an_access_code_shows_the_answer(page, chat_backend, knowledge_db):
    from base.db import make_engine
    from base.outbox import Outbox
    from handoff.store import TICKET_CALLBACK, ConversationStore

    engine = make_engine(knowledge_db)
    try:
        page.goto(chat_backend.url + "/chat/")
        ask(page, "xin chào")
        sender = "web-" + page.evaluate("localStorage.getItem('thutuc.chat.session')").split(".")[1]
        # Another process (the backend) serves the page: it sees the message at its next outbox check (≤ 2 s).
        Outbox(engine).put(sender, "Chào bạn, mình là cán bộ Lan.")
        page.wait_for_selector("#log li.msg.clerk", timeout=8_000)
        assert page.locator("#log li.msg.clerk .bubble").inner_text().endswith("Chào bạn, mình là cán bộ Lan.")

        store = ConversationStore(engine)
        ticket = store.open_ticket("web-" + "d" * 32, "webchat", "Hỏi về sổ đỏ", status=TICKET_CALLBACK)
        code = store.issue_access_code(ticket.id)
        store.add_reply(ticket.id, "lan", "Bạn mang CCCD đến quầy số 2 nhé.")
        ask(page, code.lower())
        page.wait_for_function("() => document.querySelectorAll('#log li.msg.clerk').length === 2")
        assert page.locator("#log li.msg.clerk .bubble").last.inner_text().endswith("Bạn mang CCCD đến quầy số 2 nhé.")
        screenshot(page, "webchat-access-code")

        page.reload()  # both are in the page's history, each once
        page.wait_for_selector("#log li.msg.clerk")
        page.wait_for_timeout(500)
        assert page.locator("#log li.msg.clerk").count() == 2
        store.close_ticket(ticket.id)
    finally:
        engine.dispose()
