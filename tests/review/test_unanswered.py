"""Unanswered questions extracted from stored conversations and grouped, on SQLite and PostgreSQL: the one
definition (analytics/misses.py) the review page shares with the dashboard."""
from __future__ import annotations

import sqlalchemy as sa

from analytics.events import event_rows, turns_by_conversation
from analytics.misses import (CLARIFY, NOT_FOUND, OUT_OF_SCOPE, THUMBS_DOWN, Miss, group_misses, misses_of,
                              question_key, unanswered_misses)
from tests.review.conversations import (Turn, answered, clarified, not_found, offered, refused, store_conversation,
                                        thumbs_down)


def _misses(url: str) -> list[Miss]:
    engine = sa.create_engine(url)
    try:
        return list(unanswered_misses(engine))
    finally:
        engine.dispose()


def test_each_kind_of_miss_is_found_and_answered_questions_are_not(database_url):
    store_conversation(database_url, "a", [answered("làm khai sinh cần gì"), not_found("giấy ra ở riêng xin ở đâu")])
    store_conversation(database_url, "b", [refused("làm giấy độc thân để cưới vợ")])
    store_conversation(database_url, "c", [clarified("xin dấu đỏ lý lịch"), Turn("thôi bỏ qua", "deny", (), {})])
    store_conversation(database_url, "d", [offered("đăng ký lại cần gì"), Turn("hỏi cái khác", "deny", (), {})])
    store_conversation(database_url, "e", [answered("tách hộ cần gì", "1.010038"), thumbs_down()])
    found = {(m.sender_id, m.text, m.reason) for m in _misses(database_url)}
    assert found == {
        ("a", "giấy ra ở riêng xin ở đâu", NOT_FOUND),
        ("b", "làm giấy độc thân để cưới vợ", OUT_OF_SCOPE),
        ("c", "xin dấu đỏ lý lịch", CLARIFY),
        ("d", "đăng ký lại cần gì", CLARIFY),  # candidates offered, none picked
        ("e", "tách hộ cần gì", THUMBS_DOWN),
    }


def test_a_clarify_or_choice_resolved_by_the_next_message_is_not_a_miss(database_url):
    pick = Turn('/ask_procedure{"procedure": "1.004884"}', "ask_procedure", ("action_answer_procedure",),
                {"procedure_code": "1.004884", "miss_count": 0.0})
    store_conversation(database_url, "r1", [offered("đăng ký lại cần gì"), pick])
    store_conversation(database_url, "r2", [clarified("dk lai ks"), pick])
    store_conversation(database_url, "r3", [clarified("dk lai ks"), answered("đăng ký lại khai sinh cần gì")])
    assert _misses(database_url) == []


def test_a_rescued_out_of_scope_question_is_answered(database_url):
    rescued = Turn("ngân hàng đòi xác nhận cư trú", "out_of_scope", ("action_out_of_scope",),
                   {"procedure_code": "1.010041", "miss_count": 0.0})
    store_conversation(database_url, "s", [rescued])
    assert _misses(database_url) == []


def test_stored_texts_are_masked_and_stay_masked(database_url):
    store_conversation(database_url, "p", [not_found("số tôi 0912345678 hỏi về giấy ra ở riêng")])
    [miss] = _misses(database_url)
    assert "0912345678" not in miss.text and "****" in miss.text


def test_rows_are_streamed_in_batches_in_conversation_order(database_url):
    for index in range(3):
        store_conversation(database_url, f"z{index}", [not_found(f"câu hỏi số {index} về xyz")])
    engine = sa.create_engine(database_url)
    try:
        rows = list(event_rows(engine, None, fetch=2))
    finally:
        engine.dispose()
    assert [r.sender_id for r in rows] == sorted(r.sender_id for r in rows)
    texts = {m.text for turns in turns_by_conversation(rows) for m in misses_of(turns)}
    assert texts == {"câu hỏi số 0 về xyz", "câu hỏi số 1 về xyz", "câu hỏi số 2 về xyz"}


def test_no_events_table_means_no_misses(tmp_path):
    assert _misses(f"sqlite:///{tmp_path / 'empty.db'}") == []


def _miss(text: str, reason: str = NOT_FOUND, at: float = 1.0, sender: str = "s") -> Miss:
    return Miss(sender, at, "webchat", text, reason)


def test_grouping_ignores_diacritics_case_and_punctuation_and_counts():
    groups = group_misses([
        _miss("Làm giấy ra ở riêng?", at=1), _miss("lam giay ra o rieng", at=2, sender="t"),
        _miss("làm giấy ra ở riêng", OUT_OF_SCOPE, at=3), _miss("lam giay ra o rieng", at=4, sender="u"),
        _miss("xin dấu đỏ lý lịch", at=5),
    ])
    assert [(g.count, len(g.examples), g.conversations) for g in groups] == [(4, 3, 3), (1, 1, 1)]
    assert groups[0].text == "lam giay ra o rieng"  # the most frequent text
    assert groups[0].examples[1:] == ("Làm giấy ra ở riêng?", "làm giấy ra ở riêng")  # equal counts: the earliest
    assert groups[0].reasons == ((NOT_FOUND, 3), (OUT_OF_SCOPE, 1))
    assert groups[0].key == question_key("Làm giấy ra ở riêng?")  # the earliest question names the group
    assert (groups[0].first_seen, groups[0].last_seen) == (1, 4)


def test_near_duplicates_join_one_group_and_different_questions_do_not():
    groups = group_misses([
        _miss("lam khai sinh cho con can giay to gi"), _miss("làm khai sinh cho con cần giấy tờ gì ạ"),
        _miss("làm khai tử cho bố cần giấy tờ gì"), _miss("lam khai sinh can gi"), _miss("lam khai tu can gi"),
        _miss("thời tiết hôm nay thế nào ạ?"), _miss("thoi tiet hom nay the nao"),
        _miss("lam giay khai sinh cho con can gi"), _miss("làm giấy khai tử cho con cần gì"),
    ])
    assert sorted((g.count, sorted(g.examples)) for g in groups) == [
        (1, ["lam khai sinh can gi"]), (1, ["lam khai tu can gi"]), (1, ["làm giấy khai tử cho con cần gì"]),
        (1, ["làm khai tử cho bố cần giấy tờ gì"]), (2, ["thoi tiet hom nay the nao", "thời tiết hôm nay thế nào ạ?"]),
        (3, ["lam giay khai sinh cho con can gi", "lam khai sinh cho con can giay to gi",
             "làm khai sinh cho con cần giấy tờ gì ạ"])]


def test_texts_are_collapsed_and_bounded_and_wordless_ones_skipped(database_url):
    store_conversation(database_url, "w", [not_found("giấy   ra ở\n riêng " + "rất " * 200), not_found("?!  ..."),
                                           not_found("   ")])
    [miss] = _misses(database_url)
    assert miss.text.startswith("giấy ra ở riêng rất rất") and len(miss.text) == 300


def test_grouping_cost_is_bounded_on_many_distinct_questions():
    # every question shares the word "chung": candidates are capped, the run stays linear
    misses = [_miss(f"chung cau {i} tu{i} ma{i}") for i in range(3000)]
    import time

    started = time.perf_counter()
    groups = group_misses(misses)
    assert len(groups) == 3000
    assert time.perf_counter() - started < 10  # generous on a shared 2-core machine; quadratic would be far slower
