"""Procedure guidance: answer the facet asked about the procedure in context, or ask which procedure is meant."""
from __future__ import annotations

import json
import logging
from typing import Any, Optional

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.exc import SQLAlchemyError

from actions import answers, linking, services
from actions.blocking_action import BlockingAction
from actions import templates as T
from actions.answers import AnswerContext
from base.metrics import CLARIFY
from knowledge.facets import answer_facet, asked_facet
from knowledge.hours import describe_hours, opening_state

logger = logging.getLogger(__name__)

SLOT_CODE = "procedure_code"
SLOT_NAME = "procedure_name"
SLOT_FACET = "last_facet"
SLOT_MISSES = "miss_count"
FACET_BUTTON_COUNT = 3  # + two feedback buttons = Zalo's maximum of five


def mentions(tracker: Tracker) -> list[str]:
    return [str(value) for value in tracker.get_latest_entity_values("procedure") if value]


def mention_spans(tracker: Tracker) -> list[tuple[int, int]]:
    return [(e["start"], e["end"]) for e in tracker.latest_message.get("entities", [])
            if e.get("entity") == "procedure" and "start" in e and "end" in e]


def facet_buttons(code: str, current: str) -> list[dict[str, str]]:
    buttons = []
    for facet in T.FACETS:
        if facet == current or len(buttons) == FACET_BUTTON_COUNT:
            continue
        payload = "/" + T.INTENT_BY_FACET[facet] + json.dumps({"procedure": code})
        buttons.append({"title": T.FACET_BUTTON[facet], "payload": payload})
    return buttons


def feedback_buttons() -> list[dict[str, str]]:
    return [
        {"title": title, "payload": "/feedback" + json.dumps({"feedback_value": value})}
        for title, value in T.FEEDBACK_BUTTONS
    ]


def procedure_buttons(hits) -> list[dict[str, str]]:
    return [
        {"title": f"{hit.name} ({hit.code})"[:100], "payload": "/ask_procedure" + json.dumps({"procedure": hit.code})}
        for hit in hits
    ]


def menu(dispatcher: CollectingDispatcher, intro: str, with_clerk: bool = False) -> None:
    """A short menu of the most-asked procedures (and a way to a person)."""
    buttons = procedure_buttons(services.knowledge_base().popular(limit=5 if not with_clerk else 4))
    if with_clerk:
        buttons.append({"title": T.TALK_TO_CLERK, "payload": "/request_human"})
    dispatcher.utter_message(text=intro, buttons=buttons)


def _misses(tracker: Tracker) -> int:
    value = tracker.get_slot(SLOT_MISSES)
    return int(value or 0)


class ActionAnswerProcedure(BlockingAction):
    """Answers ask_* facet intents, ask_procedure and a bare procedure mention (inform)."""

    def name(self) -> str:
        return "action_answer_procedure"

    def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        intent = (tracker.latest_message.get("intent") or {}).get("name") or "ask_procedure"
        text = tracker.latest_message.get("text") or ""
        # the facet the words ask ("…, làm thế nào" is the steps), else the one the classifier chose
        facet = answer_facet(text, T.FACET_BY_INTENT.get(intent, "overview"), mention_spans(tracker))
        try:
            return self._answer(dispatcher, tracker, facet, text)
        except SQLAlchemyError:
            logger.exception("knowledge base unavailable")
            dispatcher.utter_message(text=T.SERVICE_DOWN)
            return []

    def _answer(self, dispatcher: CollectingDispatcher, tracker: Tracker, facet: str, text: str) -> list[EventType]:
        kb = services.knowledge_base()
        context_code = tracker.get_slot(SLOT_CODE)
        link = linking.link_procedure(kb, text, mentions(tracker), context_code)
        if link.kind == linking.AMBIGUOUS:
            offer_candidates(dispatcher, link.candidates, facet)
            return [SlotSet(SLOT_FACET, facet)]
        if link.kind == linking.NONE:
            misses = _misses(tracker) + 1
            if facet != "overview" and not mentions(tracker):
                dispatcher.utter_message(text=T.ASK_PROCEDURE_FIRST)
            else:
                menu(dispatcher, T.NOT_FOUND if misses < 2 else T.MENU_AFTER_MISSES, with_clerk=misses >= 2)
            return [SlotSet(SLOT_FACET, facet), SlotSet(SLOT_MISSES, float(misses))]
        return answer_card(dispatcher, kb, link.code, facet)


def offer_candidates(dispatcher: CollectingDispatcher, hits, facet: str) -> None:
    """Ask which of a few close procedures is meant; each button asks the same facet of its procedure."""
    buttons = [
        {"title": f"{hit.name} ({hit.code})"[:100],
         "payload": "/" + T.INTENT_BY_FACET.get(facet, "ask_procedure") + json.dumps({"procedure": hit.code})}
        for hit in hits
    ]
    dispatcher.utter_message(text=T.ASK_WHICH if len(buttons) > 1 else T.ASK_THIS, buttons=buttons)


def answer_card(dispatcher: CollectingDispatcher, kb, code: str, facet: str) -> list[EventType]:
    """Render one facet of one procedure with the facet and feedback buttons, and remember it as the context."""
    card = kb.card(code)
    if card is None:  # the index and the table disagree: never answer from a stale hit
        dispatcher.utter_message(text=T.NOT_FOUND)
        return []
    ward = kb.ward()
    context = AnswerContext(sites=kb.sites_for(card.code, ward), ward=ward, now=services.local_now())
    messages = answers.render(facet, card, context)
    for message in messages[:-1]:
        dispatcher.utter_message(text=message)
    dispatcher.utter_message(text=messages[-1], buttons=facet_buttons(card.code, facet) + feedback_buttons())
    return [
        SlotSet(SLOT_CODE, card.code),
        SlotSet(SLOT_NAME, card.name),
        SlotSet(SLOT_FACET, facet),
        SlotSet(SLOT_MISSES, 0.0),
    ]


def answer_if_procedure_named(dispatcher: CollectingDispatcher, tracker: Tracker) -> Optional[list[EventType]]:
    """Before refusing or asking again: a message that names a commune procedure nearly whole, or asks a facet of one
    whose name it says much of (linking.rescued_procedure, one search for both), is answered — the facet its words ask
    (knowledge/facets.py), else the classifier's best facet, else the overview. None otherwise."""
    text = tracker.latest_message.get("text") or ""
    kb = services.knowledge_base()
    facet = asked_facet(text, masked_spans=mention_spans(tracker))
    rescued = linking.rescued_procedure(kb, text, asks_facet=facet is not None)
    if rescued.kind == linking.AMBIGUOUS:
        offer_candidates(dispatcher, rescued.candidates, facet)
        return [SlotSet(SLOT_FACET, facet)]
    code = rescued.code
    if code is None:
        return None
    if facet is None:
        ranked = [r.get("name") for r in tracker.latest_message.get("intent_ranking", [])]
        facet = next((T.FACET_BY_INTENT[name] for name in ranked if name in T.FACET_BY_INTENT), "overview")
    return answer_card(dispatcher, kb, code, facet)


class ActionResetProcedure(BlockingAction):
    def name(self) -> str:
        return "action_reset_procedure"

    def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        menu(dispatcher, T.RESET_DONE)
        return [SlotSet(SLOT_CODE, None), SlotSet(SLOT_NAME, None), SlotSet(SLOT_FACET, None)]


class ActionGreet(BlockingAction):
    def name(self) -> str:
        return "action_greet"

    def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        try:
            menu(dispatcher, T.GREETING)
        except SQLAlchemyError:
            logger.exception("knowledge base unavailable")
            dispatcher.utter_message(text=T.GREETING)
        return []


class ActionClarify(BlockingAction):
    """Low NLU confidence: offer the top interpretations; on the second miss in a row, the menu and a clerk."""

    def name(self) -> str:
        return "action_clarify"

    def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        try:
            answered = answer_if_procedure_named(dispatcher, tracker)
        except SQLAlchemyError:
            logger.exception("knowledge base unavailable")
            answered = None
        if answered is not None:
            CLARIFY.labels("answered").inc()
            return answered
        misses = _misses(tracker) + 1
        if misses >= 2:
            menu(dispatcher, T.MENU_AFTER_MISSES, with_clerk=True)
            CLARIFY.labels("menu").inc()
            return [SlotSet(SLOT_MISSES, float(misses))]
        entities = {e["entity"]: e["value"] for e in tracker.latest_message.get("entities", []) if e.get("value")}
        buttons = []
        for ranked in tracker.latest_message.get("intent_ranking", []):
            intent = ranked.get("name")
            if intent in T.INTENT_LABEL and intent != "request_human" and len(buttons) < 3:
                buttons.append({"title": T.INTENT_LABEL[intent], "payload": f"/{intent}" + (json.dumps(entities) if entities else "")})
        buttons.append({"title": T.TALK_TO_CLERK, "payload": "/request_human"})
        dispatcher.utter_message(text=T.CLARIFY_INTRO, buttons=buttons)
        CLARIFY.labels("question").inc()
        return [SlotSet(SLOT_MISSES, float(misses))]


class ActionOutOfScope(BlockingAction):
    """Decline politely — unless the message names a commune procedure (then it is answered); a second miss in a row
    (gibberish is often classified here) also offers the menu and a clerk."""

    def name(self) -> str:
        return "action_out_of_scope"

    def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        try:
            answered = answer_if_procedure_named(dispatcher, tracker)
        except SQLAlchemyError:
            logger.exception("knowledge base unavailable")
            answered = None
        if answered is not None:
            return answered
        misses = _misses(tracker) + 1
        dispatcher.utter_message(response="utter_out_of_scope")
        if misses >= 2:
            try:
                menu(dispatcher, T.MENU_AFTER_MISSES, with_clerk=True)
            except SQLAlchemyError:
                logger.exception("knowledge base unavailable")
        return [SlotSet(SLOT_MISSES, float(misses))]


class ActionOfficeHours(BlockingAction):
    def name(self) -> str:
        return "action_office_hours"

    def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        try:
            kb = services.knowledge_base()
            ward = kb.ward()
            code = tracker.get_slot(SLOT_CODE)
            sites = (kb.sites_for(code, ward) if code and ward else []) or (list(ward.sites) if ward else [])
        except SQLAlchemyError:
            logger.exception("knowledge base unavailable")
            dispatcher.utter_message(text=T.SERVICE_DOWN)
            return []
        if ward is None or not sites:
            dispatcher.utter_message(text=T.NO_WARD)
            return []
        now = services.local_now()
        lines = [T.OFFICE_HOURS_INTRO.format(ward=ward.name)]
        for site in sites:
            lines.append(T.OFFICE_HOURS_SITE.format(name=site.name, address=site.address or ""))
            lines += [f"  {line}" for line in describe_hours(site)]
            state = opening_state(site, ward, now)
            if state.is_open:
                lines.append("  " + T.OPEN_NOW.format(site="nơi này", until=state.closes_at.strftime("%H:%M")))
            elif state.next_opening:
                lines.append("  " + T.CLOSED_NOW.format(site="nơi này", reason=state.reason_text,
                                                         when=answers.moment_text(state.next_opening)))
        lines.append(T.OFFICE_HOLIDAY_NOTE)
        upcoming = [h for h in ward.holidays if 0 <= (h.day - now.date()).days <= 14]
        lines += [T.OFFICE_UPCOMING_HOLIDAY.format(name=h.name, day=h.day.strftime("%d/%m/%Y")) for h in upcoming]
        site_names = {s.id: s.name for s in sites}
        for closure in ward.closures:
            relevant = closure.site_id is None or closure.site_id in site_names
            if relevant and closure.end >= now and (closure.start - now).days <= 14:
                lines.append(T.OFFICE_CLOSURE.format(
                    site=site_names.get(closure.site_id, "tất cả các điểm"),
                    start=closure.start.strftime("%H:%M %d/%m"), end=closure.end.strftime("%H:%M %d/%m"),
                    reason=f" ({closure.reason})" if closure.reason else "",
                ))
        if ward.hotline:
            lines.append(f"Đường dây nóng: {ward.hotline}")
        for message in answers.split_messages(lines):
            dispatcher.utter_message(text=message)
        return []


class ActionRecordFeedback(BlockingAction):
    def name(self) -> str:
        return "action_record_feedback"

    def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        value = _feedback_value(tracker)
        try:
            services.conversation_store().record_feedback(
                tracker.sender_id, value, tracker.get_slot(SLOT_CODE), tracker.get_slot(SLOT_FACET)
            )
        except SQLAlchemyError:
            logger.exception("could not store feedback")
        dispatcher.utter_message(text=T.FEEDBACK_THANKS_UP if value == "up" else T.FEEDBACK_THANKS_DOWN)
        return []


def _feedback_value(tracker: Tracker) -> str:
    value: Optional[str] = next(tracker.get_latest_entity_values("feedback_value"), None)
    if value in {"up", "down"}:
        return value
    return "down" if any(w in (tracker.latest_message.get("text") or "").lower() for w in ("sai", "không", "chưa")) else "up"
