"""Facet cues (knowledge/facets.py) and the intent override of bot/nlu/facet_cues.py, tested without a model."""
from __future__ import annotations

import pytest

from actions import templates as T
from bot.nlu.facet_cues import FACET_BY_INTENT, INTENT_BY_FACET, decide, rerank
from knowledge.facets import answer_facet, asked_facet, facet_cues


@pytest.mark.parametrize(
    "text, facet",
    [
        ("đăng ký kết hôn làm thế nào", "steps"),
        ("dang ky ket hon lam sao", "steps"),
        ("thủ tục tách hộ thế nào", "steps"),
        ("các bước làm sổ đỏ lần đầu", "steps"),
        ("xin bản sao giấy khai sinh thì ra sao", "steps"),
        ("làm khai sinh ntn", "steps"),
        ("làm khai sinh cần giấy tờ gì", "documents"),
        ("đăng ký tạm trú cần mang những gì", "documents"),
        ("lệ phí kết hôn bao nhiêu", "fee"),
        ("lam khai sinh mat bn tien", "fee"),
        ("có mất phí không", "fee"),
        ("mấy ngày thì có giấy", "time"),
        ("nộp ở đâu", "where"),
        ("có làm online được không", "online"),
        ("điều kiện thế nào", "conditions"),  # a facet noun beats the bare "thế nào"
        ("căn cứ pháp lý là văn bản nào", "legal_basis"),
        ("làm xong thì nhận được giấy gì", "result"),
        ("giấy xác nhận cư trú có giá trị trong bao lâu", "result"),  # validity, not the processing time
        # the last strong cue is what is asked
        ("người lớn đã có giấy tờ cá nhân mà chưa có khai sinh thì đăng ký ở đâu", "where"),
        ("vợ chồng mình hộ khẩu ở Thanh Hóa, bé sinh ở Sài Gòn, giờ làm khai sinh thì nộp ở đâu", "where"),
        ("xin chào", None),
    ],
)
def test_asked_facet(text, facet):
    assert asked_facet(text) == facet


def test_the_classifiers_facet_is_kept_when_the_cues_allow_it():
    # "mất bao lâu, nộp ở đâu" asks two facets: the classifier may pick either
    assert asked_facet("mất bao lâu, nộp ở đâu", current="time") == "time"
    assert asked_facet("mất bao lâu, nộp ở đâu", current="fee") == "where"
    assert asked_facet("đăng ký kết hôn được không", current="conditions") == "conditions"
    assert asked_facet("làm khai sinh thế nào", current="documents") == "steps"


def test_cues_inside_a_procedure_mention_are_not_questions():
    text = "đăng ký xe lần đầu trực tuyến toàn trình thì làm thế nào"
    assert asked_facet(text) == "steps"  # "trực tuyến toàn trình" names the procedure
    mention = "điều chỉnh thời hạn dự án"
    text = f"{mention} nộp ở đâu"
    assert facet_cues(text, [(0, len(mention))]).strong_facets == {"where"}
    assert asked_facet("người lớn tuổi chưa đăng ký khai sinh bao giờ, làm thủ tục thế nào") == "steps"


def test_intent_table_matches_the_actions():
    assert {intent: facet for intent, facet in T.FACET_BY_INTENT.items() if facet != "overview"} == FACET_BY_INTENT
    assert set(INTENT_BY_FACET) == set(T.FACETS)


def test_the_answered_facet_follows_the_words_of_the_question():
    assert answer_facet("làm căn cước cho bé thì bố mẹ làm thủ tục thế nào", "overview") == "steps"
    assert answer_facet("đăng ký hộ kinh doanh các bước ra sao", "documents") == "steps"
    assert answer_facet("khai sinh cho bé", "documents") == "documents"  # no cue: the classifier's facet
    # a bare "được không?" does not turn a general question into conditions
    assert answer_facet("đăng ký kết hôn được không", "overview") == "overview"
    assert answer_facet('/ask_fee{"procedure": "1.001193"}', "fee") == "fee"  # a button says its facet


def test_a_confident_procedure_intent_is_left_to_the_action():
    assert decide("ask_procedure", 0.97, [], "làm căn cước cho bé thì bố mẹ làm thủ tục thế nào", [], 0.3) is None


def test_an_unsure_procedure_question_gets_the_facet_its_words_ask():
    assert decide("ask_documents", 0.25, [], "đăng ký hộ kinh doanh nộp ở đâu", [], 0.3) == "ask_where_to_submit"
    assert decide("ask_fee", 0.25, [], "lệ phí bao nhiêu", [], 0.3) == "ask_fee"
    assert decide("ask_fee", 0.25, [], "ừm", [], 0.3) is None


def test_out_of_scope_is_overruled_only_with_a_procedure_mention():
    text = "xin giấy xác nhận độc thân để nộp cho công ty thì cần gì"
    mention = [(text.index("giấy"), text.index("độc thân") + len("độc thân"))]
    assert decide("out_of_scope", 0.9, [], text, mention, 0.3) == "ask_documents"
    assert decide("out_of_scope", 0.9, [], "vay tiền ngân hàng cần giấy tờ gì", [], 0.3) is None
    ranking = [{"name": "out_of_scope", "confidence": 0.9}, {"name": "ask_fee", "confidence": 0.05}]
    assert decide("out_of_scope", 0.9, ranking, "giấy độc thân", [(0, 13)], 0.3) == "ask_fee"
    assert decide("out_of_scope", 0.9, [], "giấy độc thân", [(0, 13)], 0.3) == "ask_procedure"


def test_other_intents_are_never_touched():
    for intent in ("check_dossier_status", "ask_office_hours", "greet", "request_human"):
        assert decide(intent, 0.9, [], "hồ sơ khai sinh nộp ở đâu", [(6, 15)], 0.3) is None
    # unless the classifier was too unsure to answer and the message names a procedure
    assert decide("greet", 0.2, [], "khai sinh nộp ở đâu", [(0, 9)], 0.3) == "ask_where_to_submit"


def test_rerank_leaves_a_clear_winner_for_the_fallback_classifier():
    ranking = [{"name": "ask_procedure", "confidence": 0.97}, {"name": "ask_steps", "confidence": 0.02}]
    reranked = rerank(ranking, "ask_steps")
    assert reranked[0] == {"name": "ask_steps", "confidence": 1.0}
    assert [r["name"] for r in reranked] == ["ask_steps", "ask_procedure"]
    assert reranked[0]["confidence"] - reranked[1]["confidence"] > 0.05


def test_torn_between_two_procedure_intents_is_answered_not_asked_again():
    ranking = [{"name": "ask_documents", "confidence": 0.44}, {"name": "ask_procedure", "confidence": 0.42}]
    assert decide("ask_documents", 0.44, ranking, "đăng ký kết hôn ở Nhật rồi, về ghi vào sổ", [], 0.3) == "ask_documents"
    assert decide("ask_documents", 0.44, ranking, "ghi chú kết hôn nộp ở đâu", [], 0.3) == "ask_where_to_submit"
    torn_with_other = [{"name": "ask_documents", "confidence": 0.44}, {"name": "greet", "confidence": 0.42}]
    assert decide("ask_documents", 0.44, torn_with_other, "chào, khai sinh", [], 0.3) is None


def test_look_alike_words_typed_with_diacritics_are_not_cues():
    # "nhưng giấy tờ … mất" (but the papers … are lost) does not ask "những giấy tờ gì" (which papers)
    text = "có đăng ký nhưng giấy tờ và sổ đều mất, đăng ký lại thế nào"
    assert asked_facet(text) == "steps"
    assert asked_facet("can nhung giay to gi") == "documents"


def test_mention_spans_of_nfd_text_mask_the_right_words():
    import unicodedata

    text = unicodedata.normalize("NFD", "điều chỉnh thời hạn dự án nộp ở đâu")
    mention = unicodedata.normalize("NFD", "điều chỉnh thời hạn dự án")
    assert facet_cues(text, [(0, len(mention))]).strong_facets == {"where"}


def test_a_facet_question_naming_a_procedure_is_not_feedback():
    text = "sổ BHXH sai ngày sinh, điều chỉnh thông tin cần gì"
    mention = [(0, len("sổ BHXH"))]
    assert decide("feedback", 0.8, [], text, mention, 0.3) == "ask_documents"
    assert decide("feedback", 0.8, [], "thong tin cu tru sai que quan, dieu chinh can giay to gi", [], 0.3) == \
        "ask_documents"
    # without a strong facet cue feedback stays feedback, with or without a procedure mention
    assert decide("feedback", 0.8, [], "bạn trả lời sai rồi", [], 0.3) is None
    assert decide("feedback", 0.8, [], "sổ BHXH trả lời sai rồi thế nào vậy", mention, 0.3) is None
    assert decide("thank", 0.9, [], "cảm ơn ad nhiều", [], 0.3) is None


@pytest.mark.parametrize("text, classifier, facet", [
    # a clause that only tells the story does not ask its facet word
    ("hôm trước đã tự trả tiền viện phí, giờ đòi bảo hiểm hoàn lại thì cần gì", "fee", "documents"),
    ("đã nộp lệ phí rồi, bao lâu thì có", "fee", "time"),
    # a clause with a question word is a question of its own: the classifier's choice stands
    ("mất bao lâu, nộp ở đâu", "time", "time"),
    ("khai sinh cần gì, lệ phí bao nhiêu", "documents", "documents"),
    ("lệ phí làm khai sinh ở đâu", "fee", "fee"),
])
def test_facet_words_in_a_story_clause_do_not_hold_the_classifiers_facet(text, classifier, facet):
    assert asked_facet(text, current=classifier) == facet
