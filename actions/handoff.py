"""Handing a conversation to a clerk: live during office hours (the bot pauses), a callback request after hours."""
from __future__ import annotations

import logging
import re
from typing import Any, Optional

from rasa_sdk import FormValidationAction, Tracker
from rasa_sdk.events import ConversationPaused, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy.exc import SQLAlchemyError

from actions import answers, services
from actions.blocking_action import BlockingAction
from actions import templates as T
from handoff.store import TICKET_CALLBACK, TICKET_OPEN
from knowledge.hours import any_open, next_opening

logger = logging.getLogger(__name__)

SLOT_MODE = "handoff_mode"  # live | callback
SLOT_QUESTION = "handoff_question"
SLOT_CONTACT = "handoff_contact"
MAX_QUESTION_CHARS = 1000
NO_CONTACT = "-"  # the citizen chose to leave no contact (the answer comes in the conversation / with the code)
_NO_CONTACT_WORDS = frozenset({"không", "khong", "ko", "k", "không có", "khong co", "không cần", "khong can",
                               "bỏ qua", "bo qua", "thôi", "thoi", "không để lại", "khong de lai"})

_PHONE = re.compile(r"^(?:\+?84[\s.-]?|0)(?:\d[\s.-]?){8,10}$")
_EMAIL = re.compile(r"^[\w.+-]+@[\w-]+(?:\.[\w-]+)+$")


def normalise_contact(text: str) -> Optional[str]:
    """A Vietnamese phone number or an e-mail address, cleaned; None when it is neither."""
    value = (text or "").strip()
    if _EMAIL.match(value):
        return value.lower()
    if _PHONE.match(value):
        digits = re.sub(r"\D", "", value)
        return "0" + digits[2:] if digits.startswith("84") else digits
    return None


def _channel(tracker: Tracker) -> str:
    return (tracker.get_latest_input_channel() or "rest")


class ActionRequestHuman(BlockingAction):
    def name(self) -> str:
        return "action_request_human"

    def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        try:
            ward = services.knowledge_base().ward()
            open_now = ward is not None and any_open(ward, services.local_now())
            if not open_now:
                dispatcher.utter_message(text=T.HANDOFF_AFTER_HOURS_ASK_QUESTION)
                return [SlotSet(SLOT_MODE, "callback"), SlotSet(SLOT_QUESTION, None), SlotSet(SLOT_CONTACT, None)]
            ticket = services.conversation_store().open_ticket(
                tracker.sender_id, _channel(tracker), _last_question(tracker), status=TICKET_OPEN,
                procedure_code=tracker.get_slot("procedure_code"),
            )
        except SQLAlchemyError:
            logger.exception("handoff store unavailable")
            dispatcher.utter_message(text=T.HANDOFF_NO_STORE.format(hotline=_hotline()))
            return []
        dispatcher.utter_message(text=T.HANDOFF_OPENED.format(ticket=ticket.id))
        return [SlotSet(SLOT_MODE, "live"), ConversationPaused()]


def _last_question(tracker: Tracker) -> Optional[str]:
    """The citizen's last message before asking for a person: what the clerk should read first."""
    texts = [e.get("text") for e in tracker.events if e.get("event") == "user" and e.get("text")]
    return texts[-2][:MAX_QUESTION_CHARS] if len(texts) >= 2 else None


def _hotline() -> str:
    try:
        ward = services.knowledge_base().ward()
    except SQLAlchemyError:
        ward = None
    return (ward.hotline if ward and ward.hotline else "của phường")


class ValidateHandoffForm(FormValidationAction):
    def name(self) -> str:
        return "validate_handoff_form"

    def validate_handoff_question(self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                  domain: DomainDict) -> dict[str, Any]:
        text = str(slot_value or "").strip()
        if not text:
            return {SLOT_QUESTION: None}
        dispatcher.utter_message(text=T.HANDOFF_CONTACT_OPTIONAL)  # said before the form asks for a contact
        return {SLOT_QUESTION: text[:MAX_QUESTION_CHARS]}

    def validate_handoff_contact(self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                 domain: DomainDict) -> dict[str, Any]:
        raw = str(slot_value or "").strip()
        if raw.lower().rstrip(".!") in _NO_CONTACT_WORDS:
            return {SLOT_CONTACT: NO_CONTACT}
        contact = normalise_contact(raw)
        if contact is None:
            dispatcher.utter_message(text=T.HANDOFF_BAD_CONTACT)
            return {SLOT_CONTACT: None}
        return {SLOT_CONTACT: contact}


class ActionSubmitHandoff(BlockingAction):
    def name(self) -> str:
        return "action_submit_handoff"

    def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        contact = tracker.get_slot(SLOT_CONTACT)
        contact = None if contact in (None, NO_CONTACT) else contact
        try:
            store = services.conversation_store()
            ticket = store.open_ticket(
                tracker.sender_id, _channel(tracker), tracker.get_slot(SLOT_QUESTION), status=TICKET_CALLBACK,
                contact=contact, procedure_code=tracker.get_slot("procedure_code"),
            )
            code = store.issue_access_code(ticket.id)  # a new code each time: only the latest one is shown
            ward = services.knowledge_base().ward()
        except SQLAlchemyError:
            logger.exception("handoff store unavailable")
            dispatcher.utter_message(text=T.HANDOFF_NO_STORE.format(hotline=_hotline()))
            return [SlotSet(SLOT_QUESTION, None), SlotSet(SLOT_CONTACT, None)]
        when = ""
        if ward is not None and ward.sites:
            openings = [o for o in (next_opening(s, ward, services.local_now()) for s in ward.sites) if o]
            if openings:
                when = T.HANDOFF_NEXT_OPENING.format(when=answers.moment_text(min(openings)))
        text = T.HANDOFF_CALLBACK_SAVED.format(ticket=ticket.id, code=code, when=when)
        if contact:
            text += T.HANDOFF_CALLBACK_CONTACT
        dispatcher.utter_message(text=text)
        # The contact now lives only in the ticket a clerk reads; the conversation does not keep it.
        return [SlotSet(SLOT_QUESTION, None), SlotSet(SLOT_CONTACT, None)]
