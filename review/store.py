"""Review decisions: per group of unanswered questions, the procedure and facet an operator chose, or "out of scope".

Reviewing a group again replaces its decision; `undo` removes it. Each change is written to the audit log
(base/audit.py) under the operator's name. The texts the operator saw are stored with the decision (masked, as
they came from the conversation store): the export writes exactly those, never texts that arrived afterwards.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Callable, Optional, Protocol, Sequence

from sqlalchemy import delete, select
from sqlalchemy.engine import Engine

from base.audit import AuditLog
from knowledge.facets import FACETS
from analytics.misses import group_id, question_key
from review.models import DECISION_OUT_OF_SCOPE, DECISION_PROCEDURE, ReviewRow

OVERVIEW = "overview"  # the general question about a procedure (intent ask_procedure)
REVIEW_FACETS: tuple[str, ...] = (OVERVIEW, *FACETS)
MAX_TEXTS = 10


class ReviewError(ValueError):
    """A decision that cannot be stored; the message is for the operator (Vietnamese)."""


class Catalogue(Protocol):
    def card(self, code: str): ...


@dataclass(frozen=True)
class Review:
    group_key: str
    texts: tuple[str, ...]
    decision: str  # procedure | out_of_scope
    procedure_code: Optional[str]
    facet: Optional[str]
    reviewer: str
    reviewed_at: datetime

    @property
    def group_id(self) -> str:
        return group_id(self.group_key)

    @property
    def out_of_scope(self) -> bool:
        return self.decision == DECISION_OUT_OF_SCOPE


class ReviewStore:
    def __init__(self, engine: Engine, catalogue: Catalogue, audit: Optional[AuditLog] = None,
                 clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc)) -> None:
        from base.db import migrate, session_factory

        migrate(engine=engine)
        self._sessions = session_factory(engine)
        self._catalogue = catalogue
        self._audit = audit or AuditLog(engine)
        self._clock = clock

    @classmethod
    def from_settings(cls) -> "ReviewStore":
        from base.db import get_engine
        from knowledge.api import KnowledgeBase

        engine = get_engine()
        return cls(engine, KnowledgeBase(engine))

    def decide(self, texts: Sequence[str], reviewer: str, *, code: Optional[str] = None, facet: Optional[str] = None,
               out_of_scope: bool = False) -> Review:
        """Store (or replace) the decision on the group of `texts` (its first text names the group)."""
        cleaned = _clean_texts(texts)
        if not cleaned:
            raise ReviewError("Không có câu hỏi nào để rà soát.")
        key = question_key(cleaned[0])
        if out_of_scope:
            code, facet, decision = None, None, DECISION_OUT_OF_SCOPE
        else:
            code = (code or "").strip()
            facet = (facet or OVERVIEW).strip()
            if not code:
                raise ReviewError("Vui lòng chọn thủ tục (hoặc chọn «ngoài phạm vi»).")
            if facet not in REVIEW_FACETS:
                raise ReviewError(f"Khía cạnh không hợp lệ: {facet}.")
            card = self._catalogue.card(code)
            if card is None:
                raise ReviewError(f"Không có thủ tục mã {code} trong cơ sở dữ liệu thủ tục.")
            if getattr(card, "status", "curated") != "curated":
                raise ReviewError(f"Thủ tục mã {code} chưa được biên soạn (chỉ có trong danh mục nhập): "
                                  "chỉ chọn thủ tục đã biên soạn.")
            decision = DECISION_PROCEDURE
        now = self._clock()
        with self._sessions.begin() as session:
            row = session.execute(select(ReviewRow).where(ReviewRow.group_key == key)).scalar_one_or_none()
            if row is None:
                row = ReviewRow(group_key=key)
                session.add(row)
            row.texts = json.dumps(list(cleaned), ensure_ascii=False)
            row.decision, row.procedure_code, row.facet = decision, code, facet
            row.reviewer, row.reviewed_at = reviewer[:80], now
            session.flush()
            review = _review(row)
        self._audit.record(reviewer, "review", f"miss:{review.group_id}",
                           "ngoài phạm vi" if out_of_scope else f"{code} {facet}", at=now)
        return review

    def undo(self, key: str, reviewer: str) -> bool:
        """Remove the decision on the group `key` (a group key or a group id); False when there was none."""
        with self._sessions.begin() as session:
            row = self._find(session, key)
            if row is None:
                return False
            gid = group_id(row.group_key)
            session.execute(delete(ReviewRow).where(ReviewRow.id == row.id))
        self._audit.record(reviewer, "review_undo", f"miss:{gid}")
        return True

    def get(self, key: str) -> Optional[Review]:
        with self._sessions() as session:
            row = self._find(session, key)
            return _review(row) if row is not None else None

    def reviews(self) -> list[Review]:
        """Every decision, in group-key order (the export's order)."""
        with self._sessions() as session:
            rows = session.execute(select(ReviewRow).order_by(ReviewRow.group_key)).scalars().all()
            return [_review(row) for row in rows]

    @staticmethod
    def _find(session, key: str) -> Optional[ReviewRow]:
        row = session.execute(select(ReviewRow).where(ReviewRow.group_key == key)).scalar_one_or_none()
        if row is not None:
            return row
        for candidate in session.execute(select(ReviewRow)).scalars():  # by id: the table holds reviews, not traffic
            if group_id(candidate.group_key) == key:
                return candidate
        return None


def _clean_texts(texts: Sequence[str]) -> tuple[str, ...]:
    """Distinct, trimmed, single-spaced texts, at most MAX_TEXTS, order kept. Stored as the operator saw them (masked
    by the conversation store); the export refuses any that still looks like personal data."""
    seen, result = set(), []
    for text in texts:
        if not isinstance(text, str):
            continue
        cleaned = " ".join(text.split())[:300]
        if cleaned and cleaned not in seen:
            seen.add(cleaned)
            result.append(cleaned)
    return tuple(result[:MAX_TEXTS])


def _review(row: ReviewRow) -> Review:
    return Review(row.group_key, tuple(json.loads(row.texts)), row.decision, row.procedure_code, row.facet,
                  row.reviewer, row.reviewed_at)
