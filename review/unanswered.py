"""Unanswered questions, read from the stored conversations (Rasa's SQL `events` table, masked by
bot/tracker_store.py; nothing here un-masks anything).

A *question* is a user message typed by the citizen (not a button payload, which starts with "/"). It is
*unanswered* when its turn (the events up to the next user message) ends in one of these, as the guidance actions
(actions/guidance.py) leave them in the tracker:

- `fallback`: `action_answer_procedure` found no procedure — "not found", "which procedure?" (`Hãy cho biết thủ tục`),
  the menu after misses — which it marks by setting the `miss_count` slot above 0;
- `out_of_scope`: `action_out_of_scope` refused (it sets `miss_count` above 0; a rescued question sets
  `procedure_code` instead and is answered);
- `clarify`: `action_clarify` asked "Bạn muốn hỏi…?" (also `miss_count` above 0) and the next message did not resolve
  it, i.e. was not a button payload answered with a procedure;
- `ambiguous`: `action_answer_procedure` offered candidate procedures (it sets neither `procedure_code` nor
  `miss_count`) and the next message did not pick one that was answered;
- `thumbs_down`: the question was answered but the next message is the 👎 feedback (intent `feedback`, entity
  `feedback_value` = `down`).

The turns are the dashboard's (analytics/events.py: one reader of the stored events, streamed in conversation order
with a server-side cursor on PostgreSQL, one conversation in memory at a time); this module only judges them.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Iterator, Optional

from sqlalchemy.engine import Engine

from analytics.events import (ANSWER_ACTION, CLARIFY_ACTION, OUT_OF_SCOPE_ACTION, SLOT_CODE, SLOT_MISSES, Turn,
                              event_rows, turns_by_conversation)

FALLBACK, OUT_OF_SCOPE, CLARIFY, AMBIGUOUS, THUMBS_DOWN = "fallback", "out_of_scope", "clarify", "ambiguous", "thumbs_down"
REASONS = (FALLBACK, OUT_OF_SCOPE, CLARIFY, AMBIGUOUS, THUMBS_DOWN)


@dataclass(frozen=True)
class Miss:
    text: str  # masked, as stored
    reason: str  # one of REASONS
    sender_id: str
    timestamp: Optional[float]


def _is_payload(turn: Turn) -> bool:
    return turn.text.lstrip().startswith("/")


def _answered(turn: Turn) -> bool:
    return bool(turn.slots.get(SLOT_CODE))


def _counted_a_miss(turn: Turn) -> bool:
    try:
        return float(turn.slots.get(SLOT_MISSES) or 0) > 0
    except (TypeError, ValueError):
        return False


def _outcome(turn: Turn) -> Optional[str]:
    """The reason this turn left the question unanswered, as far as its own events tell; None if answered."""
    if _answered(turn):
        return None
    if _counted_a_miss(turn):
        if OUT_OF_SCOPE_ACTION in turn.actions:
            return OUT_OF_SCOPE
        if CLARIFY_ACTION in turn.actions:
            return CLARIFY
        return FALLBACK
    if ANSWER_ACTION in turn.actions:
        return AMBIGUOUS  # candidates offered (or the database was down: nothing to learn either way)
    return None


def _judge(turn: Turn, following: Optional[Turn]) -> Optional[Miss]:
    if _is_payload(turn) or not turn.text.strip():
        return None
    reason = _outcome(turn)
    if reason in (CLARIFY, AMBIGUOUS) and following is not None and _is_payload(following) and _answered(following):
        return None  # the citizen picked one of the offered answers
    if reason is None and following is not None and following.feedback == "down":
        reason = THUMBS_DOWN
    return Miss(turn.text, reason, turn.sender_id, turn.timestamp) if reason else None


def stream_rows(engine: Engine, fetch: Optional[int] = None) -> Iterator[Any]:
    """Every stored event row turns are made of, in conversation order, fetched in batches."""
    return event_rows(engine, None, fetch)


def unanswered(rows: Iterable[Any]) -> Iterator[Miss]:
    """The unanswered questions of `rows` (ordered by conversation, then insertion), in the same order."""
    for turns in turns_by_conversation(rows):
        for index, turn in enumerate(turns):
            miss = _judge(turn, turns[index + 1] if index + 1 < len(turns) else None)
            if miss is not None:
                yield miss


def unanswered_questions(engine: Engine) -> Iterator[Miss]:
    """Every unanswered question stored in the conversation database of `engine`."""
    return unanswered(stream_rows(engine))
