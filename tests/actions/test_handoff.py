"""Handoff to a clerk: live during office hours (bot paused), callback request after hours."""
from __future__ import annotations

import re

import pytest
from freezegun import freeze_time

from actions import services
from actions import templates as T
from handoff.store import TICKET_CALLBACK, TICKET_OPEN
from actions.handoff import ActionRequestHuman, ActionSubmitHandoff, ValidateHandoffForm, normalise_contact
from tests.actions.conftest import make_tracker, run_action, slot_events
from tests.actions.test_guidance import local


@pytest.fixture(autouse=True)
def _kb(loaded_kb):
    return loaded_kb


def test_during_office_hours_a_ticket_opens_and_the_bot_pauses():
    earlier = [{"event": "user", "text": "hồ sơ tách hộ của tôi bị trả lại, tại sao?", "parse_data": {}}]
    with freeze_time(local("2026-11-24 09:00:00")):
        messages, events = run_action(ActionRequestHuman(), make_tracker("cho tôi gặp cán bộ", "request_human",
                                                                         sender="live-1", events=earlier))
    assert any(e.get("event") == "pause" for e in events)
    assert slot_events(events)["handoff_mode"] == "live"
    tickets = [t for t in services.conversation_store().list_tickets(TICKET_OPEN) if t.sender_id == "live-1"]
    assert len(tickets) == 1 and tickets[0].question == "hồ sơ tách hộ của tôi bị trả lại, tại sao?"
    assert f"phiếu số {tickets[0].id}" in messages[0]["text"]


def test_asking_twice_does_not_duplicate_the_ticket():
    with freeze_time(local("2026-11-24 10:00:00")):
        run_action(ActionRequestHuman(), make_tracker("gặp cán bộ", "request_human", sender="live-2"))
        run_action(ActionRequestHuman(), make_tracker("gặp người thật", "request_human", sender="live-2"))
    assert len([t for t in services.conversation_store().list_tickets(TICKET_OPEN) if t.sender_id == "live-2"]) == 1


def test_after_hours_the_bot_takes_question_and_contact():
    with freeze_time(local("2026-11-24 20:00:00")):
        messages, events = run_action(ActionRequestHuman(), make_tracker("gặp cán bộ", "request_human", sender="night-1"))
        assert not any(e.get("event") == "pause" for e in events)
        assert slot_events(events)["handoff_mode"] == "callback"
        assert messages[0]["text"] == T.HANDOFF_AFTER_HOURS_ASK_QUESTION
        slots = {"handoff_question": "tôi cần hỏi về sổ đỏ", "handoff_contact": "0912345678"}
        done, events = run_action(ActionSubmitHandoff(), make_tracker("0912345678", "inform", sender="night-1", slots=slots))
    ticket = next(t for t in services.conversation_store().list_tickets(TICKET_CALLBACK) if t.sender_id == "night-1")
    assert ticket.contact == "0912345678" and ticket.question == "tôi cần hỏi về sổ đỏ"
    assert "07:30 Thứ Tư, 25/11/2026" in done[0]["text"]
    code = re.search(r"Mã tra cứu của bạn: (HD-[A-Z0-9]{6})\.", done[0]["text"]).group(1)
    assert services.conversation_store().ticket_by_access_code(code.lower().replace("-", " ")).id == ticket.id
    assert done[0]["text"].endswith(T.HANDOFF_CALLBACK_CONTACT)
    assert slot_events(events) == {"handoff_question": None, "handoff_contact": None}


@pytest.mark.parametrize("raw, expected", [
    ("0912345678", "0912345678"), ("0912 345 678", "0912345678"), ("+84 912 345 678", "0912345678"),
    ("Ten@Example.vn", "ten@example.vn"), ("abc", None), ("12", None), ("", None),
])
def test_contact_normalisation(raw, expected):
    assert normalise_contact(raw) == expected


def test_invalid_contact_is_asked_again():
    from rasa_sdk.executor import CollectingDispatcher

    dispatcher = CollectingDispatcher()
    result = ValidateHandoffForm().validate_handoff_contact("abc", dispatcher, make_tracker("abc"), {})
    assert result == {"handoff_contact": None}
    assert dispatcher.messages[0]["text"] == T.HANDOFF_BAD_CONTACT


def test_closing_a_ticket_resumes_the_conversation_through_the_rasa_api(monkeypatch):
    from handoff import store as store_module

    calls = []
    monkeypatch.setattr(store_module, "resume_conversation", lambda sender, **kw: calls.append(sender))
    store = services.conversation_store()
    ticket = store.open_ticket("close-1", "rest", "câu hỏi")
    closed = store_module.close_and_resume(store, ticket.id)
    assert closed.status == "closed" and calls == ["close-1"]
    assert store.active_ticket("close-1") is None
    assert store_module.close_and_resume(store, 999999) is None


def test_the_contact_is_optional_and_the_code_is_the_way_back():
    from rasa_sdk.executor import CollectingDispatcher

    from actions.handoff import NO_CONTACT

    dispatcher = CollectingDispatcher()
    assert ValidateHandoffForm().validate_handoff_question("hỏi về sổ đỏ", dispatcher, make_tracker("hỏi về sổ đỏ"),
                                                           {}) == {"handoff_question": "hỏi về sổ đỏ"}
    assert dispatcher.messages[0]["text"] == T.HANDOFF_CONTACT_OPTIONAL  # said before the form asks for a contact
    for skip in ("không", "Không.", "ko", "bỏ qua"):
        assert ValidateHandoffForm().validate_handoff_contact(skip, CollectingDispatcher(), make_tracker(skip), {}) == {
            "handoff_contact": NO_CONTACT}
    with freeze_time(local("2026-11-24 21:00:00")):
        slots = {"handoff_question": "hỏi về sổ đỏ", "handoff_contact": NO_CONTACT}
        done, _ = run_action(ActionSubmitHandoff(), make_tracker("không", "deny", sender="night-2", slots=slots))
    ticket = next(t for t in services.conversation_store().list_tickets(TICKET_CALLBACK) if t.sender_id == "night-2")
    assert ticket.contact is None
    assert "Mã tra cứu của bạn: HD-" in done[0]["text"] and "liên hệ lại" not in done[0]["text"]
