"""Turns of the stored conversations, read from the tracker store's `events` table as a stream.

A *turn* is one citizen message (a `user` event) and everything the bot did until the next one: the actions it ran
and the slots they set. The table is read in one query ordered by conversation and insertion order and consumed
row by row (a server-side cursor on PostgreSQL), so a year of events never sits in memory at once: only the turns
of the conversation being read do.

How a turn ended (`outcome`) is read from what the guidance actions leave in the tracker (actions/guidance.py):

- `answered`   — a `procedure_code` slot was set to a procedure: a procedure card was shown (`last_facet` is the facet);
- `ambiguous`  — `action_answer_procedure` set `last_facet` but no procedure and no miss: "which one?" with buttons;
- `not_found`  — `action_answer_procedure` counted a miss (`miss_count`): nothing matched;
- `clarify`    — `action_clarify` asked "Bạn muốn hỏi…?" (its first miss in a row);
- `menu`       — `action_clarify` at the second miss in a row: the menu of common procedures and a clerk;
- `out_of_scope` — `action_out_of_scope` declined;
- `other`      — anything else (greeting, office hours, dossier status, feedback, handoff …).
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Iterable, Iterator, Optional

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from analytics.period import Period

EVENTS = sa.table(
    "events",
    sa.column("id", sa.Integer), sa.column("sender_id", sa.String), sa.column("type_name", sa.String),
    sa.column("timestamp", sa.Float), sa.column("intent_name", sa.String), sa.column("action_name", sa.String),
    sa.column("data", sa.Text),
)
# Events after the range's end still belong to a turn that started inside it (the bot answers within seconds; the
# next turn tells whether a clarifying question was resolved).
TAIL_SECONDS = 3600.0
FETCH_ROWS = 500

ANSWERED, AMBIGUOUS, NOT_FOUND, CLARIFY, MENU, OUT_OF_SCOPE, OTHER = (
    "answered", "ambiguous", "not_found", "clarify", "menu", "out_of_scope", "other")
CLARIFYING = (AMBIGUOUS, CLARIFY)  # the bot asked a question back
FALLBACK_INTENT = "nlu_fallback"
FEEDBACK_INTENT = "feedback"

SLOT_CODE, SLOT_FACET, SLOT_MISSES = "procedure_code", "last_facet", "miss_count"
ANSWER_ACTION, CLARIFY_ACTION, OUT_OF_SCOPE_ACTION = "action_answer_procedure", "action_clarify", "action_out_of_scope"
WATCHED_SLOTS = frozenset({SLOT_CODE, SLOT_FACET, SLOT_MISSES})
READ_TYPES = ("user", "action", "slot", "session_started")  # what turns are made of


@dataclass
class Turn:
    sender_id: str
    session: int  # how many `session_started` events of this sender came before it (in the read events)
    timestamp: float
    channel: str
    intent: Optional[str]
    text: str  # as stored: already masked by the tracker store
    feedback: Optional[str] = None  # up | down, for a feedback message
    actions: list[str] = field(default_factory=list)
    slots: dict[str, Any] = field(default_factory=dict)

    @property
    def outcome(self) -> str:
        code = self.slots.get(SLOT_CODE)
        if isinstance(code, str) and code:
            return ANSWERED
        if OUT_OF_SCOPE_ACTION in self.actions:
            return OUT_OF_SCOPE
        if CLARIFY_ACTION in self.actions:
            misses = self.slots.get(SLOT_MISSES)
            return MENU if isinstance(misses, (int, float)) and misses >= 2 else CLARIFY
        if ANSWER_ACTION in self.actions:
            if SLOT_MISSES in self.slots:
                return NOT_FOUND
            if SLOT_FACET in self.slots:
                return AMBIGUOUS
        return OTHER

    @property
    def procedure_code(self) -> Optional[str]:
        return self.slots.get(SLOT_CODE) if self.outcome == ANSWERED else None

    @property
    def facet(self) -> Optional[str]:
        value = self.slots.get(SLOT_FACET)
        return value if self.outcome == ANSWERED and isinstance(value, str) and value else None

    @property
    def is_payload(self) -> bool:
        """A button press (`/intent{…}`), not words the citizen typed."""
        return self.text.startswith("/")


def channel_of(sender_id: str, input_channel: Optional[str]) -> str:
    """The channel a message came in on: Rasa's `input_channel`, else what the conversation id says."""
    if input_channel:
        return str(input_channel)
    if sender_id.startswith("rest-"):
        return "rest"
    if sender_id.startswith("web-"):
        return "webchat"
    if sender_id.isdigit():
        return "zalo"
    return "khac"


def _feedback_value(data: dict[str, Any]) -> Optional[str]:
    for entity in (data.get("parse_data") or {}).get("entities") or []:
        if isinstance(entity, dict) and entity.get("entity") == "feedback_value" and entity.get("value") in ("up", "down"):
            return entity["value"]
    text = (data.get("text") or "").lower()
    if not text:
        return None
    return "down" if any(word in text for word in ("sai", "không", "chưa", "👎")) else "up"  # as actions/guidance.py


def event_rows(engine: Engine, period: Optional[Period] = None, fetch: Optional[int] = None) -> Iterator[Any]:
    """The rows of the range (plus the tail; every stored row without a period), conversation by conversation, in
    insertion order, streamed. Only the event types turns are made of: the bot's own messages stay in the table."""
    query = (
        sa.select(EVENTS.c.sender_id, EVENTS.c.type_name, EVENTS.c.timestamp, EVENTS.c.intent_name,
                  EVENTS.c.action_name, EVENTS.c.data)
        .where(EVENTS.c.type_name.in_(READ_TYPES))
        .order_by(EVENTS.c.sender_id, EVENTS.c.id)
    )
    if period is not None:
        query = query.where(EVENTS.c.timestamp >= period.start.timestamp(),
                            EVENTS.c.timestamp < period.end.timestamp() + TAIL_SECONDS)
    fetch = fetch or FETCH_ROWS
    with engine.connect() as connection:
        if not sa.inspect(connection).has_table("events"):
            return
        result = connection.execution_options(stream_results=True, max_row_buffer=fetch).execute(query)
        for rows in result.partitions(fetch):
            yield from rows


def conversations(engine: Engine, period: Optional[Period] = None) -> Iterator[list[Turn]]:
    """Each sender's turns in order (the turns of one sender at a time; the tail's turns included, marked by their
    timestamp: callers count only those `period.contains`)."""
    return turns_by_conversation(event_rows(engine, period))


def turns_by_conversation(rows: Iterable[Any]) -> Iterator[list[Turn]]:
    """The turns of `rows` (ordered by conversation, then insertion), one conversation at a time."""
    sender: Optional[str] = None
    turns: list[Turn] = []
    session = 0
    for row in rows:
        if row.sender_id != sender:
            if turns:
                yield turns
            sender, turns, session = row.sender_id, [], 0
        kind = row.type_name
        if kind == "session_started":
            session += 1
        elif kind == "user":
            data = json.loads(row.data or "{}")
            turn = Turn(sender_id=row.sender_id, session=session, timestamp=float(row.timestamp),
                        channel=channel_of(row.sender_id, data.get("input_channel")), intent=row.intent_name,
                        text=str(data.get("text") or ""))
            if row.intent_name == FEEDBACK_INTENT:
                turn.feedback = _feedback_value(data)
            turns.append(turn)
        elif not turns:
            continue  # what happened before the range's first message belongs to an earlier turn
        elif kind == "action" and row.action_name:
            turns[-1].actions.append(row.action_name)
        elif kind == "slot":
            data = json.loads(row.data or "{}")
            if data.get("name") in WATCHED_SLOTS:
                turns[-1].slots[data["name"]] = data.get("value")
    if turns:
        yield turns
