"""Actions run against a real knowledge base: the shipped procedures plus a test ward with fixed hours."""
from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any, Optional

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import services
from base.settings import get_settings

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="session")
def knowledge_root(tmp_path_factory) -> Path:
    from bot.local_bot import copy_knowledge

    return copy_knowledge(tmp_path_factory.mktemp("knowledge"), FIXTURES / "ward.yml")


@pytest.fixture(scope="session")
def loaded_kb(knowledge_root, tmp_path_factory):
    """A SQLite knowledge base loaded once; DATABASE_URL points at it for the whole session of action tests."""
    from base.db import get_engine
    from knowledge.loader import load_curated

    url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'actions.db'}"
    patcher = pytest.MonkeyPatch()
    patcher.setenv("DATABASE_URL", url)
    get_settings.cache_clear()
    services.reset_clients()
    report = load_curated(get_engine(url), knowledge_root)  # raises LoadFailed listing every error
    assert report.ward_loaded and report.procedures >= 10
    yield services.knowledge_base()
    patcher.undo()
    get_settings.cache_clear()
    services.reset_clients()


def make_tracker(text: str = "", intent: str = "ask_procedure", entities: Optional[list[dict]] = None,
                 slots: Optional[dict[str, Any]] = None, sender: str = "citizen-1", confidence: float = 0.95,
                 ranking: Optional[list[dict]] = None, events: Optional[list[dict]] = None) -> Tracker:
    latest = {
        "text": text,
        "intent": {"name": intent, "confidence": confidence},
        "entities": entities or [],
        "intent_ranking": ranking or [{"name": intent, "confidence": confidence}],
    }
    user_event = {"event": "user", "text": text, "parse_data": latest, "input_channel": "rest"}
    return Tracker(sender, slots or {}, latest, (events or []) + [user_event], False, None, {}, "action_listen")


def run_action(action, tracker: Tracker):
    """As rasa_sdk runs it: `run` awaited when it is a coroutine (database-reading actions run on the pool)."""
    dispatcher = CollectingDispatcher()
    result = action.run(dispatcher, tracker, {})
    events = asyncio.run(result) if asyncio.iscoroutine(result) else result
    return dispatcher.messages, events


def slot_events(events) -> dict[str, Any]:
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


def all_text(messages) -> str:
    return "\n".join(m.get("text") or "" for m in messages)
