"""The SQL tracker store stores and loads what Rasa's own SQL store does, masked, on SQLite and PostgreSQL."""
from __future__ import annotations

import asyncio
import copy
import itertools
import json

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted, BotUttered, SessionStarted, SlotSet, UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker

from bot.tracker_store import MaskedSQLTrackerStore, MaskingTrackerStore

DOMAIN = Domain.load("domain.yml")


def _turns() -> list[list]:
    """Turns of two sessions, as Rasa's processor appends them; no personal data, so masking changes nothing."""
    session = [ActionExecuted("action_session_start"), SessionStarted(), ActionExecuted("action_listen")]
    ask = [UserUttered("lam khai sinh can gi", {"name": "ask_documents", "confidence": 0.9}),
           ActionExecuted("action_answer_procedure"), SlotSet("procedure_code", "1.001193"),
           BotUttered("Đăng ký khai sinh (mã 1.001193)"), ActionExecuted("action_listen")]
    fee = [UserUttered("lệ phí bao nhiêu", {"name": "ask_fee", "confidence": 0.8}),
           ActionExecuted("action_answer_procedure"), BotUttered("Miễn lệ phí"), ActionExecuted("action_listen")]
    return [session + ask, fee, session + ask, fee]


def _stored(store, sender: str) -> list[dict]:
    tracker = asyncio.run(store.retrieve(sender))
    return [event.as_dict() for event in tracker.events]


def _play(store, sender: str) -> list[list[dict]]:
    """Save turn by turn the way Rasa does (load, append, save) and record what loading returns after each."""
    seen, clock = [], itertools.count(1_700_000_000)
    for turn in _turns():
        tracker = asyncio.run(store.retrieve(sender)) or DialogueStateTracker(sender, DOMAIN.slots)
        for event in turn:
            event = copy.deepcopy(event)
            event.timestamp = float(next(clock))  # each event later than the one before, as in a conversation
            tracker.update(event)
        asyncio.run(store.save(tracker))
        seen.append(_stored(store, sender))
    return seen


def test_same_conversation_as_rasas_store_across_sessions(database_url, tmp_path):
    ours = MaskingTrackerStore(DOMAIN, url=database_url)
    assert isinstance(ours.inner, MaskedSQLTrackerStore)
    rasas = SQLTrackerStore(DOMAIN, host=f"sqlite:///{tmp_path / 'rasa.db'}")
    assert _play(ours, "web-1") == _play(rasas, "web-1")
    # After the second session started, loading returns that session only; nothing was written twice.
    assert sum(event["event"] == "user" for event in _stored(ours, "web-1")) == 2
    full = asyncio.run(ours.retrieve_full_tracker("web-1"))
    assert len(full.events) == sum(len(turn) for turn in _turns())


def test_unknown_conversation_is_none(database_url):
    assert asyncio.run(MaskingTrackerStore(DOMAIN, url=database_url).retrieve("nobody")) is None


def test_broker_gets_each_new_event_once_masked(sqlite_url):
    class Broker:
        def __init__(self):
            self.published = []

        def publish(self, event):
            self.published.append(event)

    broker = Broker()
    store = MaskingTrackerStore(DOMAIN, url=sqlite_url, event_broker=broker)
    tracker = DialogueStateTracker.from_events("zalo-9", [
        ActionExecuted("action_listen"),
        UserUttered("sđt của tôi 0912345678", {"name": "inform", "confidence": 0.9}),
    ], DOMAIN.slots)
    asyncio.run(store.save(tracker))
    tracker.update(BotUttered("Cảm ơn"))
    asyncio.run(store.save(tracker))
    assert [event["event"] for event in broker.published] == ["action", "user", "bot"]
    assert all(event["sender_id"] == "zalo-9" for event in broker.published)
    assert "0912345678" not in json.dumps(broker.published, ensure_ascii=False)


def test_embedded_sqlite_uses_a_write_ahead_log_and_keeps_connections(sqlite_url):
    store = MaskingTrackerStore(DOMAIN, url=sqlite_url).inner
    with store.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
    assert type(store.engine.pool).__name__ == "QueuePool"
