"""Dossier status conversation: the `dossier_form` (code, then second factor) and what follows it.

Action bodies only talk to `dossiers.service.DossierService` (no SQL here), and only through
`base.blocking.run_blocking`: its SQL, Redis and provincial-API calls never run on the action server's event loop.
The receipt code never sits in a slot in clear: the service remembers, server-side and per sender, which dossier was
found/verified; slots only hold a masked code and the lookup outcome, which drives `required_slots` (a blocked,
locked, unknown or unavailable lookup ends the form). The client key the channel derived (`thutuc_client` in the
latest user message's metadata, see `base.clients`) feeds the per-client limits.
"""
from __future__ import annotations

import asyncio
import logging
import re
import threading
from typing import Any, Callable, Optional, TypeVar

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from base.blocking import run_blocking
from base.clients import UNKNOWN_CLIENT, client_from_metadata
from base.privacy import install_log_masking, mask_receipt_code
from dossiers import messages
from dossiers.codes import find_receipt_codes
from dossiers.directory import Directory, KnowledgeDirectory
from dossiers.push import can_push
from dossiers.service import DossierService, Outcome, build_service
from dossiers.states import DossierState

install_log_masking()
logger = logging.getLogger(__name__)
T = TypeVar("T")

FORM = "dossier_form"
CODE_SLOT = "receipt_code"
FACTOR_SLOT = "dossier_phone_last4"
OUTCOME_SLOT = "dossier_lookup"
# Outcomes that end the form early (the reply was already given by the validation action).
FORM_ENDING = {Outcome.BLOCKED.value, Outcome.LOCKED.value, Outcome.UNKNOWN.value, Outcome.UNAVAILABLE.value,
               Outcome.NO_FACTOR.value, Outcome.VERIFIED.value}
ANSWER_INTENTS = {"inform", "check_dossier_status"}
ACTIVE_STATES = {DossierState.NEW, DossierState.RECEIVED, DossierState.PROCESSING, DossierState.NEEDS_SUPPLEMENT,
                 DossierState.NEEDS_PAYMENT, DossierState.DONE}
_DIGITS = re.compile(r"\d")
# Extracted instead of a code when a sender who verified a moment ago asks again without one. Extraction may only
# fill the form's own slots (rasa_sdk drops others), so the marker travels in receipt_code to its validation.
REUSE_VERIFIED = "<verified>"

_service: Optional[DossierService] = None
_service_lock = threading.Lock()
_directory: Optional[Directory] = None


def get_service() -> DossierService:
    """One service per action-server process (tests replace it with `set_service`); built on first use, in the
    blocking-call pool (it connects to the database and migrates)."""
    global _service
    if _service is None:
        with _service_lock:
            if _service is None:
                _service = build_service()
    return _service


def get_directory() -> Directory:
    global _directory
    if _directory is None:
        _directory = KnowledgeDirectory()
    return _directory


def set_service(service: Optional[DossierService], directory: Optional[Directory] = None) -> None:
    global _service, _directory
    _service, _directory = service, directory


async def _guarded(call: Callable[[DossierService], T]) -> Optional[T]:
    """`call(service)` on the blocking-call pool. A database or Redis outage must end in a polite message, not a
    failed action: None means "unavailable"."""
    try:
        return await run_blocking(lambda: call(get_service()))
    except Exception as error:  # any backend failure; details stay in the (masked) log
        logger.error("dossier service unavailable: %s: %s", type(error).__name__, error)
        return None


def client_of(tracker: Tracker) -> str:
    """The server-derived client key of the latest user message; the shared "unknown" client when there is none."""
    for event in reversed(tracker.events or []):
        if event.get("event") == "user":
            return client_from_metadata(event.get("metadata"))
    return UNKNOWN_CLIENT


async def _slow_down(result) -> None:
    """While the global failure budget is spent every lookup waits (without blocking the event loop)."""
    if result is not None and result.delay_s > 0:
        await asyncio.sleep(result.delay_s)


async def _locked_message() -> str:
    return await run_blocking(messages.locked, get_directory())


def _entity(tracker: Tracker, name: str) -> Optional[str]:
    value = next(tracker.get_latest_entity_values(name), None)
    return str(value) if value is not None else None


def _blocked_message(result) -> str:
    return messages.blocked(result.limit.retry_after_minutes if result.limit else 1)


class ValidateDossierForm(FormValidationAction):
    def name(self) -> str:
        return "validate_dossier_form"

    async def required_slots(self, domain_slots: list[str], dispatcher: CollectingDispatcher, tracker: Tracker,
                             domain: DomainDict) -> list[str]:
        if tracker.get_slot(OUTCOME_SLOT) in FORM_ENDING:
            return []
        return domain_slots

    # --- extraction: custom mappings, so digits are only read as the second factor when it was asked for --------

    async def extract_receipt_code(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                   domain: DomainDict) -> dict[str, Any]:
        requested = tracker.get_slot("requested_slot")
        text = tracker.latest_message.get("text") or ""
        entity = _entity(tracker, CODE_SLOT)
        search = find_receipt_codes(f"{entity or ''} {text}")
        if search.code or search.malformed:
            return {CODE_SLOT: search.code or text}  # a new code is always taken, even when digits were asked for
        if requested is None:
            # Activation without a code: reuse the dossier this sender verified a moment ago, else ask for the code.
            if await _guarded(lambda service: service.verified_view(tracker.sender_id)) is not None:
                return {CODE_SLOT: REUSE_VERIFIED}
            return {}
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        if requested == CODE_SLOT and intent in ANSWER_INTENTS:
            return {CODE_SLOT: text}  # validated below, which explains what a code looks like
        return {}

    async def extract_dossier_phone_last4(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                          domain: DomainDict) -> dict[str, Any]:
        if tracker.get_slot("requested_slot") != FACTOR_SLOT:
            return {}
        text = tracker.latest_message.get("text") or ""
        search = find_receipt_codes(text)
        if search.code or search.malformed:
            return {}  # the citizen sent (another) code instead
        entity = _entity(tracker, "phone_digits")
        if entity or _DIGITS.search(text):
            return {FACTOR_SLOT: entity or text}
        return {}

    # --- validation -----------------------------------------------------------------------------------------

    async def validate_receipt_code(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                    domain: DomainDict) -> dict[str, Any]:
        if value == REUSE_VERIFIED:
            view = await _guarded(lambda service: service.verified_view(tracker.sender_id))
            if view is not None:
                return {CODE_SLOT: mask_receipt_code(view.receipt_code), FACTOR_SLOT: "****",
                        OUTCOME_SLOT: Outcome.VERIFIED.value}
            return {CODE_SLOT: None}
        if not value or "*" in str(value):
            return {}  # an already masked value from earlier in the conversation: nothing new to check
        client = client_of(tracker)
        result = await _guarded(lambda service: service.lookup(tracker.sender_id, str(value), client))
        await _slow_down(result)
        if result is None:
            dispatcher.utter_message(text=messages.unavailable())
            return {CODE_SLOT: None, OUTCOME_SLOT: Outcome.UNAVAILABLE.value}
        outcome = result.outcome
        if outcome is Outcome.FOUND:
            return {CODE_SLOT: mask_receipt_code(result.receipt_code), OUTCOME_SLOT: outcome.value}
        if outcome is Outcome.UNKNOWN:
            dispatcher.utter_message(text=messages.unknown_code(result.receipt_code))
            if result.limit and result.limit.blocked:
                dispatcher.utter_message(text=_blocked_message(result))
        elif outcome is Outcome.BLOCKED:
            dispatcher.utter_message(text=_blocked_message(result))
        elif outcome is Outcome.LOCKED:
            dispatcher.utter_message(text=await _locked_message())
        elif outcome is Outcome.UNAVAILABLE:
            dispatcher.utter_message(text=messages.unavailable())
        elif outcome is Outcome.NO_FACTOR:
            dispatcher.utter_message(text=messages.no_factor())
        elif outcome is Outcome.MALFORMED:
            dispatcher.utter_message(text=messages.malformed_code(result.reason))
            return {CODE_SLOT: None}
        else:  # NO_CODE: the form asks again with the receipt help
            return {CODE_SLOT: None}
        return {CODE_SLOT: None, OUTCOME_SLOT: outcome.value}

    async def validate_dossier_phone_last4(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                           domain: DomainDict) -> dict[str, Any]:
        if not value or "*" in str(value):
            return {}
        client = client_of(tracker)
        result = await _guarded(lambda service: service.verify(tracker.sender_id, str(value), client))
        await _slow_down(result)
        if result is None:
            dispatcher.utter_message(text=messages.unavailable())
            return {FACTOR_SLOT: None, CODE_SLOT: None, OUTCOME_SLOT: Outcome.UNAVAILABLE.value}
        if result.outcome is Outcome.VERIFIED:
            return {FACTOR_SLOT: "****", OUTCOME_SLOT: Outcome.VERIFIED.value}
        if result.outcome is Outcome.WRONG_FACTOR:
            dispatcher.utter_message(text=messages.wrong_factor(result.limit.remaining if result.limit else 0))
            return {FACTOR_SLOT: None}
        if result.outcome is Outcome.BLOCKED:
            dispatcher.utter_message(text=_blocked_message(result))
            return {FACTOR_SLOT: None, CODE_SLOT: None, OUTCOME_SLOT: Outcome.BLOCKED.value}
        if result.outcome is Outcome.LOCKED:
            dispatcher.utter_message(text=await _locked_message())
            return {FACTOR_SLOT: None, CODE_SLOT: None, OUTCOME_SLOT: Outcome.LOCKED.value}
        dispatcher.utter_message(text=messages.expired())
        return {FACTOR_SLOT: None, CODE_SLOT: None, OUTCOME_SLOT: None}


def _reset() -> list[EventType]:
    return [SlotSet(CODE_SLOT, None), SlotSet(FACTOR_SLOT, None), SlotSet(OUTCOME_SLOT, None)]


class ActionDossierStatus(Action):
    """Runs when the form ends: shows the status after a verified lookup; otherwise the reply was already sent."""

    def name(self) -> str:
        return "action_dossier_status"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        if tracker.get_slot(OUTCOME_SLOT) == Outcome.VERIFIED.value:
            view = await _guarded(lambda service: service.verified_view(tracker.sender_id))
            if view is None:
                dispatcher.utter_message(text=messages.expired())
            else:
                text = await run_blocking(messages.status_message, view, get_directory(), get_service().local_now())
                buttons = []
                if view.state in ACTIVE_STATES and can_push(tracker.get_latest_input_channel()):
                    buttons = [{"title": "Báo cho tôi khi có kết quả", "payload": "/subscribe_dossier_updates"}]
                dispatcher.utter_message(text=text, buttons=buttons)
        return _reset()


class ActionDossierSubscribe(Action):
    """"Báo cho tôi khi có kết quả": subscribe this conversation (and its channel) to the verified dossier."""

    def name(self) -> str:
        return "action_dossier_subscribe"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        channel = tracker.get_latest_input_channel()
        if not can_push(channel):  # nothing could reach this channel later: say so, offer what works
            dispatcher.utter_message(text=messages.subscribe_not_on_this_channel())
            return []
        subscribed = await _guarded(lambda service: service.subscribe(tracker.sender_id, channel))
        if subscribed is None:
            dispatcher.utter_message(text=messages.unavailable())
            return []
        code, created = subscribed
        if code is None:
            dispatcher.utter_message(text=messages.subscribe_needs_lookup())
        else:
            dispatcher.utter_message(text=messages.subscribed(code, created))
        return []


class ActionAskReceiptCode(Action):
    """The form's question for the code (Rasa uses `action_ask_<slot>` before `utter_ask_<slot>`)."""

    def name(self) -> str:
        return "action_ask_receipt_code"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        dispatcher.utter_message(text=messages.ask_code())
        return []


class ActionAskDossierPhoneLast4(Action):
    """Asked only once the code exists: "found", and nothing more until the digits match."""

    def name(self) -> str:
        return "action_ask_dossier_phone_last4"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        dispatcher.utter_message(text=messages.found_ask_factor())
        return []
