"""Unanswered questions grouped by similarity, with counts, at a bounded cost.

Two questions are the same group when their *keys* are equal — folded (no diacritics, lower case), punctuation
removed, chat spellings unified by `knowledge.text.search_tokens` — or, failing that, when their word sets are close
(Jaccard ≥ `SIMILAR`) — "lam khai sinh cho con can gi" and "làm khai sinh cho con cần gì ạ". Near matches are
looked for only among groups sharing the question's rarest word, at most `MAX_CANDIDATES` of them, and only for
the first `MAX_GROUPS` groups: the cost is linear in the number of questions.
"""
from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field
from typing import Iterable, Optional

from knowledge.text import nfc, search_tokens

from review.unanswered import Miss

SIMILAR = 0.8
MAX_CANDIDATES = 50
MAX_GROUPS = 5000  # beyond this, questions still group by equal keys, not by near matches
MAX_EXAMPLES = 10  # distinct texts kept per group (the operator sees them; the export writes them)
MAX_TEXT_CHARS = 300


def question_key(text: str) -> str:
    """The folded, tokenised form of a question: what "the same question" means."""
    return " ".join(search_tokens(text))


def group_id(key: str) -> str:
    """A stable id of a group, from its key (reviews are stored under it)."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]


@dataclass
class Group:
    key: str
    count: int = 0
    texts: Counter = field(default_factory=Counter)  # distinct (NFC, trimmed) texts → count
    reasons: Counter = field(default_factory=Counter)
    last_seen: Optional[float] = None
    words: frozenset = frozenset()

    @property
    def id(self) -> str:
        return group_id(self.key)

    @property
    def example(self) -> str:
        """The most frequent text (ties: the shortest, then alphabetical), shown to the operator."""
        return min(self.texts.items(), key=lambda item: (-item[1], len(item[0]), item[0]))[0]

    def examples(self, limit: int = MAX_EXAMPLES) -> list[str]:
        ranked = sorted(self.texts.items(), key=lambda item: (-item[1], len(item[0]), item[0]))
        return [text for text, _ in ranked[:limit]]

    def add(self, miss: Miss, text: str) -> None:
        self.count += 1
        if text in self.texts or len(self.texts) < MAX_EXAMPLES * 5:
            self.texts[text] += 1
        self.reasons[miss.reason] += 1
        if miss.timestamp is not None and (self.last_seen is None or miss.timestamp > self.last_seen):
            self.last_seen = miss.timestamp


def _jaccard(a: frozenset, b: frozenset) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


def group_misses(misses: Iterable[Miss]) -> list[Group]:
    """Groups, most frequent first (ties: most recent, then key)."""
    by_key: dict[str, Group] = {}
    alias_of: dict[str, str] = {}  # a key merged into another group's key
    by_word: dict[str, list[str]] = {}  # word → keys of groups containing it (for near matches)
    word_counts: Counter = Counter()
    for miss in misses:
        text = " ".join(nfc(miss.text).split())[:MAX_TEXT_CHARS]
        key = question_key(text)
        if not key:
            continue
        target = alias_of.get(key, key)
        group = by_key.get(target)
        if group is None:
            words = frozenset(key.split())
            match = _near_group(words, by_key, by_word, word_counts) if len(by_key) < MAX_GROUPS else None
            if match is not None:
                alias_of[key] = match.key
                group = match
            else:
                group = by_key[key] = Group(key, words=words)
                word_counts.update(words)
                for word in words:
                    by_word.setdefault(word, []).append(key)
        group.add(miss, text)
    return sorted(by_key.values(), key=lambda g: (-g.count, -(g.last_seen or 0.0), g.key))


def _near_group(words: frozenset, by_key: dict[str, Group], by_word: dict[str, list[str]],
                word_counts: Counter) -> Optional[Group]:
    present = [w for w in words if w in by_word]
    if not present:
        return None
    rarest = min(present, key=lambda w: (word_counts[w], w))
    best, best_score = None, SIMILAR
    for key in by_word[rarest][:MAX_CANDIDATES]:
        candidate = by_key[key]
        score = _jaccard(words, candidate.words)
        if score >= best_score and (best is None or score > best_score or key < best.key):
            best, best_score = candidate, score
    return best
