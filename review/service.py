"""What the review page and the CLI show: the groups of unanswered questions with their review state.

The questions and their groups are the dashboard's (analytics/misses.py: one definition of "unanswered", one
grouping); this module only pairs each group with the operator's decision.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Optional

from sqlalchemy.engine import Engine

from analytics.misses import MissGroup, question_key, unanswered_groups
from analytics.scan_cache import ScanCache
from review.store import Review, ReviewStore


@dataclass(frozen=True)
class GroupView:
    id: str
    key: str
    count: int
    example: str
    texts: tuple[str, ...]
    reasons: dict[str, int]
    last_seen: Optional[float]
    review: Optional[Review]

    def as_json(self, names: dict[str, str]) -> dict[str, Any]:
        review = None
        if self.review is not None:
            r = self.review
            review = {"out_of_scope": r.out_of_scope, "code": r.procedure_code, "facet": r.facet,
                      "name": names.get(r.procedure_code or ""), "reviewer": r.reviewer,
                      "reviewed_at": r.reviewed_at.astimezone(timezone.utc).isoformat()}
        last = (datetime.fromtimestamp(self.last_seen, timezone.utc).isoformat()
                if self.last_seen is not None else None)
        return {"id": self.id, "count": self.count, "example": self.example, "texts": list(self.texts),
                "reasons": self.reasons, "last_seen": last, "review": review}


def group_views(tracker_engine: Engine, store: ReviewStore, scans: Optional[ScanCache] = None) -> list[GroupView]:
    """Every group of unanswered questions (most frequent first), each with its decision if it has one; reviewed
    groups whose questions are no longer stored (purged) are listed after them, so a decision can still be undone.
    The pass over the stored events is kept in `scans` (a cache over `tracker_engine`) while no event changes."""
    reviews = store.reviews()
    by_key: dict[str, Review] = {}
    for review in reviews:
        for text in review.texts:
            by_key.setdefault(question_key(text), review)
        by_key[review.group_key] = review
    views, shown = [], set()
    scan = lambda: unanswered_groups(tracker_engine)  # noqa: E731
    groups = scans.get(("unanswered", None), scan) if scans is not None else scan()
    for group in groups:
        review = by_key.get(group.key) or next((by_key[k] for k in map(question_key, group.examples) if k in by_key),
                                               None)
        views.append(_view(group, review))
        if review is not None:
            shown.add(review.group_key)
    for review in reviews:
        if review.group_key not in shown:
            views.append(GroupView(review.group_id, review.group_key, 0, review.texts[0], review.texts, {}, None, review))
    return views


def _view(group: MissGroup, review: Optional[Review]) -> GroupView:
    if review is not None and review.group_key != group.key:
        # the group is reviewed under the key of its first reviewed text: keep ids stable for the page
        return GroupView(review.group_id, review.group_key, group.count, group.text, group.examples,
                         dict(group.reasons), group.last_seen, review)
    return GroupView(group.id, group.key, group.count, group.text, group.examples, dict(group.reasons),
                     group.last_seen, review)
