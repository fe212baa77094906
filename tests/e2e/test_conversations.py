"""Real conversations over REST with the trained model, the action server and the knowledge base."""
from __future__ import annotations

import uuid

import pytest

pytestmark = pytest.mark.slow


def texts(replies) -> str:
    return "\n".join(r.get("text", "") for r in replies)


def buttons(replies) -> list[dict]:
    return [b for r in replies for b in r.get("buttons", [])]


def new_sender() -> str:
    return f"e2e-{uuid.uuid4().hex[:10]}"


def test_greeting(running_bot):
    replies = running_bot.send("xin chào")
    assert "Xin chào" in texts(replies)
    assert buttons(replies), "the greeting offers common procedures"


def test_question_without_diacritics_is_answered(running_bot):
    replies = running_bot.send("lam khai sinh can gi")
    assert "Đăng ký khai sinh (mã 1.001193)" in texts(replies)
    assert "Giấy tờ phải nộp" in texts(replies)
    assert "Nguồn: 163/QĐ-BTP" in texts(replies)


def test_documents_then_fee_follow_up_then_switch_procedure(running_bot):
    sender = new_sender()
    first = running_bot.send("đăng ký kết hôn cần giấy tờ gì", sender)
    assert "Đăng ký kết hôn (mã 1.000894)" in texts(first)
    follow_up = running_bot.send("còn lệ phí thì sao?", sender)
    assert "Đăng ký kết hôn (mã 1.000894)" in texts(follow_up)
    assert "Lệ phí" in texts(follow_up)
    switched = running_bot.send("thế đăng ký tạm trú thì nộp ở đâu", sender)
    assert "(mã 1.004194)" in texts(switched)
    assert "Nơi nộp hồ sơ" in texts(switched)


def test_ambiguous_question_then_button_choice(running_bot):
    sender = new_sender()
    # a bare variant word names no procedure: which one is to be registered again?
    replies = running_bot.send("đăng ký lại cần giấy tờ gì", sender)
    choices = buttons(replies)
    assert "Bạn muốn hỏi thủ tục nào" in texts(replies)
    assert 2 <= len(choices) <= 5
    chosen = choices[0]
    answer = running_bot.send(chosen["payload"], sender)
    code = chosen["title"].rsplit("(", 1)[1].rstrip(")")
    assert f"(mã {code})" in texts(answer)


def test_no_variant_word_is_the_base_procedure(running_bot):
    # without "gia hạn", "cấp lại", "điều chỉnh"… the question is about the permit itself
    replies = running_bot.send("giấy phép xây dựng cần giấy tờ gì")
    assert "(mã 1.013225)" in texts(replies) and "Hồ sơ cần chuẩn bị" in texts(replies)
    variant = running_bot.send("giấy phép xây dựng bị mất, xin cấp lại cần giấy tờ gì")
    assert "(mã 1.013228)" in texts(variant)


def test_two_misses_offer_menu_and_clerk(running_bot):
    sender = new_sender()
    running_bot.send("zxqv blorp", sender)
    second = running_bot.send("qqq wxyz", sender)
    assert any(b["payload"] == "/request_human" for b in buttons(second))


def test_handoff_silences_bot_until_ticket_closed(running_bot):
    from handoff.store import ConversationStore, close_and_resume
    from base.db import get_engine

    sender = new_sender()
    opened = running_bot.send("cho tôi gặp cán bộ", sender)
    assert "phiếu số" in texts(opened)
    assert running_bot.send("alo có ai không", sender) == [], "no bot reply while a clerk has the conversation"
    store = ConversationStore(get_engine(running_bot.database_url))
    ticket = next(t for t in store.list_tickets("open") if t.sender_id == running_bot.conversation_id(sender))
    close_and_resume(store, ticket.id, rasa_url=running_bot.rasa_url, token=running_bot.api_token)
    again = running_bot.send("làm khai sinh cần gì", sender)
    assert "(mã 1.001193)" in texts(again)


def test_hostile_and_huge_messages_get_an_answer_not_a_crash(running_bot):
    for text in ["<img src=x onerror=alert(1)>", "a" * 20000, "'; DROP TABLE kb_procedures; --", "\x00\x01", "😀" * 500]:
        replies = running_bot.send(text)
        assert isinstance(replies, list)
    assert "(mã 1.001193)" in texts(running_bot.send("khai sinh"))
