"""Decide which procedure a message is about: a clear winner, a few close candidates, the one in context, or none.

The whole message is searched (knowledge/search.py), not only the procedure mention the NLU found: the mention of a
long question is often the base procedure ("khai sinh") while the rest says which variant is meant ("ghi sai muốn
sửa", "bố là người nước ngoài"), and search weighs both. A hit is trusted by its *coverage* — how much of one of its
names the message contains — rather than by its score, which long questions dilute. Wrong answers given with
confidence destroy trust, so a near tie between candidates with the same evidence becomes a question with buttons.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Optional, Protocol, Sequence

from knowledge.text import fold
from knowledge.types import SearchHit

CODE_PATTERN = re.compile(r"^\s*\d\.\d{6}\s*$")

# Calibrated on the development questions (tests/dev) and checked on the held-out sets (docs/benchmarks.md).
FOUND_COVERAGE = 0.3  # the message contains at least this share (by idf) of one of the hit's names or aliases
FOUND_COVERAGE_WITH_MENTION = 0.25  # … or this much when the NLU also recognised a procedure mention
FOUND_SCORE = 0.4  # … or the hit explains this much of the whole message (search score) without a close rival,
FOUND_SCORE_MIN_COVERAGE = 0.15  # covering at least a little of one of its names (a bare "giấy tờ" names nothing)
FOUND_MARGIN = 0.7  # … or, with that little coverage, the runner-up scoring below 70 % of it (a clear winner)
SUGGEST_COVERAGE = 0.2  # below a clear match but worth offering as a candidate
TIE_RATIO = 0.95  # a runner-up scoring within 5 % of the best and explaining every word the best one explains is a
# tie: the message gives no reason to prefer either, so ask
MENTION_MIN_SCORE = 0.25  # searching the mention alone (when the whole message found nothing) needs this score
CLOSE_RATIO = 0.85  # for that mention-only search: candidates within 85 % of the best are "close"
SWITCH_COVERAGE = 0.6  # a follow-up without a mention leaves the procedure in context only for a near-complete name
RESCUE_COVERAGE = 0.7  # a message the NLU took for out of scope / did not understand still names a commune procedure
RESCUE_NAMED = 2.0  # … or asks a facet of a commune procedure whose name it says this much of (the idf of the name's
# words it contains, in units of the rarest word's: "tham gia chữa cháy", "đóng bảo hiểm xã hội tự nguyện"); generic
# words ("làm hộ", "đổi tên", "người nước ngoài") weigh far less, so "làm hộ chiếu mất bao lâu" stays out of scope
NAMED_LEAD = 1.5  # … or says this many times more of its name than of any other candidate's (SearchHit.named)
MAX_CANDIDATES = 5
RESCUE_DEPTH = 10  # hits looked at for a better-named procedure of another level before rescuing

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
    payload = text.lstrip().startswith("/")  # a button's payload: only its entities are the citizen's words
    query = " ".join(mentions) if payload or not text.strip() else text
    hits = kb.search(query, limit=MAX_CANDIDATES) if query.strip() else []
    decided = decide_hits(hits, has_mention=bool(mentions))
    if context_code and not mentions:
        # a follow-up ("còn lệ phí?") stays with its procedure unless it names another one nearly whole
        if decided.kind == FOUND and decided.code != context_code and hits[0].coverage >= SWITCH_COVERAGE:
            return decided
        return Link(CONTEXT, context_code)
    if context_code and decided.kind == AMBIGUOUS and context_code in decided_codes(decided):
        return Link(CONTEXT, context_code)
    weak = decided.kind == NONE or (decided.kind == AMBIGUOUS and len(decided.candidates) == 1)
    if not weak or not mentions:
        return decided
    # the message as a whole matched at most one candidate weakly, but the NLU found a mention: search it alone
    by_mention = _decide_by_score(kb.search(" ".join(mentions), limit=MAX_CANDIDATES), MENTION_MIN_SCORE)
    if by_mention.kind == AMBIGUOUS:
        by_mention = _prefer_exact_alias(kb, by_mention, mentions)
    if by_mention.kind == NONE:
        return Link(CONTEXT, context_code) if context_code else decided
    return by_mention


def _rescue_hits(kb: Searcher, text: str) -> list[SearchHit]:
    """The hits both rescue rules look at (one search: the first MAX_CANDIDATES are those of a search that deep)."""
    if not text.strip() or text.lstrip().startswith("/"):
        return []
    return kb.search(text, limit=RESCUE_DEPTH)


def rescued_procedure(kb: Searcher, text: str, asks_facet: bool) -> Link:
    """Before refusing a message as out of scope or not understood, with one search: the commune procedure it names
    nearly whole (`named_procedure`), else — when it asks a facet — the one it asks about (`asked_procedure`)."""
    hits = _rescue_hits(kb, text)
    code = _named_in(hits)
    if code is not None:
        return Link(FOUND, code)
    return _asked_in(hits) if asks_facet else Link(NONE)


def named_procedure(kb: Searcher, text: str) -> Optional[str]:
    """The commune procedure a message names nearly whole, with no close rival; None otherwise.

    Used before refusing a message as out of scope or not understood: a question that names a procedure the ward
    handles is a procedure question, whatever else it talks about (a bank, an employer, a long story)."""
    return _named_in(_rescue_hits(kb, text))


def _named_in(hits: Sequence[SearchHit]) -> Optional[str]:
    hits = hits[:MAX_CANDIDATES]
    decided = decide_hits(hits)
    if decided.kind != FOUND or hits[0].coverage < RESCUE_COVERAGE or not hits[0].commune_level:
        return None
    return decided.code


def asked_procedure(kb: Searcher, text: str) -> Link:
    """Which commune procedure a question that asks a facet is about, when the classifier took it for out of scope.

    Out of scope is for questions without a procedure cue: a question that asks a facet ("… thì cần gì", "gia hạn mất
    bao lâu") and says much of one commune procedure's name, a clear winner of the search, is that procedure's
    question — curated or imported from the national catalogue. FOUND then; AMBIGUOUS when a candidate scoring close
    to it says even more of its own name (ask which one); NONE otherwise. The caller checks the facet cue."""
    return _asked_in(_rescue_hits(kb, text))


def _asked_in(hits: Sequence[SearchHit]) -> Link:
    decided = decide_hits(hits[:MAX_CANDIDATES])
    if (decided.kind != FOUND or not hits[0].commune_level or hits[0].named < RESCUE_NAMED
            # a clear score alone is not enough against the classifier: a name well covered or said far more
            or (hits[0].coverage < FOUND_COVERAGE and not _said_most(hits[:MAX_CANDIDATES]))):
        return Link(NONE)
    top = hits[0]
    # the question names another agency's procedure better ("lệ phí cấp hộ chiếu" is the province's passport, not
    # the commune's report of a lost one): that is what the refusal is for
    if any(not hit.commune_level and hit.coverage > top.coverage for hit in hits[1:]):
        return Link(NONE)
    rivals = tuple(hit for hit in hits[1:MAX_CANDIDATES]
                   if hit.score >= top.score * FOUND_MARGIN and hit.named > top.named and hit.commune_level)
    if rivals:
        return Link(AMBIGUOUS, None, (top, *rivals))
    return decided


def decide_hits(hits: Sequence[SearchHit], has_mention: bool = False) -> Link:
    """A clear winner (enough coverage, no tie), close candidates to choose from, or nothing."""
    if not hits:
        return Link(NONE)
    top = hits[0]
    needed = FOUND_COVERAGE_WITH_MENTION if has_mention else FOUND_COVERAGE
    runner_up = hits[1].score if len(hits) > 1 else 0.0
    clear = top.score >= FOUND_SCORE or runner_up < top.score * FOUND_MARGIN
    # a long question dilutes coverage, but when it says far more of the best hit's name than of any other's, the
    # candidates are not close ("phương án bảo vệ công trình thủy lợi … phê duyệt" among the other thủy lợi permits)
    said_most = _said_most(hits)
    if top.coverage < needed and (not clear or top.coverage < FOUND_SCORE_MIN_COVERAGE) and not said_most:
        # offer what comes close (one candidate is a yes/no question) rather than "not found": the hits that cover
        # a little of a name, and those scoring as well as the best one
        if top.coverage < SUGGEST_COVERAGE:
            return Link(NONE)
        suggestions = tuple(h for h in hits if h.coverage >= SUGGEST_COVERAGE or h.score >= top.score * CLOSE_RATIO)
        # the best score came from the story's incidental words, while a candidate scoring nearly as well is named
        # whole ("… khai tử thì nộp ở xã nơi thường trú hay nơi mất"): the citizen named that one
        whole = [h for h in suggestions if h.coverage >= RESCUE_COVERAGE and h.score >= top.score * CLOSE_RATIO]
        if len(whole) == 1:
            return Link(FOUND, whole[0].code)
        return Link(AMBIGUOUS, None, suggestions[:MAX_CANDIDATES])
    tied = tuple(h for h in hits[1:] if h.score >= top.score * TIE_RATIO and h.matched >= top.matched
                 and _same_name(h.name) != _same_name(top.name))  # one procedure published twice is not a tie
    if tied:
        # scores within a few per cent, but the question says far more of one name ("… muốn làm khai sinh cho con
        # có tên bố người nước ngoài" says much more of the combined birth and recognition than of the birth alone)
        group = (top, *tied)
        leaders = [h for h in group if _said_most([h, *(other for other in group if other is not h)])]
        if leaders:
            return Link(FOUND, leaders[0].code)
        return Link(AMBIGUOUS, None, group[:MAX_CANDIDATES])
    return Link(FOUND, top.code)


def _said_most(hits: Sequence[SearchHit]) -> bool:
    """Whether the question says far more of the best hit's name than of any other candidate's (and enough of it)."""
    top = hits[0]
    return (top.named >= RESCUE_NAMED and top.coverage >= SUGGEST_COVERAGE
            and all(top.named >= NAMED_LEAD * h.named for h in hits[1:]))


def _same_name(name: str) -> str:
    """A name without its parenthetical remark, folded: "Cấp đổi thẻ BHYT (thực hiện tại cấp tỉnh)" and "… (tại cấp
    trung ương)" are the same procedure for a citizen."""
    return fold(re.sub(r"\([^()]*\)", " ", name))


def _prefer_exact_alias(kb: Searcher, link: Link, mentions: Sequence[str]) -> Link:
    """"tạm trú" is the alias of one procedure even if three names contain the words: the citizen named that one."""
    wanted = {fold(m) for m in mentions}
    exact = []
    for hit in link.candidates:
        card = kb.card(hit.code)
        names = {fold(card.name), *(fold(a) for a in card.aliases + card.colloquial)} if card else set()
        if names & wanted:
            exact.append(hit.code)
    return Link(FOUND, exact[0]) if len(exact) == 1 else link


def decided_codes(link: Link) -> set[str]:
    return {hit.code for hit in link.candidates}


def _decide_by_score(hits: Sequence[SearchHit], min_score: float) -> Link:
    if not hits or hits[0].score < min_score:
        return Link(NONE)
    best = hits[0].score
    close = tuple(hit for hit in hits if hit.score >= best * CLOSE_RATIO)
    if len(close) == 1:
        return Link(FOUND, hits[0].code)
    return Link(AMBIGUOUS, None, close[:MAX_CANDIDATES])
