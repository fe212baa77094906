"""The review warning appears only beside the facets an open flag concerns, and says what is uncertain."""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from actions import answers
from actions.answers import AnswerContext
from knowledge.types import ReviewFlag

OPEN_FEE = ReviewFlag(note="Chưa rõ mức thu khi đăng ký quá hạn", facets=("fee",), status="open",
                      reason="Mức thu do HĐND tỉnh quyết định")
RESOLVED_TIME = ReviewFlag(note='Bảng thời hạn ghi "1" không kèm đơn vị', facets=("time",), status="resolved",
                           resolution="Trong ngày làm việc", basis="Khoản 1 Điều 16 Luật Hộ tịch 60/2014/QH13")


def _text(card, facet, kb) -> str:
    ward = kb.ward()
    context = AnswerContext(sites=kb.sites_for(card.code, ward), ward=ward, now=datetime(2026, 11, 24, 9, 0))
    return "\n".join(answers.render(facet, card, context))


def test_warning_only_for_the_facet_of_an_open_flag(loaded_kb):
    card = replace(loaded_kb.card(loaded_kb.codes(status="curated")[0]), review_flags=(OPEN_FEE, RESOLVED_TIME))
    fee = _text(card, "fee", loaded_kb)
    assert "⚠️" in fee and "Chưa rõ mức thu khi đăng ký quá hạn" in fee
    for facet in ("time", "documents", "steps", "where"):
        assert "⚠️" not in _text(card, facet, loaded_kb), facet  # resolved or unrelated: no hedge
    assert "Chưa rõ mức thu" in _text(card, "overview", loaded_kb)


def test_no_flags_no_warning(loaded_kb):
    card = replace(loaded_kb.card(loaded_kb.codes(status="curated")[0]), review_flags=(RESOLVED_TIME,))
    assert all("⚠️" not in _text(card, facet, loaded_kb) for facet in ("overview", "fee", "time", "documents"))
