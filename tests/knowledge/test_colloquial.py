"""colloquial.yml: the reviewed table of the words citizens use, feeding the search aliases and the NLU lookup."""
from __future__ import annotations

from pathlib import Path

import pytest

from knowledge.loader import load_curated
from tests.knowledge.test_loader import expect_failure, line_of, shown

SHIPPED = Path(__file__).resolve().parents[2] / "knowledge" / "data"

ROWS = """\
colloquial:
  - phrase: giấy chứng tử
    codes: ["1.000656"]
    source: Người dân gọi trích lục khai tử là giấy chứng tử.
  - phrase: nhập khẩu
    codes: ["1.004222"]
    source: Nhập hộ khẩu là đăng ký thường trú.
  - phrase: giấy tờ hộ tịch
    codes: ["1.001193", "2.000635"]
    source: Một tên gọi chung cho hai thủ tục.
"""


def write(data_dir: Path, text: str = ROWS) -> Path:
    path = data_dir / "colloquial.yml"
    path.write_text(text, encoding="utf-8")
    return path


def test_rows_become_colloquial_aliases_of_every_code_and_reach_the_nlu_lookup(engine, data_dir):
    from knowledge.api import KnowledgeBase
    from knowledge.nlu_export import lookup_entries

    write(data_dir)
    load_curated(engine, data_dir)
    kb = KnowledgeBase(engine)
    assert kb.card("1.000656").colloquial == ("giấy chứng tử",)
    assert "giấy tờ hộ tịch" in kb.card("1.001193").colloquial and "giấy tờ hộ tịch" in kb.card("2.000635").colloquial
    assert kb.search("nhap khau cho con", 1)[0].code == "1.004222"
    entries = lookup_entries(kb)
    assert "nhập khẩu" in entries and "nhap khau" in entries


def test_reload_without_the_file_removes_its_aliases(engine, data_dir):
    from knowledge.api import KnowledgeBase

    path = write(data_dir)
    load_curated(engine, data_dir)
    path.unlink()
    load_curated(engine, data_dir)
    assert KnowledgeBase(engine).card("1.000656").colloquial == ()


def test_unknown_code_is_reported_with_file_and_line(loaded, data_dir):
    path = write(data_dir, ROWS.replace('codes: ["1.004222"]', 'codes: ["9.999999"]'))
    errors = expect_failure(loaded, data_dir)
    line = line_of(path, '"9.999999"')
    assert f"{shown(path)}:{line}: tên gọi 'nhập khẩu': không có thủ tục đã biên soạn mã 9.999999" in errors


@pytest.mark.parametrize(
    "old, new, message",
    [
        ("    source: Nhập hộ khẩu là đăng ký thường trú.\n", "", "thiếu trường bắt buộc 'source'"),
        ('codes: ["1.004222"]', "codes: []", "'codes' phải là danh sách mã thủ tục, không rỗng"),
        ('codes: ["1.004222"]', "codes: [1.004222]", "mã thủ tục phải là chuỗi trong dấu nháy"),
        ("  - phrase: nhập khẩu\n", "  - phrase: nhập khẩu\n    note: x\n", "khóa không được hỗ trợ 'note'"),
        ("phrase: giấy tờ hộ tịch", "phrase: Nhap Khau", "tên gọi 'Nhap Khau' bị trùng"),
    ],
)
def test_malformed_rows_are_reported_and_nothing_changes(loaded, data_dir, old, new, message):
    write(data_dir, ROWS.replace(old, new, 1))
    errors = expect_failure(loaded, data_dir)
    assert any(message in error and error.startswith(shown(data_dir / "colloquial.yml") + ":") for error in errors), errors


def test_shipped_table_validates_and_every_row_says_how_people_ask():
    from knowledge.curated_schema import read_curated

    curated = read_curated(SHIPPED)
    assert curated.errors == []
    assert len(curated.colloquial) >= 40
    assert all(row.source.strip() for row in curated.colloquial)
    phrases = {row.phrase for row in curated.colloquial}
    assert {"công chứng", "làm sổ", "nhập khẩu"} <= phrases  # the examples
