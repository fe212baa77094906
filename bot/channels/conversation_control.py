"""Pause a Rasa conversation when a clerk takes it over, and ask whether it is paused.

Rasa's processor already stays silent on a paused tracker (only `/restart` gets through); the channel appends
`ConversationPaused` under the conversation lock, exactly like `POST /conversations/{id}/tracker/events` does, but
in-process so no API token or URL is needed.
"""
from __future__ import annotations

import logging
from typing import Any, Protocol

from rasa.core.channels.channel import CollectingOutputChannel
from rasa.shared.core.events import ConversationPaused, ConversationResumed

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
