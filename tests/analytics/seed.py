"""A seeded set of conversations, tickets, feedback and knowledge entries with known counts (the expected figures
are spelled out in EXPECTED and in the tests), written through the project's own stores: the events through the
masking tracker store, the tickets and feedback through handoff.store, the knowledge base through the loader."""
from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import sqlalchemy as sa

PROJECT_ROOT = Path(__file__).resolve().parents[2]
KNOWLEDGE_FIXTURES = PROJECT_ROOT / "tests" / "knowledge" / "fixtures" / "data"
TZ = ZoneInfo("Asia/Ho_Chi_Minh")
FIRST, LAST = date(2026, 11, 2), date(2026, 11, 4)
TODAY = date(2026, 11, 4)
FLAG_NOTE = "Lệ phí do tỉnh quy định, chưa rõ mức"
ZALO_A, WEB_B, REST_C, ZALO_D, ZALO_E = "8470117331209467721", "web-3f2a9c", "rest-u1", "8470000000000000001", "8470000000000000002"


def at(day: int, hour: int, minute: int = 0, second: int = 0) -> float:
    """Epoch seconds of a local time in November 2026."""
    return datetime(2026, 11, day, hour, minute, second, tzinfo=TZ).timestamp()


def _user(text, intent, ts, channel, entities=()):
    from rasa.shared.core.events import UserUttered

    return UserUttered(text, intent={"name": intent, "confidence": 0.9}, entities=list(entities), timestamp=ts,
                       input_channel=channel)


def _answer(ts, code=None, facet=None, misses=None, action="action_answer_procedure"):
    from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet

    events = [ActionExecuted(action, timestamp=ts + 1)]
    if code is not None:
        events.append(SlotSet("procedure_code", code, timestamp=ts + 1))
    if facet is not None:
        events.append(SlotSet("last_facet", facet, timestamp=ts + 1))
    if misses is not None:
        events.append(SlotSet("miss_count", float(misses), timestamp=ts + 1))
    events += [BotUttered("…", timestamp=ts + 1), ActionExecuted("action_listen", timestamp=ts + 2)]
    return events


def _plain(ts, action):
    from rasa.shared.core.events import ActionExecuted, BotUttered

    return [ActionExecuted(action, timestamp=ts + 1), BotUttered("…", timestamp=ts + 1),
            ActionExecuted("action_listen", timestamp=ts + 2)]


def _session(ts):
    from rasa.shared.core.events import ActionExecuted, SessionStarted

    return [ActionExecuted("action_session_start", timestamp=ts), SessionStarted(timestamp=ts),
            ActionExecuted("action_listen", timestamp=ts)]


def conversations() -> dict[str, list]:
    down = [{"entity": "feedback_value", "value": "down", "start": 0, "end": 1}]
    a = [
        *_session(at(2, 9)),
        _user("lam khai sinh can gi", "ask_documents", at(2, 9, 0, 5), "zalo"),
        *_answer(at(2, 9, 0, 5), "1.001193", "documents", 0),
        _user('/ask_fee{"procedure": "1.001193"}', "ask_fee", at(2, 9, 1), "zalo"),
        *_answer(at(2, 9, 1), "1.001193", "fee", 0),
        _user('/feedback{"feedback_value": "down"}', "feedback", at(2, 9, 2), "zalo", down),
        *_plain(at(2, 9, 2), "action_record_feedback"),
    ]
    b = [  # no session_started: a conversation begun before sessions were recorded still counts once
        _user("xin chào", "greet", at(2, 20), "webchat"),
        *_plain(at(2, 20), "action_greet"),
        _user("cho hỏi thủ tục nuôi chó mèo", "ask_procedure", at(2, 20, 1), "webchat"),
        *_answer(at(2, 20, 1), facet="overview", misses=1),
        _user("asdfgh", "nlu_fallback", at(2, 20, 2), "webchat"),
        *_answer(at(2, 20, 2), misses=2, action="action_clarify"),
    ]
    c = [
        *_session(at(3, 8)),
        _user("đăng ký kết hôn", "ask_procedure", at(3, 8, 0, 5), "rest"),
        *_answer(at(3, 8, 0, 5), facet="overview"),  # two candidates: "which one?"
        _user('/ask_procedure{"procedure": "1.000894"}', "ask_procedure", at(3, 8, 1), "rest"),
        *_answer(at(3, 8, 1), "1.000894", "overview", 0),
        _user("thoi tiet hom nay the nao", "out_of_scope", at(3, 8, 2), "rest"),
        *_answer(at(3, 8, 2), misses=1, action="action_out_of_scope"),
        *_session(at(4, 15)),
        _user("thời tiết hôm nay thế nào ạ?", "out_of_scope", at(4, 15, 0, 5), "rest"),
        *_answer(at(4, 15, 0, 5), misses=1, action="action_out_of_scope"),
        _user("gọi 0912345678 giúp tôi", "nlu_fallback", at(4, 15, 1), "rest"),
        *_answer(at(4, 15, 1), misses=1, action="action_clarify"),
    ]
    d = [  # outside the range on both sides
        _user("hello", "out_of_scope", at(1, 23, 50), "zalo"),
        *_answer(at(1, 23, 50), misses=1, action="action_out_of_scope"),
        _user("lam khai tu", "ask_procedure", at(5, 0, 30), "zalo"),
        *_answer(at(5, 0, 30), "1.000656", "overview", 0),
    ]
    e = [
        _user("lam khai sinh cho con can giay to gi", "ask_documents", at(4, 23, 59, 50), "zalo"),
        *_answer(at(5, 0, 0, 1), "1.001193", "documents", 0),  # answered just after midnight: same turn
    ]
    return {ZALO_A: a, WEB_B: b, REST_C: c, ZALO_D: d, ZALO_E: e}


def seed_tracker(url: str) -> None:
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.trackers import DialogueStateTracker

    from bot.tracker_store import MaskedSQLTrackerStore

    domain = Domain.load(str(PROJECT_ROOT / "domain.yml"))
    store = MaskedSQLTrackerStore(domain, host=url)
    for sender, events in conversations().items():
        tracker = DialogueStateTracker.from_events(sender, events, slots=domain.slots)
        store._save_new_events(tracker)  # what `save` runs on the blocking pool
    store.engine.dispose()


def _utc(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=TZ).astimezone(timezone.utc)


def seed_project(url: str) -> None:
    """Knowledge fixtures (one entry stale, one flagged), tickets with replies, feedback."""
    from base.db import make_engine
    from handoff.store import (TICKET_CALLBACK, ConversationStore, FeedbackRow, HandoffTicketRow, TicketReplyRow)
    from knowledge.loader import load_curated
    from knowledge.tables import procedures

    engine = make_engine(url)
    load_curated(engine, KNOWLEDGE_FIXTURES)
    store = ConversationStore(engine)
    with engine.begin() as connection:
        connection.execute(procedures.update().where(procedures.c.code == "1.004222")
                           .values(review_flags=[FLAG_NOTE]))
    tickets = [  # sender, channel, status, opened, first reply (minutes after), second reply
        (ZALO_A, "zalo", "open", _utc(2, 10), 12, 30),
        (WEB_B, "webchat", TICKET_CALLBACK, _utc(2, 21), 600, None),
        ("8470000000000000003", "zalo", "open", _utc(3, 9), None, None),
        ("8470000000000000004", "zalo", "open", _utc(5, 9), 5, None),  # outside
    ]
    for sender, channel, status, opened, first, second in tickets:
        ticket = store.open_ticket(sender, channel, "câu hỏi", status=status)
        if status == TICKET_CALLBACK:
            store.issue_access_code(ticket.id)
        with engine.begin() as connection:
            connection.execute(HandoffTicketRow.__table__.update()
                               .where(HandoffTicketRow.__table__.c.id == ticket.id).values(created_at=opened))
            for minutes in (first, second):
                if minutes is not None:
                    connection.execute(TicketReplyRow.__table__.insert().values(
                        ticket_id=ticket.id, staff="lan", text="trả lời", created_at=opened + timedelta(minutes=minutes)))
        if status == "open" and sender == ZALO_A:
            store.close_ticket(ticket.id)  # closed later: still a live ticket of the period
    feedback = [("1.001193", "down", _utc(2, 9, 2)), ("1.001193", "up", _utc(3, 10)), ("1.001193", "up", _utc(3, 11)),
                ("1.000894", "up", _utc(4, 12)), (None, "down", _utc(3, 12)), ("1.001193", "down", _utc(5, 1))]
    with engine.begin() as connection:
        for code, value, moment in feedback:
            connection.execute(FeedbackRow.__table__.insert().values(
                sender_hash="0" * 64, value=value, procedure_code=code, facet=None, created_at=moment))
    engine.dispose()


# The figures the seeded set must give for 2026-11-02 … 2026-11-04 (Asia/Ho_Chi_Minh), review age 365 days.
EXPECTED = {
    "messages": 12, "conversations": 5,
    "daily": [("2026-11-02", "zalo", 1, 3), ("2026-11-02", "webchat", 1, 3), ("2026-11-03", "rest", 1, 3),
              ("2026-11-04", "zalo", 1, 1), ("2026-11-04", "rest", 1, 2)],
    "daily_totals": [("2026-11-02", 2, 6), ("2026-11-03", 1, 3), ("2026-11-04", 2, 3)],
    "procedures": [("1.001193", 3), ("1.000894", 1)],
    "facets": [("documents", 2), ("fee", 1), ("overview", 1)],
    "answered": 4, "fallback": 2, "clarifying": 2, "not_found": 1, "out_of_scope": 2, "menu": 1,
    "handoff_total": (3, 2, 1, 2, 306.0, 306.0),  # tickets, live, callback, replied, median, mean minutes
    "handoff_zalo": (2, 2, 0, 1, 12.0, 12.0),
    "handoff_webchat": (1, 0, 1, 1, 600.0, 600.0),
    "feedback": [("1.001193", 2, 1), ("", 0, 1), ("1.000894", 1, 0)],
    "knowledge": {"1.000894": (True, ()), "1.004222": (False, (FLAG_NOTE,))},
    "unanswered": 6,
}
