"""What the citizen reads when a dependency of the message path is down: a short polite message, never silence and
never an answer built on lost context. Installed by the Rasa server entry point (bot/rasa_server.py).

- Conversation database down (bot/tracker_store.py raises `TrackerStoreUnavailable`): Rasa wraps every tracker
  store in `FailSafeTrackerStore`, which on a failed read hands out a new, empty tracker and keeps failed writes in
  memory, so the bot would answer as if the conversation had just begun and forget a clerk's pause. For the masking
  store that wrapper is left out; `Agent.handle_message`, the one entry of every channel (REST, web chat, Zalo),
  then answers `texts.SERVICE_INTERRUPTED` through the message's own output channel. Nothing is saved, so the stored
  conversation continues where it was once the database answers again.
- Action server down, failing or slow (bot/perf/action_http.py bounds the call): the custom action's events are
  replaced by `texts.ACTIONS_INTERRUPTED` and an `action_listen`, so the turn ends politely instead of Rasa's silent
  "the actions events are lost"; other custom actions of the same turn are not tried again.
"""
from __future__ import annotations

import logging
from typing import Any, List, Optional

from rasa.core.actions.action import ActionExecutionRejection, RemoteAction
from rasa.core.agent import Agent
from rasa.core.channels.channel import UserMessage
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.events import BotUttered, Event, FollowupAction, UserUttered

from base.metrics import ACTION_SERVER_FAILURES
from base.outage import OutageLog
from bot.channels import texts
from bot.tracker_store import MaskingTrackerStore, TrackerStoreUnavailable

logger = logging.getLogger(__name__)

action_server_outage = OutageLog("Action server", "citizens are told the service is interrupted", log=logger)

_installed = False
_original_create_tracker_store = Agent._create_tracker_store
_original_handle_message = Agent.handle_message
_original_remote_run = RemoteAction.run


def _create_tracker_store(store: Optional[Any], domain: Any) -> Any:
    """`Agent._create_tracker_store` without the fail-safe wrapper for the masking store."""
    if isinstance(store, MaskingTrackerStore):
        store.domain = domain
        return store
    return _original_create_tracker_store(store, domain)


async def handle_message(self: Agent, message: UserMessage) -> Optional[List[Any]]:
    try:
        return await _original_handle_message(self, message)
    except TrackerStoreUnavailable:
        # The store has logged the outage once; each citizen who writes meanwhile is told.
        await message.output_channel.send_response(message.sender_id, {"text": texts.SERVICE_INTERRUPTED})
        return None


def _apologised_this_turn(tracker: Any) -> bool:
    for event in reversed(tracker.events):
        if isinstance(event, UserUttered):
            return False
        if isinstance(event, BotUttered) and event.text == texts.ACTIONS_INTERRUPTED:
            return True
    return False


async def run_remote_action(self: RemoteAction, output_channel: Any, nlg: Any, tracker: Any,
                            domain: Any) -> List[Event]:
    if _apologised_this_turn(tracker):
        return [FollowupAction(ACTION_LISTEN_NAME)]
    try:
        events = await _original_remote_run(self, output_channel, nlg, tracker, domain)
    except ActionExecutionRejection:
        action_server_outage.succeeded()  # it answered: a form rejected its slot, as designed
        raise
    except Exception as error:  # noqa: BLE001 - whatever failed, the citizen must read something
        ACTION_SERVER_FAILURES.inc()
        action_server_outage.failed(error)  # one warning per outage; Rasa or the action server log the details
        logger.info("Custom action %s failed (%s); the citizen is told the service is interrupted",
                    self.name(), type(error).__name__)
        return [BotUttered(texts.ACTIONS_INTERRUPTED), FollowupAction(ACTION_LISTEN_NAME)]
    action_server_outage.succeeded()
    return events


def install() -> None:
    global _installed
    if _installed:
        return
    Agent._create_tracker_store = staticmethod(_create_tracker_store)
    Agent.handle_message = handle_message
    RemoteAction.run = run_remote_action
    _installed = True
