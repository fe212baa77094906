"""Conversations written through the real masking tracker store, as the bot stores them (bot/tracker_store.py)."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional, Sequence

from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

DOMAIN_FILE = Path(__file__).resolve().parents[2] / "domain.yml"


@dataclass
class Turn:
    text: str
    intent: str = "ask_documents"
    actions: Sequence[str] = ("action_answer_procedure",)
    slots: dict = field(default_factory=dict)
    entities: Sequence[dict] = ()


def answered(text: str, code: str = "1.001193", intent: str = "ask_documents") -> Turn:
    return Turn(text, intent, ("action_answer_procedure",), {"procedure_code": code, "miss_count": 0.0})


def not_found(text: str, intent: str = "ask_documents") -> Turn:
    return Turn(text, intent, ("action_answer_procedure",), {"last_facet": "documents", "miss_count": 1.0})


def refused(text: str) -> Turn:
    return Turn(text, "out_of_scope", ("action_out_of_scope",), {"miss_count": 1.0})


def clarified(text: str) -> Turn:
    return Turn(text, "nlu_fallback", ("action_clarify",), {"miss_count": 1.0})


def offered(text: str) -> Turn:
    return Turn(text, "ask_documents", ("action_answer_procedure",), {"last_facet": "documents"})


def thumbs_down() -> Turn:
    return Turn('/feedback{"feedback_value": "down"}', "feedback", ("action_record_feedback",), {},
                [{"entity": "feedback_value", "value": "down", "start": 0, "end": 0}])


_domain: Optional[Domain] = None


def domain() -> Domain:
    global _domain
    if _domain is None:
        _domain = Domain.load(str(DOMAIN_FILE))
    return _domain


def store_conversation(url: str, sender: str, turns: Sequence[Turn], start: float = 1_700_000_000.0) -> None:
    """Save `turns` as one conversation through MaskingTrackerStore (so the rows are masked like the bot's)."""
    from bot.tracker_store import MaskingTrackerStore

    store = MaskingTrackerStore(domain(), url=url)
    tracker = DialogueStateTracker(sender, domain().slots)
    clock = start
    for turn in turns:
        clock += 10
        parse = {"intent": {"name": turn.intent, "confidence": 0.9}, "entities": list(turn.entities),
                 "text": turn.text}
        tracker.update(UserUttered(turn.text, parse["intent"], list(turn.entities), parse, timestamp=clock))
        for action in turn.actions:
            clock += 0.1
            tracker.update(ActionExecuted(action, timestamp=clock))
            for name, value in turn.slots.items():
                tracker.update(SlotSet(name, value, timestamp=clock))
        tracker.update(ActionExecuted("action_listen", timestamp=clock + 0.1))
    store.inner._save_new_events(tracker)  # the body of `save` (masking, insert) without the blocking pool
    store.inner.engine.dispose()
