"""Decide which procedure a message is about: a clear winner, a few close candidates, the one in context, or none.

Wrong answers given with confidence destroy trust, so a close call becomes a question with buttons.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Optional, Protocol, Sequence

from knowledge.text import fold
from knowledge.types import SearchHit

CODE_PATTERN = re.compile(r"^\s*\d\.\d{6}\s*$")

# Calibrated on the curated data and the held-out query sets (see docs/benchmarks.md).
MENTION_MIN_SCORE = 0.25  # an NLU-found mention is already a strong hint
TEXT_MIN_SCORE = 0.6  # free text without a recognised mention must match much of a procedure's wording
TEXT_SUGGEST_SCORE = 0.4  # below a clear match but worth offering as candidates
TEXT_OVER_CONTEXT_SCORE = 0.6  # a follow-up switches procedure only on a strong match
CLOSE_RATIO = 0.85  # candidates within 85 % of the best are "close"
MAX_CANDIDATES = 5

FOUND, AMBIGUOUS, CONTEXT, NONE = "found", "ambiguous", "context", "none"


class Searcher(Protocol):
    def search(self, text: str, limit: int = 5) -> list[SearchHit]: ...

    def card(self, code: str): ...


@dataclass(frozen=True)
class Link:
    kind: str  # found | ambiguous | context | none
    code: Optional[str] = None
    candidates: tuple[SearchHit, ...] = field(default_factory=tuple)


def link_procedure(kb: Searcher, text: str, mentions: Sequence[str], context_code: Optional[str]) -> Link:
    for mention in mentions:
        if CODE_PATTERN.match(mention) and kb.card(mention.strip()) is not None:
            return Link(FOUND, mention.strip())
    if mentions:
        decided = _decide(kb.search(" ".join(mentions), limit=MAX_CANDIDATES), MENTION_MIN_SCORE)
        if decided.kind == AMBIGUOUS:
            decided = _prefer_exact_alias(kb, decided, mentions)
        if decided.kind != NONE:
            return decided
    hits = kb.search(text, limit=MAX_CANDIDATES)
    if context_code:
        if hits and hits[0].score >= TEXT_OVER_CONTEXT_SCORE and hits[0].code != context_code:
            decided = _decide(hits, TEXT_OVER_CONTEXT_SCORE)
            if decided.kind == FOUND or (decided.kind == AMBIGUOUS and context_code not in decided_codes(decided)):
                return decided
        return Link(CONTEXT, context_code)
    decided = _decide(hits, TEXT_MIN_SCORE)
    if decided.kind == NONE:
        suggestions = tuple(hit for hit in hits if hit.score >= TEXT_SUGGEST_SCORE)[:MAX_CANDIDATES]
        if len(suggestions) >= 2:
            return Link(AMBIGUOUS, None, suggestions)
    return decided


def _prefer_exact_alias(kb: Searcher, link: Link, mentions: Sequence[str]) -> Link:
    """"tạm trú" is the alias of one procedure even if three names contain the words: the citizen named that one."""
    wanted = {fold(m) for m in mentions}
    exact = []
    for hit in link.candidates:
        card = kb.card(hit.code)
        names = {fold(card.name), *(fold(a) for a in card.aliases)} if card else set()
        if names & wanted:
            exact.append(hit.code)
    return Link(FOUND, exact[0]) if len(exact) == 1 else link


def decided_codes(link: Link) -> set[str]:
    return {hit.code for hit in link.candidates}


def _decide(hits: Sequence[SearchHit], min_score: float) -> Link:
    if not hits or hits[0].score < min_score:
        return Link(NONE)
    best = hits[0].score
    close = tuple(hit for hit in hits if hit.score >= best * CLOSE_RATIO)
    if len(close) == 1:
        return Link(FOUND, hits[0].code)
    return Link(AMBIGUOUS, None, close[:MAX_CANDIDATES])
