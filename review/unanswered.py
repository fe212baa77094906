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

The rows are streamed in (conversation, insertion) order with a server-side cursor on PostgreSQL, so memory holds one
conversation's open turn, not the table. Only the columns needed are read, and only the event types that matter.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Iterable, Iterator, Optional

import sqlalchemy as sa
from sqlalchemy.engine import Engine

ACTION_ANSWER = "action_answer_procedure"
ACTION_CLARIFY = "action_clarify"
ACTION_OUT_OF_SCOPE = "action_out_of_scope"
SLOT_MISSES = "miss_count"
SLOT_CODE = "procedure_code"
INTENT_FEEDBACK = "feedback"

FALLBACK, OUT_OF_SCOPE, CLARIFY, AMBIGUOUS, THUMBS_DOWN = "fallback", "out_of_scope", "clarify", "ambiguous", "thumbs_down"
REASONS = (FALLBACK, OUT_OF_SCOPE, CLARIFY, AMBIGUOUS, THUMBS_DOWN)

_ACTIONS = (ACTION_ANSWER, ACTION_CLARIFY, ACTION_OUT_OF_SCOPE)
_SLOTS = (SLOT_MISSES, SLOT_CODE)
FETCH_ROWS = 1000

_events = sa.table(
    "events",
    sa.column("id", sa.Integer), sa.column("sender_id", sa.String), sa.column("type_name", sa.String),
    sa.column("timestamp", sa.Float), sa.column("intent_name", sa.String), sa.column("action_name", sa.String),
    sa.column("data", sa.Text),
)


@dataclass(frozen=True)
class Miss:
    text: str  # masked, as stored
    reason: str  # one of REASONS
    sender_id: str
    timestamp: Optional[float]


@dataclass
class _Turn:
    text: str
    timestamp: Optional[float]
    is_payload: bool
    actions: set
    misses: bool = False
    answered: bool = False

    def outcome(self) -> Optional[str]:
        """The reason this turn left the question unanswered, as far as its own events tell; None if answered."""
        if self.answered:
            return None
        if self.misses:
            if ACTION_OUT_OF_SCOPE in self.actions:
                return OUT_OF_SCOPE
            if ACTION_CLARIFY in self.actions:
                return CLARIFY
            return FALLBACK
        if ACTION_ANSWER in self.actions:
            return AMBIGUOUS  # candidates offered (or the database was down: nothing to learn either way)
        return None


def event_query() -> sa.sql.Select:
    """The rows that matter, in conversation order; portable SQL (SQLite and PostgreSQL)."""
    e = _events.c
    return (
        sa.select(e.sender_id, e.type_name, e.timestamp, e.intent_name, e.action_name, e.data)
        .where(sa.or_(
            e.type_name == "user",
            sa.and_(e.type_name == "action", e.action_name.in_(_ACTIONS)),
            sa.and_(e.type_name == "slot", e.action_name.in_(_SLOTS)),
        ))
        .order_by(e.sender_id, e.id)
    )


def stream_rows(engine: Engine, fetch: int = FETCH_ROWS) -> Iterator[Any]:
    """The rows of `event_query`, fetched in batches (a server-side cursor where the driver has one)."""
    with engine.connect() as connection:
        result = connection.execution_options(stream_results=True, yield_per=fetch).execute(event_query())
        for partition in result.partitions(fetch):
            yield from partition


def unanswered(rows: Iterable[Any]) -> Iterator[Miss]:
    """The unanswered questions of `rows` (ordered by conversation, then insertion), in the same order."""
    sender: Optional[str] = None
    previous: Optional[_Turn] = None  # the last finished turn of this conversation, waiting for the next message
    current: Optional[_Turn] = None

    def finish(turn: Optional[_Turn], nxt: Optional[_Turn], nxt_data: Optional[dict]) -> Optional[Miss]:
        if turn is None or turn.is_payload or not turn.text.strip():
            return None
        reason = turn.outcome()
        if reason in (CLARIFY, AMBIGUOUS) and nxt is not None and nxt.is_payload and nxt.answered:
            return None  # the citizen picked one of the offered answers
        if reason is None and nxt_data is not None and _is_thumbs_down(nxt_data):
            reason = THUMBS_DOWN
        return Miss(turn.text, reason, sender or "", turn.timestamp) if reason else None

    for row in rows:
        if row.sender_id != sender:
            if current is not None:
                miss = finish(previous, current, current_data)
                if miss:
                    yield miss
                miss = finish(current, None, None)
                if miss:
                    yield miss
            sender, previous, current, current_data = row.sender_id, None, None, None
        if row.type_name == "user":
            data = _json(row.data)
            if current is not None:
                # `current` is finished; `previous` is judged now that we know the message after it
                miss = finish(previous, current, current_data)
                if miss:
                    yield miss
                previous = current
            text = str(data.get("text") or "")
            current = _Turn(text, row.timestamp, text.lstrip().startswith("/"), set())
            current_data = data
        elif current is None:
            continue
        elif row.type_name == "action":
            current.actions.add(row.action_name)
        elif row.type_name == "slot":
            value = _json(row.data).get("value")
            if row.action_name == SLOT_MISSES:
                try:
                    current.misses = float(value or 0) > 0
                except (TypeError, ValueError):
                    current.misses = False
            elif row.action_name == SLOT_CODE and value:
                current.answered = True
    if current is not None:
        miss = finish(previous, current, current_data)
        if miss:
            yield miss
        miss = finish(current, None, None)
        if miss:
            yield miss


def _is_thumbs_down(user_data: dict) -> bool:
    parse = user_data.get("parse_data") or {}
    if (parse.get("intent") or {}).get("name") != INTENT_FEEDBACK:
        return False
    values = [e.get("value") for e in parse.get("entities") or []
              if isinstance(e, dict) and e.get("entity") == "feedback_value"]
    if values:
        return "down" in values
    # a typed feedback without the button: the same words action_record_feedback reads as 👎
    text = str(user_data.get("text") or "").lower()
    return any(word in text for word in ("sai", "không", "chưa"))


def _json(data: Optional[str]) -> dict:
    try:
        value = json.loads(data or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def unanswered_questions(engine: Engine) -> Iterator[Miss]:
    """Every unanswered question stored in the conversation database of `engine`."""
    if not sa.inspect(engine).has_table("events"):
        return iter(())
    return unanswered(stream_rows(engine))
