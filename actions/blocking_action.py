"""Actions whose bodies read the database: rasa_sdk awaits `run`, which runs the blocking body (`act`) on the
blocking-call pool (base/blocking.py), so one slow query never stalls the action server's other requests."""
from __future__ import annotations

import abc
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from base.blocking import run_blocking


class BlockingAction(Action, metaclass=abc.ABCMeta):  # abstract: rasa_sdk registers only concrete subclasses
    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        return await run_blocking(self.act, dispatcher, tracker, domain)

    @abc.abstractmethod
    def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        """The action's body; may block (SQL, HTTP)."""
