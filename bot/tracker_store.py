"""A Rasa tracker store that writes conversations with personal data masked.

Configure in endpoints.yml:

    tracker_store:
      type: bot.tracker_store.MaskingTrackerStore
      url: ${TRACKER_DATABASE_URL}      # any SQLAlchemy URL; empty → settings.tracker_database_url
      inner: sql                        # sql (default) | memory

Only the stored copy is masked (`bot.privacy.mask_value` on user/bot texts, entities, slot values, metadata): the
tracker Rasa holds while handling a message is untouched, so actions in the same turn see what the citizen typed.
Later turns read the masked copy back, which is why features must not keep secrets in slots (the dossier lookup
keeps its receipt code server-side; see docs/dossiers.md).
"""
from __future__ import annotations

import logging
from typing import Any, Iterable, Optional, Text

from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import InMemoryTrackerStore, SQLTrackerStore, TrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker

from bot.privacy import install_log_masking, mask_value

logger = logging.getLogger(__name__)
install_log_masking()

# Keys of serialised events that are structure, not content.
_KEEP = frozenset({"event", "timestamp", "input_channel", "message_id", "policy", "confidence", "name",
                   "action_text", "hide_rule_turn", "start", "end", "extractor", "entity", "intent_ranking",
                   "response_selector", "id"})


def mask_event_dict(event: dict[str, Any]) -> dict[str, Any]:
    """One serialised Rasa event with every free-text value masked."""
    masked: dict[str, Any] = {}
    for key, value in event.items():
        if key in _KEEP:
            masked[key] = value
        elif key == "parse_data" and isinstance(value, dict):
            masked[key] = mask_event_dict(value)
        elif key == "entities" and isinstance(value, list):
            masked[key] = [mask_event_dict(item) if isinstance(item, dict) else mask_value(item) for item in value]
        else:
            masked[key] = mask_value(value)
    return masked


def masked_copy(tracker: DialogueStateTracker) -> DialogueStateTracker:
    """A new tracker with the same events, masked; the original is not modified."""
    events = [mask_event_dict(event.as_dict()) for event in tracker.events]
    return DialogueStateTracker.from_dict(
        tracker.sender_id, events, list(tracker.slots.values()), max_event_history=tracker._max_event_history
    )


class MaskingTrackerStore(TrackerStore):
    """Wraps an SQL (default) or in-memory tracker store; everything it persists is masked."""

    def __init__(self, domain: Optional[Domain] = None, host: Optional[Text] = None,
                 event_broker: Optional[EventBroker] = None, inner: Text = "sql",
                 url: Optional[Text] = None, **kwargs: Any) -> None:
        super().__init__(domain, None, **kwargs)
        if inner == "memory":
            self.inner: TrackerStore = InMemoryTrackerStore(domain, event_broker)
        else:
            db_url = url or host
            if not db_url:
                from bot.settings import get_settings

                db_url = get_settings().tracker_database_url
            self.inner = SQLTrackerStore(domain, host=_ensure_sqlite_dir(db_url), event_broker=event_broker,
                                         **kwargs)
        # The wrapper publishes nothing itself: the inner store streams the masked events to the broker.
        self.event_broker = None

    @property
    def domain(self) -> Domain:
        return self.inner.domain

    @domain.setter
    def domain(self, domain: Optional[Domain]) -> None:
        self._domain = domain or Domain.empty()
        if hasattr(self, "inner"):
            self.inner.domain = domain

    async def save(self, tracker: DialogueStateTracker) -> None:
        await self.inner.save(masked_copy(tracker))

    async def retrieve(self, sender_id: Text) -> Optional[DialogueStateTracker]:
        return await self.inner.retrieve(sender_id)

    async def retrieve_full_tracker(self, conversation_id: Text) -> Optional[DialogueStateTracker]:
        return await self.inner.retrieve_full_tracker(conversation_id)

    async def keys(self) -> Iterable[Text]:
        return await self.inner.keys()


def _ensure_sqlite_dir(url: str) -> str:
    if url.startswith("sqlite:///") and not url.startswith("sqlite:///:memory:"):
        from pathlib import Path

        Path(url[len("sqlite:///"):]).expanduser().parent.mkdir(parents=True, exist_ok=True)
    return url
