"""Linking a message to a procedure: the whole message is searched, coverage decides, ties are asked about."""
from __future__ import annotations

import pytest

from actions import linking
from actions.linking import AMBIGUOUS, CONTEXT, FOUND, NONE, decide_hits, link_procedure, named_procedure
from knowledge.types import SearchHit


def hit(code: str, score: float, coverage: float, matched=("a",), status="curated", level="Cấp xã") -> SearchHit:
    return SearchHit(code=code, name=code, score=score, status=status, coverage=coverage, level=level,
                     matched=frozenset(matched))


def test_a_hit_that_covers_one_of_its_names_is_found_whatever_the_score():
    assert decide_hits([hit("1", 0.12, 1.0), hit("2", 0.10, 0.3)]) == linking.Link(FOUND, "1")


def test_little_coverage_offers_candidates_or_nothing():
    assert decide_hits([hit("1", 0.3, 0.1)]).kind == NONE
    assert decide_hits([hit("1", 0.3, 0.25), hit("2", 0.29, 0.22)]).kind == AMBIGUOUS
    # a mention found by the NLU lowers the bar a little
    assert decide_hits([hit("1", 0.3, 0.27)], has_mention=True).kind == FOUND


def test_a_strong_score_with_some_coverage_is_found():
    assert decide_hits([hit("1", 0.5, 0.2), hit("2", 0.25, 0.6)]).kind == FOUND
    assert decide_hits([hit("1", 0.5, 0.05)]).kind == NONE  # a bare facet word ("giấy tờ") names nothing


def test_a_tie_is_a_runner_up_as_good_that_explains_every_word_the_best_one_does():
    tied = decide_hits([hit("1", 0.60, 0.5, ("dang", "ki", "lai")), hit("2", 0.59, 0.4, ("dang", "ki", "lai"))])
    assert tied.kind == AMBIGUOUS and [h.code for h in tied.candidates] == ["1", "2"]
    # the best one explains a word the runner-up does not: it wins
    assert decide_hits([hit("1", 0.60, 0.5, ("khai", "tu", "lai")), hit("2", 0.59, 0.4, ("lai",))]).kind == FOUND


@pytest.fixture(autouse=True)
def _kb(loaded_kb):
    return loaded_kb


@pytest.mark.parametrize(
    "text, code",
    [
        # the examples of variants answered with their base procedure
        ("khai sinh ghi sai ngày sinh muốn sửa lại", "1.004859"),
        ("làm mất bản chính giấy khai sinh thì xin lại ở đâu", "2.000635"),
        ("sổ hồng in sai tên đường muốn đính chính", "1.012796"),
        ("hộ kinh doanh muốn nghỉ tạm 3 tháng", "1.001570"),
        # and their base procedures
        ("làm khai sinh cho con cần gì", "1.001193"),
        ("đăng ký tạm trú cho người thuê trọ", "1.004194"),
        # colloquial names
        ("đi công chứng bằng đại học", "2.000815"),
        ("nhập khẩu cho vợ về nhà chồng", "1.004222"),
        ("làm sổ lần đầu cho mảnh đất của bố mẹ", "1.013978"),
        # context words that are not the procedure
        ("xin giấy xác nhận độc thân để nộp cho công ty", "1.004873"),
    ],
)
def test_variants_colloquial_names_and_context_words(loaded_kb, text, code):
    link = link_procedure(loaded_kb, text, [], None)
    assert (link.kind, link.code) == (FOUND, code), link


def test_a_long_story_that_names_the_situation_is_found(loaded_kb):
    text = ("vợ chồng tôi quê ở tỉnh khác nhưng bé sinh ở bệnh viện thành phố, giờ về phường "
            "muốn làm giấy khai sinh cho bé thì nộp ở đâu")
    assert link_procedure(loaded_kb, text, ["giấy khai sinh"], None) == linking.Link(FOUND, "1.001193")


def test_a_bare_variant_word_is_a_question(loaded_kb):
    link = link_procedure(loaded_kb, "đăng ký lại", ["đăng ký lại"], None)
    assert link.kind == AMBIGUOUS and len(link.candidates) >= 2


def test_follow_ups_keep_the_context_unless_another_procedure_is_named(loaded_kb):
    assert link_procedure(loaded_kb, "còn lệ phí thì sao?", [], "1.000894") == linking.Link(CONTEXT, "1.000894")
    assert link_procedure(loaded_kb, "giấy tờ", [], "1.000894") == linking.Link(CONTEXT, "1.000894")
    switched = link_procedure(loaded_kb, "thế còn đăng ký tạm trú thì cần gì", ["đăng ký tạm trú"], "1.000894")
    assert switched == linking.Link(FOUND, "1.004194")


def test_a_button_payload_is_linked_by_its_entity(loaded_kb):
    assert link_procedure(loaded_kb, '/ask_fee{"procedure":"1.004873"}', ["1.004873"], None).code == "1.004873"
    assert link_procedure(loaded_kb, '/ask_fee{"procedure":"tạm trú"}', ["tạm trú"], None).code == "1.004194"


@pytest.mark.parametrize("text", ["lệ phí bao nhiêu", "cần giấy tờ gì", "thời tiết mai thế nào", "xyzzy"])
def test_no_procedure_named(loaded_kb, text):
    assert link_procedure(loaded_kb, text, [], None).kind == NONE
    assert named_procedure(loaded_kb, text) is None


def test_named_procedure_rescues_only_clear_commune_procedures(loaded_kb):
    assert named_procedure(loaded_kb, "vay ngân hàng cần giấy xác nhận tình trạng hôn nhân") == "1.004873"
    assert named_procedure(loaded_kb, "ngân hàng nào cho vay lãi thấp") is None


class FakeSearch:
    """A searcher that returns fixed hits: asked_procedure's rules without the index's numbers."""

    def __init__(self, hits: list[SearchHit]):
        self.hits = hits

    def search(self, text: str, limit: int = 5) -> list[SearchHit]:
        return self.hits[:limit]

    def card(self, code: str):
        return None


def named_hit(code: str, score: float, coverage: float, named: float, level: str = "Cấp xã",
              status: str = "curated") -> SearchHit:
    return SearchHit(code=code, name=code, score=score, status=status, coverage=coverage, level=level,
                     matched=frozenset({code}), named=named)


def test_a_facet_question_saying_much_of_one_commune_name_is_that_procedure():
    # below the near-whole naming that named_procedure needs, but many distinctive words of the name
    hits = [named_hit("1", 0.25, 0.45, 2.7), named_hit("2", 0.10, 0.2, 1.1)]
    assert named_procedure(FakeSearch(hits), "…") is None
    assert linking.asked_procedure(FakeSearch(hits), "…") == linking.Link(FOUND, "1")
    # imported catalogue entries the commune handles count too
    imported = [named_hit("1", 0.25, 0.45, 2.7, status="imported", level="Cấp tỉnh, Cấp xã")]
    assert linking.asked_procedure(FakeSearch(imported), "…").code == "1"


def test_generic_words_of_a_name_or_another_agencys_procedure_are_no_rescue():
    # "làm hộ chiếu" shares only "làm hộ" with "làm hộ khẩu": well covered by share, little said
    assert linking.asked_procedure(FakeSearch([named_hit("1", 0.25, 0.47, 0.7)]), "…").kind == NONE
    # a procedure of the province that the question names better
    hits = [named_hit("1", 0.20, 0.43, 2.1), named_hit("2", 0.19, 0.51, 2.1, level="Cấp tỉnh", status="imported")]
    assert linking.asked_procedure(FakeSearch(hits), "…").kind == NONE
    # not a commune procedure itself
    assert linking.asked_procedure(FakeSearch([named_hit("1", 0.3, 0.6, 4.0, level="Cấp bộ", status="imported")]), "…").kind == NONE
    # a button payload is not the citizen's words
    assert linking.asked_procedure(FakeSearch([named_hit("1", 0.3, 0.6, 4.0)]), "/ask_fee").kind == NONE


def test_a_close_rival_that_says_more_of_its_name_makes_the_rescue_a_question():
    hits = [named_hit("1", 0.124, 0.44, 2.2), named_hit("2", 0.100, 0.23, 2.6), named_hit("3", 0.05, 0.1, 4.0)]
    asked = linking.asked_procedure(FakeSearch(hits), "…")
    # "3" scores far below the best: no rival
    assert asked.kind == AMBIGUOUS and [h.code for h in asked.candidates] == ["1", "2"]


def test_asked_procedure_on_the_shipped_data(loaded_kb):
    text = "tôi tham gia chữa cháy cứu nạn ở thôn thì bị thương, xin hỗ trợ cần những giấy tờ gì"
    assert linking.asked_procedure(loaded_kb, text).code == "3.000509"
    for text in ("làm hộ chiếu mất bao lâu", "cần giấy tờ gì để mở tài khoản ngân hàng", "thời tiết mai thế nào"):
        assert linking.asked_procedure(loaded_kb, text).kind == NONE, text


def test_a_rescue_needs_the_coverage_of_a_found_procedure_not_only_a_clear_score():
    hits = [named_hit("1", 0.40, 0.19, 3.0), named_hit("2", 0.10, 0.1, 1.0)]
    assert decide_hits(hits).kind == FOUND  # enough for a question the classifier took for a procedure question
    assert linking.asked_procedure(FakeSearch(hits), "…").kind == NONE


def test_a_question_that_says_far_more_of_one_name_than_of_any_other_is_no_tie():
    # a long question dilutes coverage below FOUND_COVERAGE and the scores are close …
    close = [named_hit("1", 0.27, 0.22, 4.7), named_hit("2", 0.23, 0.23, 2.9), named_hit("3", 0.22, 0.22, 1.8)]
    assert decide_hits(close) == linking.Link(FOUND, "1")  # … but it says 4.7 of one name, at most 2.9 of another
    # without that lead (or with little said) the candidates stay a question
    even = [named_hit("1", 0.27, 0.22, 4.7), named_hit("2", 0.23, 0.23, 3.5)]
    assert decide_hits(even).kind == AMBIGUOUS
    little = [named_hit("1", 0.27, 0.22, 1.9), named_hit("2", 0.23, 0.23, 0.5)]
    assert decide_hits(little).kind == AMBIGUOUS
    # and it rescues a question the classifier refused: the lead stands in for coverage
    assert linking.asked_procedure(FakeSearch(close), "…") == linking.Link(FOUND, "1")


def test_among_close_candidates_the_one_named_whole_is_found():
    # the best score comes from the story's words; a candidate scoring nearly as well is named whole
    hits = [hit("1", 0.112, 0.23), hit("2", 0.105, 1.0), hit("3", 0.075, 0.1)]
    assert decide_hits(hits) == linking.Link(FOUND, "2")
    # two candidates named whole stay a question, and one far below the best is no reason to switch
    assert decide_hits([hit("1", 0.112, 0.23), hit("2", 0.105, 1.0), hit("3", 0.100, 0.8)]).kind == AMBIGUOUS
    assert decide_hits([hit("1", 0.112, 0.23), hit("2", 0.080, 1.0)]).kind == AMBIGUOUS


def test_a_tie_is_broken_by_a_name_said_far_more():
    # scores within 5 % and the runner-up explains every word the best one does: a tie …
    tied = [named_hit("1", 0.399, 1.0, 2.9), named_hit("2", 0.396, 0.64, 4.4)]
    tied = [SearchHit(**{**h.__dict__, "matched": frozenset({"a", "b"})}) for h in tied]
    # … unless the question says 1.5 times as much of one name as of the other's
    assert decide_hits(tied) == linking.Link(FOUND, "2")
    even = [SearchHit(**{**h.__dict__, "named": 3.5}) if h.code == "1" else h for h in tied]
    assert decide_hits(even).kind == AMBIGUOUS


class CountingSearch:
    """The shipped index, counting the searches a rescue makes."""

    def __init__(self, kb):
        self.kb, self.calls = kb, 0

    def search(self, text, limit=5):
        self.calls += 1
        return self.kb.search(text, limit)

    def card(self, code):
        return self.kb.card(code)


def test_a_rescue_searches_once_and_agrees_with_both_rules(loaded_kb):
    for text, asks in (("vay ngân hàng cần giấy xác nhận tình trạng hôn nhân", True),
                       ("ngân hàng nào cho vay lãi thấp", True), ("làm hộ chiếu mất bao lâu", True),
                       ("vay ngân hàng cần giấy xác nhận tình trạng hôn nhân", False)):
        counting = CountingSearch(loaded_kb)
        rescued = linking.rescued_procedure(counting, text, asks_facet=asks)
        assert counting.calls == 1
        named = named_procedure(loaded_kb, text)
        expected = linking.Link(FOUND, named) if named else (
            linking.asked_procedure(loaded_kb, text) if asks else linking.Link(NONE))
        assert rescued == expected
