"""`kb load`: every malformed input is reported with file and line and changes nothing; loading is idempotent."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import select

from knowledge.curated_schema import display_path
from knowledge.loader import LoadFailed, load_curated
from knowledge.models import STATUS_CURATED, STATUS_IMPORTED, Procedure, SubmissionChannel
from tests.knowledge.conftest import snapshot

HO_TICH = "procedures/ho-tich.yml"


def line_of(path: Path, needle: str, occurrence: int = 1) -> int:
    """1-based line number of the n-th line containing `needle` in a file."""
    seen = 0
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if needle in line:
            seen += 1
            if seen == occurrence:
                return number
    raise AssertionError(f"{needle!r} not in {path}")


def shown(path: Path) -> str:
    return display_path(path)


def replace_once(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def expect_failure(engine, data_dir: Path) -> list[str]:
    before = snapshot(engine)
    with pytest.raises(LoadFailed) as failure:
        load_curated(engine, data_dir)
    assert snapshot(engine) == before, "a failed load must leave the database unchanged"
    return [str(error) for error in failure.value.errors]


def test_loads_fixture_set(engine, data_dir):
    report = load_curated(engine, data_dir)
    assert report.procedures == 6
    assert report.sites == 3
    with engine.connect() as connection:
        codes = connection.execute(select(Procedure.code).order_by(Procedure.code)).scalars().all()
        fee = connection.execute(
            select(SubmissionChannel.fee_kind, SubmissionChannel.fee_amount)
            .join(Procedure, Procedure.id == SubmissionChannel.procedure_id)
            .where(Procedure.code == "2.000635")
        ).one()
    assert codes == ["1.000656", "1.000894", "1.001193", "1.004194", "1.004222", "2.000635"]
    assert tuple(fee) == ("fixed", 8000)


def test_reload_is_idempotent(engine, data_dir):
    load_curated(engine, data_dir)
    first = snapshot(engine)
    load_curated(engine, data_dir)
    assert snapshot(engine) == first


def test_removed_entry_disappears_on_reload(engine, data_dir):
    load_curated(engine, data_dir)
    (data_dir / "procedures/cu-tru.yml").unlink()
    replace_once(data_dir / "ward.yml", '"1.000894", "1.004194"]', '"1.000894"]')
    load_curated(engine, data_dir)
    with engine.connect() as connection:
        codes = set(connection.execute(select(Procedure.code)).scalars())
    assert "1.004222" not in codes and "1.001193" in codes


def _add_imported(engine, code: str, name: str) -> None:
    from base.db import session_factory

    with session_factory(engine)() as session, session.begin():
        session.add(Procedure(code=code, name=name, official_name=name, field="Khác", status=STATUS_IMPORTED))


def test_curated_replaces_imported_with_same_code_and_leaves_other_imported_rows(engine, data_dir):
    _add_imported(engine, "1.001193", "Bản nhập tự động khai sinh")
    _add_imported(engine, "9.999999", "Thủ tục nhập tự động khác")
    report = load_curated(engine, data_dir)
    assert report.replaced_imported == ["1.001193"]
    with engine.connect() as connection:
        rows = dict(connection.execute(select(Procedure.code, Procedure.status)).all())
        name = connection.execute(select(Procedure.name).where(Procedure.code == "1.001193")).scalar_one()
    assert rows["1.001193"] == STATUS_CURATED and name == "Đăng ký khai sinh"
    assert rows["9.999999"] == STATUS_IMPORTED
    load_curated(engine, data_dir)  # reloading keeps the unrelated imported row
    with engine.connect() as connection:
        assert connection.execute(select(Procedure.status).where(Procedure.code == "9.999999")).scalar_one() == (
            STATUS_IMPORTED
        )


def test_bad_yaml(loaded, data_dir):
    path = data_dir / HO_TICH
    replace_once(path, "    name: Đăng ký khai sinh\n", "    name: [Đăng ký khai sinh\n")
    errors = expect_failure(loaded, data_dir)
    assert len(errors) == 1
    match = re.match(re.escape(shown(path)) + r":(\d+): YAML không hợp lệ", errors[0])
    assert match, errors
    assert abs(int(match.group(1)) - line_of(path, "name: [Đăng ký khai sinh")) <= 2


def test_missing_field(loaded, data_dir):
    path = data_dir / HO_TICH
    replace_once(path, "    official_name: Thủ tục đăng ký kết hôn\n", "")
    errors = expect_failure(loaded, data_dir)
    expected = line_of(path, 'code: "1.000894"')
    assert f"{shown(path)}:{expected}: thiếu trường bắt buộc 'official_name'" in errors


def test_duplicate_code_in_one_file(loaded, data_dir):
    path = data_dir / HO_TICH
    replace_once(path, 'code: "1.000894"', 'code: "1.001193"')
    errors = expect_failure(loaded, data_dir)
    line = line_of(path, 'code: "1.001193"', occurrence=2)
    first = line_of(path, 'code: "1.001193"')
    assert any(
        e.startswith(f"{shown(path)}:{line}: mã thủ tục 1.001193 bị trùng")
        and f"{shown(path)}:{first}" in e
        for e in errors
    ), errors


def test_duplicate_code_across_files(loaded, data_dir):
    path = data_dir / "procedures/cu-tru.yml"
    replace_once(path, 'code: "1.004194"', 'code: "1.001193"')
    errors = expect_failure(loaded, data_dir)
    needle = 'code: "1.001193"'
    here = f"{shown(path)}:{line_of(path, needle)}"
    there = f"{shown(data_dir / HO_TICH)}:{line_of(data_dir / HO_TICH, needle)}"
    duplicates = [e for e in errors if "mã thủ tục 1.001193 bị trùng" in e]
    # whichever file is read first holds the original; the other one gets the error pointing back at it
    assert len(duplicates) == 1, errors
    assert (duplicates[0].startswith(here + ":") and there in duplicates[0]) or (
        duplicates[0].startswith(there + ":") and here in duplicates[0]
    ), duplicates


def test_unknown_unit(loaded, data_dir):
    path = data_dir / "procedures/cu-tru.yml"
    replace_once(path, "time_limit: {value: 3, unit: working_day}", "time_limit: {value: 3, unit: tuần}")
    errors = expect_failure(loaded, data_dir)
    line = line_of(path, "unit: tuần")
    assert any(e.startswith(f"{shown(path)}:{line}: đơn vị thời hạn không hợp lệ 'tuần'") for e in errors), errors


def test_negative_quantity(loaded, data_dir):
    path = data_dir / HO_TICH
    replace_once(path, "        name: Giấy chứng sinh\n        originals: 1", "        name: Giấy chứng sinh\n        originals: -1")
    errors = expect_failure(loaded, data_dir)
    line = line_of(path, "originals: -1")
    assert f"{shown(path)}:{line}: 'originals' không được âm (-1)" in errors


def test_unknown_site_reference(loaded, data_dir):
    path = data_dir / "procedures/cu-tru.yml"
    replace_once(path, "sites: [diem-so-3]", "sites: [diem-so-9]")
    errors = expect_failure(loaded, data_dir)
    line = line_of(path, "sites: [diem-so-9]")
    assert f"{shown(path)}:{line}: không có điểm tiếp nhận 'diem-so-9' trong ward.yml" in errors


def test_unknown_site_in_closure(loaded, data_dir):
    path = data_dir / "ward.yml"
    replace_once(path, "{site: tru-so-chinh, start:", "{site: khong-co, start:")
    errors = expect_failure(loaded, data_dir)
    line = line_of(path, "site: khong-co")
    assert f"{shown(path)}:{line}: không có điểm tiếp nhận 'khong-co' trong 'sites'" in errors


def test_fixed_fee_without_amount(loaded, data_dir):
    path = data_dir / HO_TICH
    replace_once(path, "fee: {kind: fixed, amount: 8000, note: 8.000 đồng/bản sao}", "fee: {kind: fixed}")
    errors = expect_failure(loaded, data_dir)
    line = line_of(path, "fee: {kind: fixed}")
    assert f"{shown(path)}:{line}: lệ phí 'fixed' phải có 'amount' (số tiền VND)" in errors


@pytest.mark.parametrize(
    "old, new, message",
    [
        ('sat: [["07:30", "11:30"]]', 'sat: [["7h30", "11:30"]]', "giờ không hợp lệ trong 'sat'"),
        ('sat: [["07:30", "11:30"]]', 'sat: [["11:30", "07:30"]]', "giờ mở cửa phải trước giờ đóng cửa trong 'sat'"),
        ('sat: [["07:30", "11:30"]]', 'sat: "07:30-11:30"', "giờ làm việc 'sat' phải là danh sách"),
        ('sat: [["07:30", "11:30"]]', 'sab: [["07:30", "11:30"]]', "ngày trong tuần không hợp lệ 'sab'"),
    ],
)
def test_bad_hours(loaded, data_dir, old, new, message):
    path = data_dir / "ward.yml"
    replace_once(path, old, new)
    errors = expect_failure(loaded, data_dir)
    line = line_of(path, new.split(":")[0])
    assert any(e.startswith(f"{shown(path)}:{line}: {message}") for e in errors), errors


def test_bad_holiday_date(loaded, data_dir):
    path = data_dir / "ward.yml"
    replace_once(path, "{date: 2026-09-02, name: Quốc khánh}", "{date: 2026-02-30, name: Quốc khánh}")
    errors = expect_failure(loaded, data_dir)
    line = line_of(path, "2026-02-30")
    assert f"{shown(path)}:{line}: ngày nghỉ không hợp lệ: '2026-02-30' (dạng YYYY-MM-DD)" in errors


def test_unquoted_code_and_unknown_kinds(loaded, data_dir):
    path = data_dir / HO_TICH
    replace_once(path, 'code: "1.000656"', "code: 1.000656")
    replace_once(path, "type: post", "type: fax")
    replace_once(path, "fee: {kind: province, note:", "fee: {kind: tuy_tinh, note:")
    errors = expect_failure(loaded, data_dir)
    assert any(e.startswith(f"{shown(path)}:{line_of(path, 'code: 1.000656')}: mã thủ tục phải là chuỗi") for e in errors)
    assert f"{shown(path)}:{line_of(path, 'type: fax')}: cách nộp không hợp lệ 'fax' (dùng: in_person, post, online)" in errors
    assert any(e.startswith(f"{shown(path)}:{line_of(path, 'kind: tuy_tinh')}: loại lệ phí không hợp lệ") for e in errors)


def test_all_errors_reported_at_once(loaded, data_dir):
    replace_once(data_dir / HO_TICH, "originals: 1\n        copies: 0", "originals: -2\n        copies: -3")
    replace_once(data_dir / "procedures/cu-tru.yml", "unit: working_day}\n        fee: {kind: province}\n    source", "unit: week}\n        fee: {kind: province}\n    source")
    errors = expect_failure(loaded, data_dir)
    assert len(errors) >= 3
    assert any("'originals' không được âm" in e for e in errors)
    assert any("'copies' không được âm" in e for e in errors)
    assert any(e.startswith(shown(data_dir / "procedures/cu-tru.yml") + ":") and "'week'" in e for e in errors)


def test_failed_load_on_empty_database_writes_nothing(engine, data_dir):
    replace_once(data_dir / HO_TICH, "unit: working_day, rule:", "unit: fortnight, rule:")
    expect_failure(engine, data_dir)
    with engine.connect() as connection:
        assert connection.execute(select(Procedure.id)).first() is None


def test_missing_time_limit_needs_a_review_flag(engine, data_dir):
    path = data_dir / "procedures/cu-tru.yml"
    replace_once(path, "time_limit: {value: 3, unit: working_day}\n", "time_limit: null\n")
    errors = expect_failure(engine, data_dir)
    line = line_of(path, "channels:", occurrence=2)
    assert any(e.startswith(f"{shown(path)}:{line}: cần ít nhất một cách nộp có 'time_limit'") for e in errors), errors
    source = "    source: {decision: 5548/QĐ-BCA, reviewed: 2026-06-10}\n"  # the last entry is 1.004194
    head, tail = path.read_text(encoding="utf-8").rsplit(source, 1)
    flag = ("    review_flags:\n    - {note: Hồ sơ gốc không ghi thời hạn giải quyết, facets: [time], status: open,\n"
            "       reason: Văn bản quy định không nêu thời hạn}\n")
    path.write_text(head + source + flag + tail, encoding="utf-8")
    load_curated(engine, data_dir)
    from knowledge.api import KnowledgeBase

    card = KnowledgeBase(engine).card("1.004194")
    assert all(c.time_limit is None for c in card.channels)
    assert [(f.note, f.facets, f.is_open) for f in card.review_flags] == [
        ("Hồ sơ gốc không ghi thời hạn giải quyết", ("time",), True)]
    assert card.open_flags("time") and not card.open_flags("documents")


@pytest.mark.parametrize("flag, message", [
    ("{note: x, facets: [time], status: resolved, basis: Điều 16 Luật Hộ tịch}", "thiếu trường bắt buộc 'resolution'"),
    ("{note: x, facets: [time], status: resolved, resolution: y}", "thiếu trường bắt buộc 'basis'"),
    ("{note: x, facets: [time], status: open}", "thiếu trường bắt buộc 'reason'"),
    ("{note: x, facets: [tiem], status: open, reason: y}", "facet không hợp lệ: tiem"),
    ("{note: x, facets: [time], status: maybe, reason: y}", "'status' phải là open hoặc resolved"),
    ("Một ghi chú không nói nó liên quan đến gì", "mục 1 của 'review_flags' phải là một bảng"),
])
def test_review_flags_say_what_they_concern_and_how_they_end(engine, data_dir, flag, message):
    path = data_dir / "procedures/cu-tru.yml"
    source = "    source: {decision: 5548/QĐ-BCA, reviewed: 2026-06-10}\n"
    head, tail = path.read_text(encoding="utf-8").rsplit(source, 1)
    path.write_text(head + source + f"    review_flags:\n    - {flag}\n" + tail, encoding="utf-8")
    line = line_of(path, "review_flags:") + 1
    errors = expect_failure(engine, data_dir)
    assert any(e.startswith(f"{shown(path)}:{line}: {message}") for e in errors), errors
