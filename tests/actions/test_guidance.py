"""Procedure answers: the right procedure, the asked facet, context, clarifying questions, source lines."""
from __future__ import annotations

import json

import pytest
from freezegun import freeze_time

from actions import templates as T
from actions.guidance import (
    ActionAnswerProcedure,
    ActionClarify,
    ActionGreet,
    ActionOfficeHours,
    ActionRecordFeedback,
    ActionResetProcedure,
)
from tests.actions.conftest import all_text, make_tracker, run_action, slot_events

WEEKDAY_MORNING = "2026-11-24 09:00:00"  # Tuesday, local time (freezegun's clock is UTC: see local())


def local(moment: str) -> str:
    """freezegun freezes UTC; the ward is UTC+7."""
    from datetime import datetime, timedelta

    return (datetime.fromisoformat(moment) - timedelta(hours=7)).isoformat()


def mention(value: str) -> list[dict]:
    return [{"entity": "procedure", "value": value, "start": 0, "end": len(value)}]


@pytest.fixture(autouse=True)
def _kb(loaded_kb):
    return loaded_kb


@freeze_time(local(WEEKDAY_MORNING))
def test_documents_answer_names_procedure_code_source_and_offers_facets():
    messages, events = run_action(
        ActionAnswerProcedure(), make_tracker("làm giấy khai sinh cần gì", "ask_documents", mention("khai sinh"))
    )
    text = all_text(messages)
    assert text.startswith("Đăng ký khai sinh (mã 1.001193)")
    assert "Giấy tờ phải nộp" in text
    assert "Nguồn: 163/QĐ-BTP, rà soát ngày" in messages[-1]["text"]
    titles = [b["title"] for b in messages[-1]["buttons"]]
    assert T.FACET_BUTTON["fee"] in titles and T.FACET_BUTTON["documents"] not in titles
    assert "👍 Hữu ích" in titles and len(titles) <= 5
    assert slot_events(events)["procedure_code"] == "1.001193"


@freeze_time(local(WEEKDAY_MORNING))
def test_follow_up_without_procedure_keeps_context():
    tracker = make_tracker("còn lệ phí thì sao?", "ask_fee", slots={"procedure_code": "1.000894"})
    messages, events = run_action(ActionAnswerProcedure(), tracker)
    assert all_text(messages).startswith("Đăng ký kết hôn (mã 1.000894)")
    assert T.FEE_INTRO in all_text(messages)
    assert slot_events(events)["last_facet"] == "fee"


@freeze_time(local(WEEKDAY_MORNING))
def test_new_procedure_replaces_context():
    tracker = make_tracker("thế còn đăng ký tạm trú thì cần gì", "ask_documents", mention("đăng ký tạm trú"),
                           slots={"procedure_code": "1.000894"})
    messages, events = run_action(ActionAnswerProcedure(), tracker)
    assert slot_events(events)["procedure_code"] == "1.004194"
    assert "(mã 1.004194)" in messages[0]["text"]


def test_button_payload_with_code_answers_that_procedure():
    tracker = make_tracker('/ask_fee{"procedure":"1.004873"}', "ask_fee", mention("1.004873"))
    messages, events = run_action(ActionAnswerProcedure(), tracker)
    assert "(mã 1.004873)" in messages[0]["text"]


def test_ambiguous_question_asks_with_candidate_buttons():
    tracker = make_tracker("đăng ký lại", "ask_documents", mention("đăng ký lại"))
    messages, events = run_action(ActionAnswerProcedure(), tracker)
    assert messages[0]["text"] == T.ASK_WHICH
    buttons = messages[0]["buttons"]
    assert 2 <= len(buttons) <= 5
    codes = [json.loads(b["payload"].split("{", 1)[1].join("{}") if False else "{" + b["payload"].split("{", 1)[1])["procedure"] for b in buttons]
    assert len(set(codes)) == len(codes)
    assert all(b["payload"].startswith("/ask_documents") for b in buttons)
    assert "procedure_code" not in slot_events(events)


def test_unknown_procedure_offers_menu_then_clerk_on_second_miss():
    first, events = run_action(ActionAnswerProcedure(), make_tracker("xyzzy quux", "ask_procedure"))
    assert first[0]["text"] == T.NOT_FOUND
    assert first[0]["buttons"], "a menu of common procedures"
    misses = slot_events(events)["miss_count"]
    second, _ = run_action(ActionAnswerProcedure(), make_tracker("xyzzy quux", "ask_procedure", slots={"miss_count": misses}))
    assert second[0]["text"] == T.MENU_AFTER_MISSES
    assert any(b["payload"] == "/request_human" for b in second[0]["buttons"])


def test_facet_question_without_any_procedure_asks_which():
    messages, _ = run_action(ActionAnswerProcedure(), make_tracker("lệ phí bao nhiêu", "ask_fee"))
    assert messages[0]["text"] == T.ASK_PROCEDURE_FIRST


def test_clarify_offers_top_interpretations_then_menu():
    ranking = [{"name": "ask_fee", "confidence": 0.2}, {"name": "ask_documents", "confidence": 0.18},
               {"name": "greet", "confidence": 0.1}]
    messages, events = run_action(ActionClarify(), make_tracker("phi giay to", "nlu_fallback", ranking=ranking))
    titles = [b["title"] for b in messages[0]["buttons"]]
    assert messages[0]["text"] == T.CLARIFY_INTRO
    assert titles[:2] == [T.INTENT_LABEL["ask_fee"], T.INTENT_LABEL["ask_documents"]]
    assert T.TALK_TO_CLERK in titles
    again, _ = run_action(ActionClarify(), make_tracker("??", "nlu_fallback", slots=slot_events(events)))
    assert again[0]["text"] == T.MENU_AFTER_MISSES


def test_reset_clears_context():
    messages, events = run_action(ActionResetProcedure(), make_tracker("hỏi thủ tục khác", "reset_procedure",
                                                                       slots={"procedure_code": "1.000894"}))
    assert slot_events(events)["procedure_code"] is None
    assert messages[0]["buttons"]


def test_greeting_offers_popular_procedures_from_ward_data():
    messages, _ = run_action(ActionGreet(), make_tracker("xin chào", "greet"))
    payloads = [b["payload"] for b in messages[0]["buttons"]]
    assert '/ask_procedure{"procedure": "1.001193"}' in payloads


def test_feedback_is_stored_with_procedure(loaded_kb):
    from actions import services

    tracker = make_tracker('/feedback{"feedback_value":"down"}', "feedback",
                           [{"entity": "feedback_value", "value": "down"}],
                           slots={"procedure_code": "1.001193", "last_facet": "fee"}, sender="fb-user")
    messages, _ = run_action(ActionRecordFeedback(), tracker)
    assert messages[0]["text"] == T.FEEDBACK_THANKS_DOWN
    assert services.conversation_store().feedback_counts()[("1.001193", "down")] >= 1


# ------------------------------------------------------------------------------------------- hours and visits


@pytest.mark.parametrize(
    "moment, expected",
    [
        ("2026-11-24 09:00:00", "đang mở cửa đến 11:30"),  # Tuesday morning
        ("2026-11-24 12:15:00", "đang nghỉ trưa; mở cửa lại lúc 13:30 Thứ Ba, 24/11/2026"),
        ("2026-11-28 09:00:00", "đang mở cửa đến 11:30"),  # Saturday morning, main site
        ("2026-11-28 14:00:00", "đã hết giờ làm việc; mở cửa lại lúc 07:30 Thứ Hai, 30/11/2026"),
        ("2026-12-31 09:00:00", "nghỉ lễ (Nghỉ bù thử); mở cửa lại lúc 07:30 Thứ Bảy, 02/01/2027"),
        ("2026-12-03 14:00:00", "tạm nghỉ (Bảo trì hệ thống); mở cửa lại lúc 07:30 Thứ Sáu, 04/12/2026"),
        ("2026-11-24 22:30:00", "đã hết giờ làm việc; mở cửa lại lúc 07:30 Thứ Tư, 25/11/2026"),
    ],
)
def test_office_hours_at_fixed_times(moment, expected):
    with freeze_time(local(moment)):
        messages, _ = run_action(ActionOfficeHours(), make_tracker("còn mở cửa không", "ask_office_hours"))
    text = all_text(messages)
    assert "Trụ sở chính" in text
    assert expected in text


def test_office_hours_for_procedure_in_context_show_its_site():
    with freeze_time(local(WEEKDAY_MORNING)):
        messages, _ = run_action(ActionOfficeHours(), make_tracker("mấy giờ mở cửa", "ask_office_hours",
                                                                   slots={"procedure_code": "1.004194"}))
    text = all_text(messages)
    assert "Công an phường" in text and "Trụ sở chính" not in text


def test_answer_implying_a_visit_after_hours_says_next_opening_and_online_option():
    with freeze_time(local("2026-11-24 21:00:00")):
        messages, _ = run_action(ActionAnswerProcedure(),
                                 make_tracker("nộp khai sinh ở đâu", "ask_where_to_submit", mention("khai sinh")))
    text = all_text(messages)
    assert "Trụ sở chính: Số 1 Đường Thử" in text
    assert "mở cửa lại lúc 07:30 Thứ Tư, 25/11/2026" in text
    assert "nộp trực tuyến ngay bây giờ" in text


def test_answer_during_hours_has_no_after_hours_notice():
    with freeze_time(local(WEEKDAY_MORNING)):
        messages, _ = run_action(ActionAnswerProcedure(),
                                 make_tracker("nộp khai sinh ở đâu", "ask_where_to_submit", mention("khai sinh")))
    assert "mở cửa lại" not in all_text(messages)


def test_out_of_scope_declines_and_second_miss_offers_menu_and_clerk():
    from actions.guidance import ActionOutOfScope

    first, events = run_action(ActionOutOfScope(), make_tracker("thời tiết mai thế nào", "out_of_scope"))
    assert [m.get("response") for m in first] == ["utter_out_of_scope"]
    second, _ = run_action(ActionOutOfScope(), make_tracker("qqq wxyz", "out_of_scope", slots=slot_events(events)))
    assert second[1]["text"] == T.MENU_AFTER_MISSES
    assert any(b["payload"] == "/request_human" for b in second[1]["buttons"])


def test_clarify_offers_a_clerk_once():
    ranking = [{"name": "request_human", "confidence": 0.2}, {"name": "ask_fee", "confidence": 0.18}]
    messages, _ = run_action(ActionClarify(), make_tracker("hm", "nlu_fallback", ranking=ranking))
    payloads = [b["payload"] for b in messages[0]["buttons"]]
    assert payloads.count("/request_human") == 1


@freeze_time(local(WEEKDAY_MORNING))
def test_out_of_scope_that_names_a_commune_procedure_is_answered_with_the_asked_facet():
    from actions.guidance import ActionOutOfScope

    tracker = make_tracker("ngân hàng bắt nộp giấy xác nhận tình trạng hôn nhân, xin ở đâu", "out_of_scope")
    messages, events = run_action(ActionOutOfScope(), tracker)
    text = all_text(messages)
    assert text.startswith("Cấp Giấy xác nhận tình trạng hôn nhân (mã 1.004873)") and T.WHERE_INTRO in text
    assert slot_events(events)["procedure_code"] == "1.004873"


@freeze_time(local(WEEKDAY_MORNING))
def test_not_understood_but_naming_a_procedure_is_answered_instead_of_asking_again():
    ranking = [{"name": "ask_fee", "confidence": 0.2}, {"name": "ask_documents", "confidence": 0.18}]
    tracker = make_tracker("đăng ký tạm trú cho sinh viên thuê trọ", "nlu_fallback", ranking=ranking)
    messages, _ = run_action(ActionClarify(), tracker)
    assert all_text(messages).startswith("Đăng ký tạm trú (mã 1.004194)")
    assert T.FEE_INTRO in all_text(messages)  # no facet word: the classifier's best facet


@freeze_time(local(WEEKDAY_MORNING))
def test_out_of_scope_that_asks_a_facet_of_a_procedure_it_describes_is_answered():
    from actions.guidance import ActionOutOfScope

    # no name said nearly whole, but "đóng bảo hiểm xã hội tự nguyện … ở đâu" asks where, of that procedure
    tracker = make_tracker("em làm tự do, muốn đóng bảo hiểm xã hội tự nguyện thì nộp hồ sơ ở đâu", "out_of_scope")
    messages, events = run_action(ActionOutOfScope(), tracker)
    text = all_text(messages)
    assert "(mã 1.002179)" in text and T.WHERE_INTRO in text
    assert slot_events(events)["procedure_code"] == "1.002179"
    # the same words without a question about a facet stay refused
    refused, _ = run_action(ActionOutOfScope(), make_tracker("làm hộ chiếu mất bao lâu", "out_of_scope"))
    assert [m.get("response") for m in refused] == ["utter_out_of_scope"]
