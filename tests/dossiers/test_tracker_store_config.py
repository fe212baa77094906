"""The masking tracker store loads from an endpoints.yml entry the way `rasa run` loads it."""
from __future__ import annotations

import asyncio

from rasa.core.tracker_store import create_tracker_store
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import read_endpoint_config

from bot.tracker_store import MaskingTrackerStore


def test_loaded_from_endpoints_yml(tmp_path):
    db = tmp_path / "sub" / "conversations.db"
    endpoints = tmp_path / "endpoints.yml"
    endpoints.write_text(
        "tracker_store:\n  type: bot.tracker_store.MaskingTrackerStore\n"
        f"  url: sqlite:///{db}\n  inner: sql\n", encoding="utf-8")
    domain = Domain.load("domain.yml")
    store = create_tracker_store(read_endpoint_config(str(endpoints), "tracker_store"), domain)
    wrapped = getattr(store, "_tracker_store", store)
    assert isinstance(wrapped, MaskingTrackerStore)
    tracker = DialogueStateTracker.from_events("web-1", [
        ActionExecuted("action_listen"),
        UserUttered("ho so H15.50-251203-2035, so cuoi 5678", {"name": "check_dossier_status", "confidence": 1.0}),
    ], domain.slots)
    asyncio.run(store.save(tracker))
    assert db.exists()
    stored = asyncio.run(store.retrieve("web-1"))
    assert stored.latest_message.text == "ho so H15.50-******-**35, so cuoi ****"
