"""Drives the dossier actions the way Rasa does (Tracker.from_dict + CollectingDispatcher), one user turn at a time."""
from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any, Optional

import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.dossier_status import (
    ActionAskDossierPhoneLast4,
    ActionAskReceiptCode,
    ActionDossierStatus,
    ActionDossierSubscribe,
    ValidateDossierForm,
)

DOMAIN = yaml.safe_load((Path(__file__).resolve().parents[2] / "domain.yml").read_text(encoding="utf-8"))
FORM = "dossier_form"


class Conversation:
    """Keeps slots between turns like the Rasa server would (slots come back from the masked tracker store)."""

    def __init__(self, sender: str = "citizen-1", channel: str = "zalo", client: Optional[str] = None):
        """`client` is the channel's `thutuc_client` metadata: by default one per sender, "" for none at all."""
        self.sender, self.channel = sender, channel
        self.client = f"zalo:{sender}" if client is None else client
        self.slots: dict[str, Any] = {"receipt_code": None, "dossier_phone_last4": None, "dossier_lookup": None,
                                      "requested_slot": None}
        self.active = False
        self.replies: list[dict] = []

    def _tracker(self, text: str, intent: str, entities: list[dict]) -> Tracker:
        message = {"text": text, "intent": {"name": intent, "confidence": 0.97}, "entities": entities}
        return Tracker.from_dict({
            "sender_id": self.sender,
            "slots": dict(self.slots),
            "latest_message": message,
            "events": [{"event": "user", "text": text, "parse_data": message, "input_channel": self.channel,
                        "metadata": {"thutuc_client": self.client} if self.client else {}}],
            "paused": False,
            "followup_action": None,
            "active_loop": {"name": FORM} if self.active else {},
            "latest_action_name": "action_listen",
        })

    @staticmethod
    def _run(action, dispatcher, tracker) -> list[dict]:
        return asyncio.run(action.run(dispatcher, tracker, DOMAIN))

    def _apply(self, events: list[dict]) -> None:
        for event in events:
            if event.get("event") == "slot":
                self.slots[event["name"]] = event["value"]

    def say(self, text: str, intent: str = "inform", entities: Optional[list[dict]] = None) -> list[str]:
        """One user turn through the form (activation or continuation); returns the bot texts of the turn."""
        dispatcher = CollectingDispatcher()
        events = self._run(ValidateDossierForm(), dispatcher, self._tracker(text, intent, entities or []))
        self._apply(events)
        texts = [message["text"] for message in dispatcher.messages]
        self.replies.extend(dispatcher.messages)
        ending = ("blocked", "locked", "unknown", "unavailable", "no_factor", "verified")
        required = [] if self.slots.get("dossier_lookup") in ending else ["receipt_code", "dossier_phone_last4"]
        missing = [slot for slot in required if not self.slots.get(slot)]
        if missing:
            self.active = True
            self.slots["requested_slot"] = missing[0]
            # Rasa's form runs action_ask_<slot> for the next missing slot.
            dispatcher = CollectingDispatcher()
            ask_action = ActionAskReceiptCode() if missing[0] == "receipt_code" else ActionAskDossierPhoneLast4()
            self._run(ask_action, dispatcher, self._tracker(text, intent, entities or []))
            self.replies.extend(dispatcher.messages)
            return texts + [message["text"] for message in dispatcher.messages]
        # The form is done: the rule runs action_dossier_status.
        self.active = False
        self.slots["requested_slot"] = None
        dispatcher = CollectingDispatcher()
        self._apply(self._run(ActionDossierStatus(), dispatcher, self._tracker(text, intent, entities or [])))
        self.replies.extend(dispatcher.messages)
        return texts + [message["text"] for message in dispatcher.messages]

    def run_action(self, action, text: str = "", intent: str = "subscribe_dossier_updates") -> list[dict]:
        dispatcher = CollectingDispatcher()
        self._apply(self._run(action, dispatcher, self._tracker(text, intent, [])))
        self.replies.extend(dispatcher.messages)
        return dispatcher.messages

    def subscribe(self) -> list[str]:
        return [m["text"] for m in self.run_action(ActionDossierSubscribe(), "báo cho tôi khi có kết quả")]
