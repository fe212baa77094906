"""The trained bot through the Zalo route: signed webhook in, the answer captured by the fake Zalo API."""
from __future__ import annotations

import random
import time

import pytest
import requests

pytestmark = pytest.mark.slow


def new_user() -> str:
    return "84" + "".join(random.choice("0123456789") for _ in range(17))


def test_signed_question_is_answered_once_through_zalo(zalo_bot):
    user = new_user()
    question = zalo_bot.text_event(user, "lam khai sinh can gi")
    assert zalo_bot.post(question).status_code == 200
    zalo_bot.wait_until_answered(user, "lam khai sinh can gi")

    replies = zalo_bot.zalo.delivered(user)
    text = "\n".join(m["text"] for m in replies)
    assert "Đăng ký khai sinh (mã 1.001193)" in text
    assert "Giấy tờ phải nộp" in text
    assert all(len(m["text"]) <= 2000 for m in replies)
    for message in replies:
        buttons = message.get("attachment", {}).get("payload", {}).get("buttons", [])
        assert len(buttons) <= 5 and all(len(b["title"]) <= 100 for b in buttons)
    sends = [r for r in zalo_bot.zalo.sends() if r.json["recipient"]["user_id"] == user]
    assert all(r.headers["access_token"] in zalo_bot.zalo.valid_access_tokens for r in sends)

    # Zalo redelivers the same event: it must not be answered again. A later message is handled after it
    # (Rasa orders one conversation's messages), so once that one is answered the duplicate would have shown.
    delivered_before = len(replies)
    assert zalo_bot.post(question).status_code == 200
    assert zalo_bot.post(zalo_bot.text_event(user, "cảm ơn")).status_code == 200
    events = zalo_bot.wait_until_answered(user, "cảm ơn")
    assert [e.get("text") for e in events if e.get("event") == "user"].count("lam khai sinh can gi") == 1
    assert len(zalo_bot.zalo.delivered(user)) > delivered_before  # "cảm ơn" was answered


def test_unsigned_event_is_refused_by_the_real_server(zalo_bot):
    user = new_user()
    event = zalo_bot.text_event(user, "xin chào")
    raw, headers = zalo_bot.signed(event)
    headers["X-ZEvent-Signature"] = "mac=" + "0" * 64
    response = requests.post(zalo_bot.webhook_url, data=raw, headers=headers, timeout=10)
    assert response.status_code == 401
    assert [e for e in zalo_bot.events(user) if e.get("event") == "user"] == []


def test_clerk_reply_in_the_oa_inbox_silences_the_real_bot(zalo_bot):
    user = new_user()
    assert zalo_bot.post(zalo_bot.text_event(user, "xin chào")).status_code == 200
    zalo_bot.wait_until_answered(user, "xin chào")
    answered = len(zalo_bot.zalo.delivered(user))
    assert answered >= 1

    echo = {
        "app_id": zalo_bot.zalo.app_id,
        "event_name": "oa_send_text",
        "timestamp": str(int(time.time() * 1000)),
        "sender": {"id": "579745863508352884"},
        "recipient": {"id": user},
        "message": {"text": "Chào anh, em là cán bộ phường, em hỗ trợ anh ạ.", "msg_id": "inbox-" + user},
    }
    assert zalo_bot.post(echo).status_code == 200
    deadline = time.monotonic() + 30
    while not any(e.get("event") == "pause" for e in zalo_bot.events(user)):
        assert time.monotonic() < deadline, "the conversation was not paused"
        time.sleep(0.2)

    assert zalo_bot.post(zalo_bot.text_event(user, "dạ em cảm ơn cán bộ")).status_code == 200
    events = zalo_bot.wait_until_answered(user, "dạ em cảm ơn cán bộ")
    pause_index = max(i for i, e in enumerate(events) if e.get("event") == "pause")
    assert [e for e in events[pause_index:] if e.get("event") == "bot"] == []
    assert len(zalo_bot.zalo.delivered(user)) == answered
