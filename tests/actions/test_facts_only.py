"""Every number in an answer (fee, time limit, quantity, date, legal reference) comes from the knowledge base."""
from __future__ import annotations

import json
import re
from datetime import datetime

import pytest

from actions import answers
from actions.answers import AnswerContext
from knowledge.types import to_jsonable

NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
ENUMERATOR = re.compile(r"^\d+\. ", re.MULTILINE)  # list numbering is presentation, not a fact
FACETS = ("overview", "documents", "fee", "time", "where", "online", "steps", "result", "legal_basis", "conditions")
OPEN_MOMENT = datetime(2026, 11, 24, 9, 0)  # office hours: no computed "opens again" times in the answer


def numbers(text: str) -> set[int]:
    """Numbers as values: "50.000" and 50000 are the same fact; "07" and 7 too."""
    found = set()
    for match in NUMBER.findall(text):
        if re.fullmatch(r"\d{1,3}(?:\.\d{3})+", match):  # Vietnamese thousands separators
            found.add(int(match.replace(".", "")))
        else:
            found.update(int(part) for part in re.split(r"[.,]", match) if part)
    return found


def test_no_reply_contains_a_number_the_data_does_not_hold(loaded_kb):
    kb = loaded_kb
    codes = kb.codes(status="curated")
    assert len(codes) >= 10
    ward = kb.ward()
    ward_numbers = numbers(json.dumps(to_jsonable(ward), ensure_ascii=False))
    checked = 0
    for code in codes:
        card = kb.card(code)
        allowed = numbers(json.dumps(to_jsonable(card), ensure_ascii=False)) | ward_numbers
        context = AnswerContext(sites=kb.sites_for(code, ward), ward=ward, now=OPEN_MOMENT)
        for facet in FACETS:
            reply = ENUMERATOR.sub("", "\n".join(answers.render(facet, card, context)))
            invented = numbers(reply) - allowed
            assert not invented, f"{code} {facet}: numbers {sorted(invented)} are not in the knowledge base\n{reply}"
            checked += 1
    assert checked == len(codes) * len(FACETS)


def test_province_set_fees_are_never_turned_into_numbers(loaded_kb):
    kb = loaded_kb
    province_cards = [c for c in map(kb.card, kb.codes(status="curated"))
                      if any(ch.fee.kind == "province" and not ch.fee.amount for ch in c.channels)]
    assert province_cards, "the shipped data has province-set fees (e.g. land procedures)"
    context = AnswerContext(sites=(), ward=None, now=OPEN_MOMENT)
    for card in province_cards:
        reply = "\n".join(answers.render("fee", card, context))
        assert "o Hội đồng nhân dân tỉnh quy định" in reply
        assert "hỏi Trung tâm" in reply


@pytest.mark.parametrize("limit", [200, 1800])
def test_long_answers_are_split_within_the_limit(limit):
    lines = [f"{i}. " + "giấy tờ " * 30 for i in range(40)] + ["x" * (limit * 2)]
    parts = answers.split_messages(lines, limit=limit)
    assert all(0 < len(p) <= limit for p in parts)
    assert "".join(parts).replace("\n", "").replace(" ", "") == "".join(lines).replace(" ", "")
