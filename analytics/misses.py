"""Questions the bot could not answer, masked and grouped by similarity.

What counts as *unanswered* (one entry per citizen message, docs/operations.md "Operator dashboard"):

- `not_found`    — the bot searched and found no procedure (`action_answer_procedure` counted a miss);
- `out_of_scope` — the bot declined the question as outside the centre's procedures;
- `menu`         — the second miss in a row: the bot gave up and offered the menu and a clerk;
- `clarify`      — the bot asked a question back ("which one?", "Bạn muốn hỏi…?") and the citizen's next message
                   in the same conversation was not answered with a procedure (or there was no next message);
- `thumbs_down`  — the citizen pressed 👎 after an answer: the question that answer was for.

Button presses (`/intent{…}`) are never entries themselves: for a 👎 after a button the entry is the last message the
citizen typed before it. Texts are masked again with base.privacy (the tracker store already masked them).

Grouping: each text is folded (lowercase, no diacritics, only letters and digits) into a set of tokens; a message
joins the first group whose representative's token set has a Jaccard similarity ≥ `SIMILARITY` with its own, found
through an inverted index of tokens, comparing at most `MAX_CANDIDATES` groups per message, so the cost stays
about linear in the number of misses. The group's key is the first 12 hex digits of the SHA-256 of its
representative's sorted token set: it depends on that one text only, so the same group over the same range always
has the same key, and a group keeps its key as long as its earliest message is the same (a range that starts later
may make another message the representative, and the key follows it).
"""
from __future__ import annotations

import hashlib
import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Iterable, Iterator, Optional

from sqlalchemy.engine import Engine

from analytics.events import (ANSWERED, CLARIFYING, MENU, NOT_FOUND, OUT_OF_SCOPE, Turn, conversations)
from analytics.period import Period
from base.privacy import mask_text
from knowledge.text import fold

REASONS = (NOT_FOUND, OUT_OF_SCOPE, MENU, "clarify", "thumbs_down")
SIMILARITY = 0.6
MAX_CANDIDATES = 50
MAX_EXAMPLES = 3
_NON_WORD = re.compile(r"[^0-9a-z*]+")


@dataclass(frozen=True)
class Miss:
    sender_id: str
    timestamp: float
    channel: str
    text: str  # masked
    reason: str
    procedure_code: Optional[str] = None  # for a 👎: the procedure that was answered


@dataclass(frozen=True)
class MissGroup:
    key: str  # stable: derived from the representative's tokens only
    text: str  # the representative (the earliest message of the group), masked
    count: int
    conversations: int
    reasons: tuple[tuple[str, int], ...]  # (reason, count), most frequent first
    channels: tuple[tuple[str, int], ...]
    examples: tuple[str, ...]  # up to MAX_EXAMPLES distinct masked texts, the representative first
    first_seen: float
    last_seen: float


def tokens(text: str) -> frozenset[str]:
    return frozenset(token for token in _NON_WORD.split(fold(text)) if token)


def group_key(token_set: Iterable[str]) -> str:
    return hashlib.sha256(" ".join(sorted(token_set)).encode("utf-8")).hexdigest()[:12]


def misses_of(turns: list[Turn], period: Period) -> Iterator[Miss]:
    """The unanswered messages among one sender's turns (in order) whose message falls inside the period."""
    last_typed: Optional[Turn] = None
    last_answer: Optional[Turn] = None
    for index, turn in enumerate(turns):
        inside = period.contains(turn.timestamp)
        outcome = turn.outcome
        reason: Optional[str] = None
        source = turn
        code = None
        if outcome in (NOT_FOUND, OUT_OF_SCOPE, MENU):
            reason = outcome
        elif outcome in CLARIFYING:
            following = turns[index + 1] if index + 1 < len(turns) else None
            if following is None or following.outcome != ANSWERED:
                reason = "clarify"
        elif turn.feedback == "down" and last_answer is not None:
            reason, code = "thumbs_down", last_answer.procedure_code
            source = last_typed if last_typed is not None and last_typed.timestamp <= last_answer.timestamp else last_answer
        if outcome == ANSWERED:
            last_answer = turn
        if not turn.is_payload and turn.feedback is None:
            last_typed = turn
        if reason is None or not inside:
            continue
        if source.is_payload and reason != "thumbs_down":
            continue  # a button press that led nowhere: the typed message before it is already counted
        yield Miss(turn.sender_id, turn.timestamp, turn.channel, mask_text(source.text), reason, code)


def group_misses(misses: Iterable[Miss]) -> list[MissGroup]:
    """Similar texts together, biggest group first (then earliest), each with its counts and examples."""
    ordered = sorted(misses, key=lambda m: (m.timestamp, m.sender_id))
    representatives: list[frozenset[str]] = []
    members: list[list[Miss]] = []
    index: dict[str, list[int]] = defaultdict(list)
    exact: dict[frozenset[str], int] = {}
    for miss in ordered:
        token_set = tokens(miss.text)
        group = exact.get(token_set)
        if group is None and token_set:
            seen: Counter[int] = Counter()
            for token in token_set:
                for candidate in index.get(token, ()):
                    seen[candidate] += 1
            best, best_score = None, 0.0
            for candidate, shared in seen.most_common(MAX_CANDIDATES):
                union = len(token_set | representatives[candidate])
                score = shared / union if union else 0.0
                if score >= SIMILARITY and score > best_score:
                    best, best_score = candidate, score
            group = best
        if group is None:
            group = len(representatives)
            representatives.append(token_set)
            members.append([])
            for token in token_set:
                index[token].append(group)
        exact.setdefault(token_set, group)
        members[group].append(miss)
    groups = []
    for token_set, items in zip(representatives, members):
        examples: list[str] = []
        for item in items:
            if item.text not in examples and len(examples) < MAX_EXAMPLES:
                examples.append(item.text)
        groups.append(MissGroup(
            key=group_key(token_set) if token_set else group_key([items[0].text]),
            text=items[0].text,
            count=len(items),
            conversations=len({item.sender_id for item in items}),
            reasons=tuple(Counter(item.reason for item in items).most_common()),
            channels=tuple(Counter(item.channel for item in items).most_common()),
            examples=tuple(examples),
            first_seen=items[0].timestamp,
            last_seen=items[-1].timestamp,
        ))
    groups.sort(key=lambda g: (-g.count, g.first_seen))
    return groups


def unanswered_groups(tracker_engine: Engine, period: Period, limit: Optional[int] = None) -> list[MissGroup]:
    """The grouped unanswered questions of the period, read from the stored conversation events."""
    misses: list[Miss] = []
    for turns in conversations(tracker_engine, period):
        misses.extend(misses_of(turns, period))
    groups = group_misses(misses)
    return groups if limit is None else groups[:limit]
