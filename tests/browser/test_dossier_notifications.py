"""Dossier notifications on the web chat, on the trained bot: the one-stop system's sync (`POST /api/dossiers/sync`)
changes a dossier a citizen subscribed to from the web chat page, and the change reaches the page through the same
outbox and long poll as a clerk's reply — live while the page is open, on return otherwise — counted as sent only
once the page confirmed it, and shown once even when the confirmation was lost and the server sent it again.
"""
from __future__ import annotations

import time

import pytest
import requests

from tests.browser.conftest import screenshot
from tests.browser.test_webchat_page import ask, bot_texts

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SYNC_TOKEN = "sync-test-token"  # tests/conftest.py running_bot
NOTICE = "#log li.msg.bot[data-outbox-id]"


def sync(bot, *records: dict) -> dict:
    reply = requests.post(bot.rasa_url + "/api/dossiers/sync", json={"records": list(records)},
                          headers={"Authorization": f"Bearer {SYNC_TOKEN}"}, timeout=20)
    assert reply.status_code == 200, reply.text
    return reply.json()


def sender_of(page) -> str:
    return "web-" + page.evaluate("localStorage.getItem('thutuc.chat.session')").split(".")[1]


def subscribe_on_the_page(page, bot, code: str) -> None:
    page.goto(bot.rasa_url + "/chat/")
    ask(page, f"tra cứu hồ sơ {code}")
    assert "4 số cuối" in bot_texts(page)[-1]
    ask(page, "5678")
    assert "Trạng thái: Đang xử lý" in bot_texts(page)[-1]
    page.locator("#log li.msg.bot").last.get_by_role("button", name="Báo cho tôi khi có kết quả").click()
    page.wait_for_function("() => [...document.querySelectorAll('#log li.msg.bot .bubble')]"
                           ".some(b => b.textContent.includes('Mình đã ghi nhận'))")


def notification_rows(bot, code: str) -> list[tuple[str, int]]:
    """(status, attempts) of the notifications of one dossier."""
    from sqlalchemy import select

    from dossiers.models import Dossier, Notification, StateChange
    from dossiers.store import DossierStore

    store = DossierStore(bot.database_url)
    with store.session() as session:
        rows = session.execute(
            select(Notification.status, Notification.attempts)
            .join(StateChange, StateChange.id == Notification.change_id)
            .join(Dossier, Dossier.id == StateChange.dossier_id)
            .where(Dossier.receipt_code == code).order_by(Notification.id)).all()
    return [tuple(row) for row in rows]


def wait_until(predicate, timeout_s: float = 40.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.25)
    return predicate()


def test_a_subscribed_web_chat_citizen_sees_the_change_live_without_reload(page, running_bot):
    code = "H15.50-251203-3101"
    sync(running_bot, {"receipt_code": code, "state": 4, "procedure_code": "1.001193", "phone": "0912 345 678"})
    subscribe_on_the_page(page, running_bot, code)
    assert page.locator(NOTICE).count() == 0

    result = sync(running_bot, {"receipt_code": code, "state": 9, "pickup_from": "2026-01-22 14:00"})
    assert result["notifications"] == 1
    page.wait_for_selector(NOTICE, timeout=20_000)  # no reload: the long poll brings it
    shown = page.locator(NOTICE + " .bubble").inner_text()
    assert shown.startswith("Hồ sơ H15.50-******-**01 vừa chuyển sang trạng thái: Đã xử lý xong.")
    screenshot(page, "dossier-notification-live")
    # The page's next poll confirms it; only then does the notification count as sent (next round of the loop).
    assert wait_until(lambda: notification_rows(running_bot, code) == [("sent", 1)])

    page.reload()  # kept in the page's history, once
    page.wait_for_selector(NOTICE)
    page.wait_for_timeout(1500)
    assert page.locator(NOTICE).count() == 1


def test_a_citizen_who_comes_back_gets_it_on_return_once_even_after_a_lost_confirmation(page, running_bot):
    from base.outbox import Outbox
    from base.db import get_engine

    code = "H15.50-251203-3102"
    sync(running_bot, {"receipt_code": code, "state": 4, "phone": "0987 655 678"})
    subscribe_on_the_page(page, running_bot, code)
    sender = sender_of(page)
    seen_before = page.evaluate("localStorage.getItem('thutuc.chat.seen')")
    page.goto("about:blank")  # the citizen closes the chat

    sync(running_bot, {"receipt_code": code, "state": 5, "supplement": "Bản sao giấy chứng sinh"})
    outbox = Outbox(get_engine(running_bot.database_url))
    assert wait_until(lambda: notification_rows(running_bot, code) == [("waiting", 1)], 20)
    [queued] = outbox.after(sender, 0)
    assert queued.author == "bot" and queued.delivered_at is None
    time.sleep(1)
    assert notification_rows(running_bot, code) == [("waiting", 1)]  # nobody fetched it: not sent

    # The citizen comes back; the page fetches the message but its confirmation never reaches the server (the
    # connection drops, the tab is killed): every later poll is cut off.
    fetched = []

    def cut_confirmations(route, request):
        if fetched:
            route.abort()
        else:
            fetched.append(request.url)
            route.continue_()

    page.route("**/chat/updates*", cut_confirmations)
    page.goto(running_bot.rasa_url + "/chat/")
    page.wait_for_selector(NOTICE, timeout=20_000)
    assert "Yêu cầu bổ sung giấy tờ" in page.locator(NOTICE + " .bubble").inner_text()
    page.wait_for_timeout(1000)
    assert outbox.after(sender, 0) and notification_rows(running_bot, code) == [("waiting", 1)]
    # As if the page had shown it but not kept which id it confirmed (killed mid-way): the server sends it again.
    page.evaluate(f"localStorage.setItem('thutuc.chat.seen', {seen_before or '0'!r})")
    page.unroute("**/chat/updates*")
    page.reload()
    page.wait_for_selector(NOTICE)
    assert wait_until(lambda: outbox.after(sender, 0) == [], 20)  # fetched again and now confirmed
    page.wait_for_timeout(500)
    assert page.locator(NOTICE).count() == 1  # the page dropped the second copy by its message id
    assert wait_until(lambda: notification_rows(running_bot, code) == [("sent", 1)])
    screenshot(page, "dossier-notification-on-return")
