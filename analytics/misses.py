"""Questions the bot could not answer, masked and grouped by similarity: the one definition the operators' dashboard
(`/admin/`), the review of unanswered questions (`/admin/misses/`) and `thutuc nlu misses` all use.

What counts as *unanswered* (one entry per citizen message; docs/operations.md, "Operator dashboard"), from how the
turn ended (`analytics.events.Turn.outcome`):

- `not_found`    — the bot searched and found no procedure (`action_answer_procedure` counted a miss);
- `out_of_scope` — the bot declined the question as outside the centre's procedures (a question it rescued and
                   answered with a procedure is answered, not a miss);
- `menu`         — the second miss in a row: the bot gave up and offered the menu and a clerk;
- `clarify`      — the bot asked a question back ("Bạn muốn hỏi…?", or candidate procedures to pick from) and the
                   citizen's next message in the same conversation was not answered with a procedure (or there was
                   no next message);
- `thumbs_down`  — the citizen pressed 👎 after an answer: the question that answer was for.

Button presses (`/intent{…}`) are never entries themselves: for a 👎 after a button the entry is the last message the
citizen typed before it. Texts are masked again with base.privacy (the tracker store already masked them), spaces
collapsed and cut at `MAX_TEXT_CHARS`.

Grouping: two questions are the same when their keys are equal — `question_key`: folded (no diacritics, lower
case), punctuation removed, chat spellings unified by `knowledge.text.search_tokens` — or, failing that, when their
word sets are close (Jaccard ≥ `SIMILAR`: "thời tiết hôm nay thế nào ạ?" and "thoi tiet hom nay the nao", but not
"làm giấy khai sinh cho con cần gì" and "làm giấy khai tử cho con cần gì", 7 of 9 words: a decision on a group applies
to all its questions, so a group must not mix two procedures). Near matches are looked for only among groups sharing one of
the question's `RAREST_WORDS` rarest words, at most `MAX_CANDIDATES` groups per word, and only while there are fewer
than `MAX_GROUPS` groups: the cost stays linear in the number of questions. A group's key is the key of its earliest
question, so the same questions over the same range always give the same key (reviews are stored under it,
review/store.py); a range that starts later may make another question the earliest, and the key follows it.
"""
from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass
from typing import Iterable, Iterator, Optional

from sqlalchemy.engine import Engine

from analytics.events import ANSWERED, CLARIFYING, MENU, NOT_FOUND, OUT_OF_SCOPE, Turn, conversations
from analytics.period import Period
from base.privacy import mask_text
from knowledge.text import nfc, search_tokens

CLARIFY, THUMBS_DOWN = "clarify", "thumbs_down"
REASONS = (NOT_FOUND, OUT_OF_SCOPE, MENU, CLARIFY, THUMBS_DOWN)
SIMILAR = 0.8
RAREST_WORDS = 3
MAX_CANDIDATES = 50
MAX_GROUPS = 5000  # beyond this, questions still group by equal keys, not by near matches
MAX_EXAMPLES = 10  # distinct texts kept per group (the operator sees them; a review stores them)
MAX_TEXT_CHARS = 300


@dataclass(frozen=True)
class Miss:
    sender_id: str
    timestamp: float
    channel: str
    text: str  # masked
    reason: str  # one of REASONS
    procedure_code: Optional[str] = None  # for a 👎: the procedure that was answered


@dataclass(frozen=True)
class MissGroup:
    key: str  # question_key of the group's earliest question
    count: int
    conversations: int
    reasons: tuple[tuple[str, int], ...]  # (reason, count), most frequent first
    channels: tuple[tuple[str, int], ...]
    examples: tuple[str, ...]  # distinct masked texts, most frequent first (ties: the earliest), ≤ MAX_EXAMPLES
    first_seen: float
    last_seen: float

    @property
    def id(self) -> str:
        return group_id(self.key)

    @property
    def text(self) -> str:
        """The group's example: its most frequent text (ties: the earliest)."""
        return self.examples[0]


def question_key(text: str) -> str:
    """The folded, tokenised form of a question: what "the same question" means."""
    return " ".join(search_tokens(text))


def group_id(key: str) -> str:
    """A stable id of a group, from its key (the review page and the stored decisions use it)."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]


def clean_text(text: str) -> str:
    """A stored question as shown to operators: masked (again), NFC, spaces collapsed, bounded."""
    return " ".join(nfc(mask_text(text)).split())[:MAX_TEXT_CHARS]


# ------------------------------------------------------------------------------------------------ which messages
def misses_of(turns: list[Turn], period: Optional[Period] = None) -> Iterator[Miss]:
    """The unanswered messages among one sender's turns (in order) whose message falls inside the period (every
    message without one)."""
    last_typed: Optional[Turn] = None
    last_answer: Optional[Turn] = None
    for index, turn in enumerate(turns):
        inside = period is None or period.contains(turn.timestamp)
        outcome = turn.outcome
        reason: Optional[str] = None
        source = turn
        code = None
        if outcome in (NOT_FOUND, OUT_OF_SCOPE, MENU):
            reason = outcome
        elif outcome in CLARIFYING:
            following = turns[index + 1] if index + 1 < len(turns) else None
            if following is None or following.outcome != ANSWERED:
                reason = CLARIFY
        elif turn.feedback == "down" and last_answer is not None:
            reason, code = THUMBS_DOWN, last_answer.procedure_code
            source = last_typed if last_typed is not None and last_typed.timestamp <= last_answer.timestamp else last_answer
        if outcome == ANSWERED:
            last_answer = turn
        if not turn.is_payload and turn.feedback is None:
            last_typed = turn
        if reason is None or not inside:
            continue
        if source.is_payload:
            continue  # a button press that led nowhere: the typed message before it is already counted
        text = clean_text(source.text)
        if question_key(text):
            yield Miss(turn.sender_id, turn.timestamp, turn.channel, text, reason, code)


def unanswered_misses(tracker_engine: Engine, period: Optional[Period] = None) -> Iterator[Miss]:
    """Every unanswered message of the period (all stored ones without a period), conversation by conversation."""
    for turns in conversations(tracker_engine, period):
        yield from misses_of(turns, period)


# ------------------------------------------------------------------------------------------------ grouping
@dataclass
class _Builder:
    key: str
    words: frozenset[str]
    texts: Counter
    first_at: dict[str, float]
    reasons: Counter
    channels: Counter
    senders: set[str]
    count: int = 0
    first_seen: float = float("inf")
    last_seen: float = float("-inf")

    def add(self, miss: Miss) -> None:
        self.count += 1
        if miss.text in self.texts or len(self.texts) < MAX_EXAMPLES * 5:
            self.texts[miss.text] += 1
            self.first_at.setdefault(miss.text, miss.timestamp)
        self.reasons[miss.reason] += 1
        self.channels[miss.channel] += 1
        self.senders.add(miss.sender_id)
        self.first_seen = min(self.first_seen, miss.timestamp)
        self.last_seen = max(self.last_seen, miss.timestamp)

    def freeze(self) -> MissGroup:
        ranked = sorted(self.texts, key=lambda text: (-self.texts[text], self.first_at[text], text))
        return MissGroup(
            key=self.key, count=self.count, conversations=len(self.senders),
            reasons=tuple(self.reasons.most_common()), channels=tuple(self.channels.most_common()),
            examples=tuple(ranked[:MAX_EXAMPLES]), first_seen=self.first_seen, last_seen=self.last_seen,
        )


def _jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


def group_misses(misses: Iterable[Miss]) -> list[MissGroup]:
    """Similar questions together, most frequent group first (then the earliest, then by key)."""
    builders: dict[str, _Builder] = {}
    alias_of: dict[str, str] = {}  # a key merged into another group's key
    by_word: dict[str, list[str]] = {}  # word → keys of the groups whose key contains it
    for miss in sorted(misses, key=lambda m: (m.timestamp, m.sender_id)):
        key = question_key(miss.text)
        if not key:
            continue
        builder = builders.get(alias_of.get(key, key))
        if builder is None:
            words = frozenset(key.split())
            match = _near_group(words, builders, by_word) if len(builders) < MAX_GROUPS else None
            if match is not None:
                alias_of[key] = match.key
                builder = match
            else:
                builder = builders[key] = _Builder(key, words, Counter(), {}, Counter(), Counter(), set())
                for word in words:
                    by_word.setdefault(word, []).append(key)
        builder.add(miss)
    groups = [builder.freeze() for builder in builders.values()]
    groups.sort(key=lambda g: (-g.count, g.first_seen, g.key))
    return groups


def _near_group(words: frozenset[str], builders: dict[str, _Builder],
                by_word: dict[str, list[str]]) -> Optional[_Builder]:
    present = sorted((w for w in words if w in by_word), key=lambda w: (len(by_word[w]), w))[:RAREST_WORDS]
    best, best_score = None, SIMILAR
    seen: set[str] = set()
    for word in present:
        for key in by_word[word][:MAX_CANDIDATES]:
            if key in seen:
                continue
            seen.add(key)
            candidate = builders[key]
            score = _jaccard(words, candidate.words)
            if score > best_score or (score == best_score and (best is None or key < best.key)):
                best, best_score = candidate, score
    return best


def unanswered_groups(tracker_engine: Engine, period: Optional[Period] = None,
                      limit: Optional[int] = None) -> list[MissGroup]:
    """The grouped unanswered questions of the period (of every stored conversation without one)."""
    groups = group_misses(unanswered_misses(tracker_engine, period))
    return groups if limit is None else groups[:limit]
