"""Pause a Rasa conversation when a clerk takes it over, ask whether it is paused, read it and write a clerk's reply
into it.

Rasa's processor already stays silent on a paused tracker (only `/restart` gets through); the channel appends
`ConversationPaused` under the conversation lock, exactly like `POST /conversations/{id}/tracker/events` does, but
in-process so no API token or URL is needed.
"""
from __future__ import annotations

import logging
from typing import Any, Dict, List, Optional, Protocol

from rasa.core.channels.channel import CollectingOutputChannel
from rasa.shared.core.events import BotUttered, ConversationPaused, ConversationResumed

logger = logging.getLogger(__name__)


class ConversationControl(Protocol):
    async def pause(self, sender_id: str) -> None:
        """Stop the bot answering this conversation until someone resumes it."""

    async def is_paused(self, sender_id: str) -> bool:
        """True while a human handles this conversation."""

    async def resume(self, sender_id: str) -> None:
        """Let the bot answer again."""


class RasaConversationControl:
    """Uses the agent of the running Rasa server (`app.ctx.agent`)."""

    def __init__(self, app: Any) -> None:
        self._app = app

    def _agent(self) -> Any:
        agent = getattr(self._app.ctx, "agent", None)
        if agent is None or not agent.is_ready():
            return None
        return agent

    async def pause(self, sender_id: str) -> None:
        agent = self._agent()
        if agent is None:
            logger.warning("Cannot pause a conversation: no model loaded")
            return
        async with agent.lock_store.lock(sender_id):
            # Update the session first: a pause written into an expired session would be reset by the next message.
            tracker = await agent.processor.fetch_tracker_and_update_session(sender_id, CollectingOutputChannel())
            if not tracker.is_paused():
                tracker.update(ConversationPaused())
                await agent.processor.save_tracker(tracker)

    async def is_paused(self, sender_id: str) -> bool:
        agent = self._agent()
        if agent is None:
            return False
        tracker = await agent.processor.get_tracker(sender_id)
        return tracker.is_paused()

    async def has_message(self, sender_id: str, message_id: str) -> bool:
        """True when the stored conversation holds a user message with this channel message id."""
        agent = self._agent()
        if agent is None:
            return False
        tracker = await agent.processor.get_tracker(sender_id)
        return any(getattr(event, "message_id", None) == message_id for event in tracker.events)

    async def resume(self, sender_id: str) -> None:
        agent = self._agent()
        if agent is None:
            logger.warning("Cannot resume a conversation: no model loaded")
            return
        async with agent.lock_store.lock(sender_id):
            tracker = await agent.processor.get_tracker(sender_id)
            if tracker.is_paused():
                tracker.update(ConversationResumed())
                await agent.processor.save_tracker(tracker)


# Marks a bot message written by a person at the desk (BotUttered.metadata); the name is the clerk's account.
STAFF_AUTHOR_KEY = "thutuc_author"
STAFF_NAME_KEY = "thutuc_staff"
MAX_TRANSCRIPT_MESSAGES = 200


class ConversationRecord(Protocol):
    async def transcript(self, sender_id: str) -> List[Dict[str, Any]]:
        """The conversation's messages so far (as stored: masked), oldest first."""

    async def add_staff_message(self, sender_id: str, text: str, staff_name: str) -> None:
        """Store a message a clerk sent, like a bot message, marked as the clerk's."""


def transcript_of(events: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """User and bot messages of serialised tracker events, a clerk's marked `from: clerk` with their name."""
    messages: List[Dict[str, Any]] = []
    for event in events:
        kind = event.get("event")
        text = event.get("text")
        if kind not in ("user", "bot") or not isinstance(text, str) or not text.strip():
            continue
        entry: Dict[str, Any] = {"from": "citizen" if kind == "user" else "bot", "text": text,
                                 "at": event.get("timestamp")}
        metadata = event.get("metadata") if isinstance(event.get("metadata"), dict) else {}
        if kind == "bot" and metadata.get(STAFF_AUTHOR_KEY) == "clerk":
            entry["from"] = "clerk"
            entry["clerk"] = metadata.get(STAFF_NAME_KEY)
        messages.append(entry)
    return messages[-MAX_TRANSCRIPT_MESSAGES:]


class RasaConversationRecord:
    """Reads and writes trackers of the running Rasa server (`app.ctx.agent`), under the conversation lock."""

    def __init__(self, app: Any) -> None:
        self._app = app

    def _agent(self) -> Optional[Any]:
        agent = getattr(self._app.ctx, "agent", None)
        if agent is None or not agent.is_ready():
            return None
        return agent

    async def transcript(self, sender_id: str) -> List[Dict[str, Any]]:
        agent = self._agent()
        if agent is None:
            return []
        tracker = await agent.processor.get_tracker(sender_id)
        return transcript_of([event.as_dict() for event in tracker.events])

    async def add_staff_message(self, sender_id: str, text: str, staff_name: str) -> None:
        agent = self._agent()
        if agent is None:
            raise RuntimeError("no model loaded: the reply cannot be stored in the conversation")
        async with agent.lock_store.lock(sender_id):
            tracker = await agent.processor.get_tracker(sender_id)
            tracker.update(BotUttered(text, metadata={STAFF_AUTHOR_KEY: "clerk", STAFF_NAME_KEY: staff_name}))
            await agent.processor.save_tracker(tracker)
