"""Catalogue importer: flattened-table parsing (synthetic strings in the portal's shape) and the real shared files."""
from __future__ import annotations

import gzip
import json

import pytest
from sqlalchemy import func, select

from knowledge.dvcqg import (
    display_name,
    parse_channels,
    parse_documents,
    parse_legal_basis,
    parse_record,
    parse_results,
)
from knowledge.importer import import_catalogue
from knowledge.models import STATUS_IMPORTED, Procedure
from tests.knowledge.conftest import SHARED_DVCQG, snapshot

HEADER = "Hình thức nộpThời gianPhí, lệ phíMô tả"
DOC_HEADER = "Tên giấy tờMẫu đơn, tờ khaiSố lượng"
needs_shared = pytest.mark.skipif(
    not (SHARED_DVCQG / "procedures_all.jsonl.gz").exists(),
    reason=f"national catalogue not found at {SHARED_DVCQG} (../shared beside the checkout)",
)


# ------------------------------------------------------------------------------------------------ channels


def test_time_units_and_fees_per_channel():
    text = HEADER + "Trực tiếp5 Ngày làm việcMiễn phíTrực tuyến3 NgàyMiễn phíDịch vụ bưu chính8 Giờ50,000 Việt Nam Đồng"
    channels, warnings, flags = parse_channels(text)
    assert [(c.type, c.time_value, c.time_unit) for c in channels] == [
        ("in_person", 5, "working_day"), ("online", 3, "day"), ("post", 8, "hour"),
    ]
    assert [(c.fee_kind, c.fee_amount) for c in channels] == [("free", None), ("free", None), ("fixed", 50000)]
    assert channels[1].portals == ["national_portal"]
    assert warnings == []
    assert flags == ["thời hạn khác nhau theo cách nộp (3/5/8)"]


def test_bare_number_takes_its_unit_from_the_steps_text():
    channels, warnings, _ = parse_channels(HEADER + "Trực tiếp5Miễn phí", "Trong thời hạn 05 ngày làm việc kể từ ngày nhận")
    assert (channels[0].time_value, channels[0].time_unit) == (5, "working_day") and warnings == []


def test_bare_number_without_unit_anywhere_is_not_guessed():
    channels, warnings, _ = parse_channels(HEADER + "Trực tiếp1Miễn phí", "Nộp hồ sơ tại bộ phận một cửa.")
    assert channels[0].time_value is None and channels[0].time_unit is None
    assert warnings == ["Trực tiếp: thời hạn '1' không rõ đơn vị"]


def test_fee_set_by_the_province_is_never_a_number():
    text = HEADER + "Trực tiếp1 Ngày làm việcMiễn phí(Mức lệ phí cụ thể do Hội đồng nhân dân tỉnh quyết định.)"
    channel = parse_channels(text)[0][0]
    assert (channel.fee_kind, channel.fee_amount) == ("province", None)
    assert channel.fee_note.startswith("Mức lệ phí cụ thể do Hội đồng nhân dân tỉnh")


def test_time_fused_with_fee_is_left_unknown():
    channel, warnings = (lambda r: (r[0][0], r[1]))(parse_channels(HEADER + "Trực tiếp120,000 VNĐ(Lệ phí 20.000 đồng)"))
    assert channel.time_value is None and channel.fee_kind == "unknown" and channel.fee_amount is None
    assert warnings and "dính liền" in warnings[0]


def test_no_information_and_description():
    text = HEADER + "Trực tiếpKhông có thông tinKhông có thông tinNộp tại trụ sở Công an cấp xã"
    channel = parse_channels(text)[0][0]
    assert channel.time_value is None and channel.fee_kind == "unknown"
    assert channel.description == "Nộp tại trụ sở Công an cấp xã"


# ----------------------------------------------------------------------------------------------- documents


def test_documents_groups_quantities_and_fused_form_number():
    text = (
        "* Giấy tờ phải nộp:" + DOC_HEADER
        + "- Tờ khai theo mẫu1 bản chính"
        + "Đơn đăng ký biến động theo Mẫu số 181 bản chính,1 bản sao"
        + "* Giấy tờ phải xuất trình:" + DOC_HEADER
        + "- Giấy tờ tùy thân01 bản chính"
        + "Trường hợp đã có dữ liệu điện tử thì không phải nộp bản giấy.0 bản chính"
    )
    documents, warnings = parse_documents(text)
    assert [(d.group, d.name, d.originals, d.copies) for d in documents] == [
        ("submit", "Tờ khai theo mẫu", 1, 0),
        ("submit", "Đơn đăng ký biến động theo Mẫu số 18", 1, 1),
        ("present", "Giấy tờ tùy thân", 1, 0),
        ("note", "Trường hợp đã có dữ liệu điện tử thì không phải nộp bản giấy.", 0, 0),
    ]
    assert len(warnings) == 1 and "Mẫu số 18" in warnings[0]


def test_document_form_file_and_case_header():
    text = "a) Trường hợp ủy quyền" + DOC_HEADER + "Đơn đề nghị theo Mẫu số 08;Mau08.docx1 bản chính"
    [document], _ = parse_documents(text)
    assert (document.name, document.form, document.case) == ("Đơn đề nghị theo Mẫu số 08;", "Mau08.docx", "a) Trường hợp ủy quyền")


def test_legal_basis_and_results():
    legal = parse_legal_basis(
        "Tên văn bản pháp lýMã văn bảnLuật Hộ tịch60/2014/QH13Nghị định số 123/2015/NĐ-CP ngày 15/11/2015123/2015/NĐ-CP"
    )
    assert [r["code"] for r in legal] == ["60/2014/QH13", "123/2015/NĐ-CP"]
    assert legal[1]["title"] == "Nghị định số 123/2015/NĐ-CP ngày 15/11/2015"
    assert parse_results("Giấy khai sinhMã: KQ.G15.000031Từ khóaKhông có thông tin") == ["Giấy khai sinh"]
    assert display_name("Thủ tục đăng ký khai sinh") == "Đăng ký khai sinh"


def test_record_without_code_is_rejected():
    with pytest.raises(ValueError):
        parse_record({"ma_thu_tuc": "", "ten_thu_tuc": "X"})


# ---------------------------------------------------------------------------------------------- database


def _write_jsonl(path, records, bad_line=False):
    with open(path, "w", encoding="utf-8") as handle:
        for record in records:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
        if bad_line:
            handle.write("{not json\n")


SYNTHETIC = [
    {
        "ma_thu_tuc": "9.000001", "ten_thu_tuc": "Thủ tục thử nghiệm một", "so_quyet_dinh": "1/QĐ-TEST",
        "cap_thuc_hien": "Cấp xã", "linh_vuc": "Thử nghiệm",
        "cach_thuc_thuc_hien": HEADER + "Trực tiếp2 Ngày làm việcMiễn phí",
        "thanh_phan_ho_so": DOC_HEADER + "Tờ khai1 bản chính", "trinh_tu_thuc_hien": "Bước 1: Nộp hồ sơ.",
        "can_cu_phap_ly": "", "ket_qua_xu_ly": "Giấy xác nhậnMã: KQ.G01.1", "detail_url": "https://example.invalid/1",
    },
    {
        "ma_thu_tuc": "1.001193", "ten_thu_tuc": "Thủ tục đăng ký khai sinh (bản quốc gia)", "so_quyet_dinh": "163/QĐ-BTP",
        "linh_vuc": "Hộ tịch", "cach_thuc_thuc_hien": HEADER + "Trực tiếp1Miễn phí", "thanh_phan_ho_so": "",
    },
]


def test_import_skips_curated_reports_bad_lines_and_is_idempotent(loaded, tmp_path):
    path = tmp_path / "catalogue.jsonl"
    _write_jsonl(path, SYNTHETIC, bad_line=True)
    curated_before = snapshot(loaded)
    report = import_catalogue(loaded, path)
    assert report.imported == 1 and report.skipped_curated == ["1.001193"]
    assert [line for line, _ in report.failed] == [3]
    with loaded.connect() as connection:
        row = connection.execute(select(Procedure.name, Procedure.status).where(Procedure.code == "9.000001")).one()
        curated_name = connection.execute(select(Procedure.name).where(Procedure.code == "1.001193")).scalar_one()
    assert tuple(row) == ("Thử nghiệm một", STATUS_IMPORTED)
    assert curated_name == "Đăng ký khai sinh"
    after_first = snapshot(loaded)
    assert {k: v for k, v in after_first.items() if k.startswith("kb_w") or k.startswith("kb_s")} == {
        k: v for k, v in curated_before.items() if k.startswith("kb_w") or k.startswith("kb_s")
    }
    import_catalogue(loaded, path)
    assert snapshot(loaded) == after_first


def test_gzip_input(engine, tmp_path):
    path = tmp_path / "catalogue.jsonl.gz"
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        handle.write(json.dumps(SYNTHETIC[0], ensure_ascii=False) + "\n")
    assert import_catalogue(engine, path).imported == 1


@needs_shared
def test_full_national_catalogue_does_not_touch_curated_entries(loaded):
    from knowledge.api import KnowledgeBase

    kb = KnowledgeBase(loaded)
    curated_cards = {code: kb.card(code) for code in kb.codes("curated")}
    report = import_catalogue(loaded, SHARED_DVCQG / "procedures_all.jsonl.gz")
    assert report.read == 2642 and report.failed == []
    assert 0 < len(report.incomplete) < 60  # a few records have no readable channel or document table
    assert report.imported + len(report.skipped_curated) == 2642
    assert sorted(report.skipped_curated) == sorted(curated_cards)
    assert {code: kb.card(code) for code in curated_cards} == curated_cards
    with loaded.connect() as connection:
        counts = dict(connection.execute(select(Procedure.status, func.count()).group_by(Procedure.status)).all())
    assert counts == {"curated": len(curated_cards), "imported": 2642 - len(curated_cards)}
    # The record that lists 17/20/27 days by channel keeps each channel's value and is flagged for review.
    land = kb.card("1.013978")
    assert sorted(c.time_limit.value for c in land.channels if c.time_limit) == [17, 20, 27]
    assert any("17/20/27" in flag.note and flag.concerns("time") for flag in land.review_flags)
    # A death registration fee is set by the province: said so, never a number.
    death = parse_record(_shared_record("1.000656"))
    assert {c.fee_kind for c in death.channels} == {"province"} and all(c.fee_amount is None for c in death.channels)
    assert kb.search("cap giay phep xay dung", 1)[0].status in ("curated", "imported")


@needs_shared
def test_commune_file_reimport_is_idempotent(engine):
    path = SHARED_DVCQG / "procedures_commune.jsonl"
    first = import_catalogue(engine, path)
    assert first.imported == 588 and first.failed == []
    state = snapshot(engine)
    import_catalogue(engine, path)
    assert snapshot(engine) == state


def _shared_record(code: str) -> dict:
    with open(SHARED_DVCQG / "procedures_commune.jsonl", encoding="utf-8") as handle:
        for line in handle:
            record = json.loads(line)
            if record["ma_thu_tuc"] == code:
                return record
    raise AssertionError(code)
