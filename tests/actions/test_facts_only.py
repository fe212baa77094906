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


# ------------------------------------------------------------------------------ imported catalogue entries

HEADER = "Hình thức nộpThời gianPhí, lệ phíMô tả"
DOC_HEADER = "Tên giấy tờMẫu đơn, tờ khaiSố lượng"
SYNTHETIC_RECORDS = [
    {
        "ma_thu_tuc": "9.100001", "ten_thu_tuc": "Thủ tục cấp giấy xác nhận thử nghiệm", "so_quyet_dinh": "12/QĐ-TEST",
        "cap_thuc_hien": "Cấp xã", "linh_vuc": "Thử nghiệm", "doi_tuong_thuc_hien": "Công dân Việt Nam",
        "cach_thuc_thuc_hien": HEADER + "Trực tiếp3 Ngày làm việc20.000 ĐồngTrực tuyến2 Ngày làm việcMiễn phí",
        "thanh_phan_ho_so": DOC_HEADER + "* Giấy tờ phải nộpTờ khai (Mẫu số 18)1 bản chínhBản sao giấy tờ2 bản sao",
        "trinh_tu_thuc_hien": "Bước 1: Nộp hồ sơ. Bước 2: Nhận kết quả sau 03 ngày làm việc.",
        "can_cu_phap_ly": "Số ký hiệuTrích yếuNgày ban hànhCơ quan ban hành45/2025/NĐ-CPNghị định thử01-01-2025Chính phủ",
        "yeu_cau_dieu_kien": "Đủ 18 tuổi", "ket_qua_xu_ly": "Giấy xác nhậnMã: KQ.G01.1",
        "detail_url": "https://example.invalid/9.100001",
    },
    {  # the time column gives no unit: the answer must not guess one
        "ma_thu_tuc": "9.100002", "ten_thu_tuc": "Thủ tục hỗ trợ thử nghiệm", "so_quyet_dinh": "13/QĐ-TEST",
        "cap_thuc_hien": "Cấp tỉnh, Cấp xã", "linh_vuc": "Thử nghiệm",
        "cach_thuc_thuc_hien": HEADER + "Trực tiếp1Mức phí do Hội đồng nhân dân tỉnh quy định",
        "thanh_phan_ho_so": DOC_HEADER + "Đơn đề nghị1 bản chính", "trinh_tu_thuc_hien": "Nộp hồ sơ tại xã.",
        "ket_qua_xu_ly": "", "detail_url": "",
    },
]


@pytest.fixture(scope="module")
def imported_kb(tmp_path_factory):
    """A knowledge base with imported entries: the synthetic records above, and the national commune catalogue
    when ../shared is present (every number of every facet of every record is then checked too)."""
    from base.db import make_engine
    from bot.conversation_eval import reference_file
    from knowledge.api import KnowledgeBase
    from knowledge.importer import import_catalogue

    folder = tmp_path_factory.mktemp("imported")
    engine = make_engine(f"sqlite:///{folder / 'kb.db'}")
    synthetic = folder / "synthetic.jsonl"
    synthetic.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in SYNTHETIC_RECORDS), encoding="utf-8")
    import_catalogue(engine, synthetic)
    commune = reference_file("procedures_commune.jsonl")
    if commune is not None:
        import_catalogue(engine, commune)
    yield KnowledgeBase(engine)
    engine.dispose()


def test_imported_answers_hold_only_numbers_of_their_record_and_say_the_ward_has_not_reviewed_them(imported_kb):
    from actions import templates as T

    codes = imported_kb.codes(status="imported")
    assert {"9.100001", "9.100002"} <= set(codes)
    context = AnswerContext(sites=(), ward=None, now=OPEN_MOMENT)
    unreviewed = "Phường chưa rà soát thủ tục này"
    assert unreviewed in T.SOURCE_UNREVIEWED
    for code in codes:
        card = imported_kb.card(code)
        allowed = numbers(json.dumps(to_jsonable(card), ensure_ascii=False))
        for facet in FACETS:
            messages = answers.render(facet, card, context)
            reply = ENUMERATOR.sub("", "\n".join(messages))
            invented = numbers(reply) - allowed
            assert not invented, f"{code} {facet}: numbers {sorted(invented)} are not in the record\n{reply}"
            assert unreviewed in messages[-1], f"{code} {facet}: the source line must say the ward has not reviewed it"


def test_imported_time_limit_without_a_unit_is_not_answered_with_a_guess(imported_kb):
    from actions import templates as T

    card = imported_kb.card("9.100002")
    reply = "\n".join(answers.render("time", card, AnswerContext(sites=(), ward=None, now=OPEN_MOMENT)))
    assert T.NO_DATA["time"] in reply
    fee = "\n".join(answers.render("fee", card, AnswerContext(sites=(), ward=None, now=OPEN_MOMENT)))
    assert "Hội đồng nhân dân tỉnh" in fee
