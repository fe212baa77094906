"""Review decisions: stored per group, replaced on a second review, undone, audited; codes must exist."""
from __future__ import annotations

import pytest

from base.audit import AuditLog
from base.db import get_engine
from analytics.misses import group_id, question_key
from review.store import ReviewError


def test_a_decision_is_stored_with_its_texts_and_audited(review_store, database_url):
    review = review_store.decide(["làm giấy độc thân để cưới vợ", "lam giay doc than de cuoi vo"], "minh",
                                 code="1.004873", facet="documents")
    assert review.group_key == question_key("làm giấy độc thân để cưới vợ")
    assert review.texts == ("làm giấy độc thân để cưới vợ", "lam giay doc than de cuoi vo")
    assert (review.procedure_code, review.facet, review.reviewer, review.out_of_scope) == \
        ("1.004873", "documents", "minh", False)
    [entry] = AuditLog(get_engine(database_url)).entries(action="review")
    assert (entry.actor, entry.target, entry.detail) == ("minh", f"miss:{review.group_id}", "1.004873 documents")


def test_reviewing_again_replaces_and_undo_removes(review_store, database_url):
    first = review_store.decide(["xin giấy ra ở riêng"], "minh", code="1.010038", facet="overview")
    again = review_store.decide(["xin giấy ra ở riêng"], "an", out_of_scope=True)
    assert again.group_key == first.group_key
    [stored] = review_store.reviews()
    assert stored.out_of_scope and stored.procedure_code is None and stored.reviewer == "an"
    assert review_store.undo(group_id(first.group_key), "an") is True
    assert review_store.reviews() == []
    assert review_store.undo(first.group_key, "an") is False
    actions = [e.action for e in AuditLog(get_engine(database_url)).entries()]
    assert actions == ["review_undo", "review", "review"]


@pytest.mark.parametrize("kwargs, message", [
    ({"code": "9.999999", "facet": "fee"}, "Không có thủ tục mã 9.999999"),
    ({"code": "1.004873", "facet": "weather"}, "Khía cạnh không hợp lệ"),
    ({"code": "", "facet": "fee"}, "Vui lòng chọn thủ tục"),
])
def test_a_decision_needs_a_known_procedure_and_a_bot_facet(review_store, kwargs, message):
    with pytest.raises(ReviewError, match=message):
        review_store.decide(["câu hỏi bất kỳ"], "minh", **kwargs)
    assert review_store.reviews() == []
