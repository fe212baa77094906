"""`thutuc dossiers import FILE`: CSV and JSONL, every error with its line, all or nothing, idempotent."""
from __future__ import annotations

import json
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from base.settings import get_settings
from dossiers.cli import register
from dossiers.importer import import_file
from dossiers.models import Dossier, StateChange
from dossiers.store import DossierStore
from tests.dossiers.conftest import FAKE_PEOPLE, SALT

CSV_OK = (
    "receipt_code,state,procedure_code,received_at,due_at,supplement,fee_due,site,phone,applicant_name,id_number,address\n"
    f"H15.50-251203-2035,4,1.001193,2025-12-03 08:30,2026-01-25,,,tru-so-chinh,{FAKE_PEOPLE[0]['phone']},"
    f"{FAKE_PEOPLE[0]['applicant_name']},{FAKE_PEOPLE[0]['id_number']},\"{FAKE_PEOPLE[0]['address']}\"\n"
    f"h15.50 251204 0001,Yêu cầu bổ sung giấy tờ,1.001193,04/12/2025,10/12/2025,Bản sao giấy chứng sinh,,tru-so-chinh,"
    f"{FAKE_PEOPLE[1]['phone']},{FAKE_PEOPLE[1]['applicant_name']},{FAKE_PEOPLE[1]['id_number']},x\n"
)


def counts(store: DossierStore) -> tuple[int, int]:
    with store.session() as session:
        return (session.execute(select(func.count()).select_from(Dossier)).scalar_one(),
                session.execute(select(func.count()).select_from(StateChange)).scalar_one())


def run_import(path: Path, store: DossierStore):
    return import_file(path, store, salt=SALT, timezone="Asia/Ho_Chi_Minh")


def test_csv_import_stores_the_minimum_and_is_idempotent(tmp_path, database_url):
    store = DossierStore(database_url)
    path = tmp_path / "feed.csv"
    path.write_text(CSV_OK, encoding="utf-8")
    report = run_import(path, store)
    assert report.ok and report.applied.created == 2
    assert report.validation.dropped_personal_fields == {"applicant_name", "id_number", "address"}
    dossier = store.get("H15.50-251204-0001")
    assert dossier.state == 5 and dossier.supplement == "Bản sao giấy chứng sinh"
    assert dossier.received_at.isoformat() == "2025-12-04T00:00:00"
    assert len(dossier.contact_hash) == 64 and "4321" not in dossier.contact_hash
    stored = " ".join(str(getattr(dossier, column.name)) for column in Dossier.__table__.columns)
    for person in FAKE_PEOPLE:
        for value in person.values():
            assert value not in stored
    before = counts(store)
    again = run_import(path, store)
    assert again.applied.created == 0 and again.applied.unchanged == 2 and again.applied.state_changes == 0
    assert counts(store) == before == (2, 2)


def test_jsonl_import_updates_states_and_keeps_history(tmp_path, store):
    path = tmp_path / "feed.jsonl"
    path.write_text(json.dumps({"receipt_code": "H15.50-251203-2035", "state": 4, "phone": "0912345678"}) + "\n",
                    encoding="utf-8")
    run_import(path, store)
    path.write_text("\n" + json.dumps({"receipt_code": "H15.50-251203-2035", "state": "da xu ly xong",
                                       "pickup_from": "2026-01-22T14:00:00+07:00"}) + "\n", encoding="utf-8")
    report = run_import(path, store)
    assert report.applied.updated == 1 and report.applied.state_changes == 1
    dossier = store.get("H15.50-251203-2035")
    assert dossier.state == 9 and dossier.pickup_from.isoformat() == "2026-01-22T14:00:00"
    assert dossier.contact_hash  # a field absent from the update keeps its value
    assert [(c.previous_state, c.state) for c in store.history(dossier.id)] == [(None, 4), (4, 9)]


def test_every_error_is_reported_with_its_line_and_nothing_is_applied(tmp_path, database_url):
    store = DossierStore(database_url)
    good = tmp_path / "good.csv"
    good.write_text(CSV_OK, encoding="utf-8")
    run_import(good, store)
    before = counts(store)
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "receipt_code,state,due_at,received_at,fee_due,phone,site\n"
        "H15.50-251203-2035,9,,,,,\n"  # valid: would change a state if applied
        "H15.50-251303-2035,4,,,,,\n"  # line 3: bad date in the code
        "H15.50-251203-2036,11,,,,,\n"  # line 4: unknown state
        "H15.50-251203-2037,4,31/02/2026,,,,\n"  # line 5: impossible date
        "H15.50-251203-2038,4,2025-12-01,2025-12-05,-5,12,Trụ Sở\n"  # line 6: due<received, fee, phone, site
        ",4,,,,,\n",  # line 7: no code
        encoding="utf-8")
    report = run_import(bad, store)
    assert not report.ok
    lines = sorted({error.line for error in report.errors})
    assert lines == [3, 4, 5, 6, 7]
    messages = [str(error) for error in report.errors]
    assert any(m.startswith("dòng 3: 'receipt_code' không hợp lệ") and "251303" in m for m in messages)
    assert any(m.startswith("dòng 4: 'state' không hợp lệ") for m in messages)
    assert any(m.startswith("dòng 5: 'due_at'") for m in messages)
    assert sum(m.startswith("dòng 6:") for m in messages) == 4
    assert any(m.startswith("dòng 7: thiếu trường bắt buộc 'receipt_code'") for m in messages)
    assert counts(store) == before
    assert store.get("H15.50-251203-2035").state == 4


def test_malformed_jsonl_lines_are_reported(tmp_path, store):
    path = tmp_path / "feed.jsonl"
    path.write_text('{"receipt_code": "H15.50-251203-2035", "state": 4}\n{not json\n[1, 2]\n', encoding="utf-8")
    report = run_import(path, store)
    assert [(e.line, e.message.split(" (")[0]) for e in report.errors] == [
        (2, "JSON không hợp lệ"), (3, "mỗi bản ghi phải là một đối tượng JSON")]
    assert counts(store) == (0, 0)


def test_wrong_extension_and_not_utf8(tmp_path, store):
    other = tmp_path / "feed.xlsx"
    other.write_bytes(b"PK")
    assert "chỉ nhận tệp .csv hoặc .jsonl" in str(run_import(other, store).errors[0])
    latin = tmp_path / "feed.csv"
    latin.write_bytes("receipt_code,state\nH15.50-251203-2035,Đang xử lý\n".encode("cp1258", errors="replace")
                      .replace(b"?", b"\xff"))
    errors = run_import(latin, store).errors
    assert errors and "UTF-8" in errors[0].message and errors[0].line == 2


@pytest.fixture
def cli_env(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("DOSSIER_CONTACT_SALT", SALT)
    monkeypatch.setenv("RASA_URL", "http://127.0.0.1:9")  # nothing listens: notifications stay pending
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()


def make_cli() -> click.Group:
    @click.group()
    def cli() -> None:
        pass

    register(cli)
    return cli


def test_cli_import_then_clerk_view(tmp_path, cli_env):
    path = tmp_path / "feed.csv"
    path.write_text(CSV_OK, encoding="utf-8")
    runner = CliRunner()
    result = runner.invoke(make_cli(), ["dossiers", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert "Đã nhập 2 bản ghi: 2 mới" in result.output
    assert "Đã bỏ các cột thông tin cá nhân (không lưu): address, applicant_name, id_number" in result.output
    shown = runner.invoke(make_cli(), ["ho-so", "h15.50 251204 0001"])
    assert shown.exit_code == 0
    assert "Trạng thái:      5 — Yêu cầu bổ sung giấy tờ" in shown.output
    assert "Cần bổ sung:     Bản sao giấy chứng sinh" in shown.output
    as_json = json.loads(runner.invoke(make_cli(), ["ho-so", "H15.50-251204-0001", "--json"]).output)
    assert as_json["state"] == 5 and as_json["has_contact"] is True and "contact_hash" not in as_json
    assert as_json["history"][0]["state"] == 5
    missing = runner.invoke(make_cli(), ["ho-so", "H15.50-251204-0099"])
    assert missing.exit_code == 1 and "Không có hồ sơ H15.50-251204-0099" in missing.output
    malformed = runner.invoke(make_cli(), ["ho-so", "abc"])
    assert malformed.exit_code == 2


def test_cli_import_errors_exit_nonzero_with_file_and_line(tmp_path, cli_env):
    path = tmp_path / "feed.csv"
    path.write_text("receipt_code,state\nH15.50-251203-2035,4\nH15.50-251203-2036,99\n", encoding="utf-8")
    result = CliRunner().invoke(make_cli(), ["dossiers", "import", str(path)])
    assert result.exit_code == 1
    assert f"{path}:3: 'state' không hợp lệ" in result.output
    assert "1 lỗi; không nhập bản ghi nào." in result.output


def test_empty_cell_clears_a_field_but_never_the_phone_hash(tmp_path, store):
    path = tmp_path / "feed.csv"
    path.write_text("receipt_code,state,supplement,phone\nH15.50-251203-2035,5,Bản sao giấy chứng sinh,0912345678\n",
                    encoding="utf-8")
    run_import(path, store)
    contact = store.get("H15.50-251203-2035").contact_hash
    path.write_text("receipt_code,state,supplement,phone\nH15.50-251203-2035,4,,\n", encoding="utf-8")
    report = run_import(path, store)
    dossier = store.get("H15.50-251203-2035")
    assert report.applied.state_changes == 1
    assert dossier.supplement is None and dossier.contact_hash == contact


def test_clerk_sees_and_lifts_the_chat_lock_of_a_code(tmp_path, cli_env, monkeypatch):
    from dossiers.service import Outcome, build_service

    monkeypatch.delenv("REDIS_URL", raising=False)
    get_settings.cache_clear()
    path = tmp_path / "feed.csv"
    path.write_text(CSV_OK, encoding="utf-8")
    runner = CliRunner()
    assert runner.invoke(make_cli(), ["dossiers", "import", str(path), "--no-notify"]).exit_code == 0
    code = "H15.50-251203-2035"
    shown = runner.invoke(make_cli(), ["ho-so", code])
    assert "Khóa tra cứu:    không khóa (0/5 lần nhập sai 4 số cuối trong 24 giờ qua" in shown.output
    service = build_service()
    for n in range(5):
        assert service.lookup(f"guesser-{n}", code, f"ip:203.0.113.{n}").outcome is Outcome.FOUND
        service.verify(f"guesser-{n}", "0000", f"ip:203.0.113.{n}")
    assert service.lookup("citizen", code, "ip:198.51.100.1").outcome is Outcome.LOCKED

    shown = runner.invoke(make_cli(), ["ho-so", code])
    assert shown.exit_code == 0
    assert "Khóa tra cứu:    ĐANG KHÓA tra cứu qua tin nhắn — 5 lần nhập sai 4 số cuối trong 24 giờ" in shown.output
    assert f"Mở khóa: thutuc ho-so unlock {code}" in shown.output
    lock = json.loads(runner.invoke(make_cli(), ["ho-so", code, "--json"]).output)["lock"]
    assert lock["locked"] is True and lock["failures"] == 5 and lock["since"] < lock["until"]

    unlocked = runner.invoke(make_cli(), ["ho-so", "unlock", code.lower()])
    assert unlocked.exit_code == 0, unlocked.output
    assert f"Đã mở khóa tra cứu hồ sơ {code}: xóa 5 lần nhập sai 4 số cuối" in unlocked.output
    from base.audit import AuditLog

    [audited] = AuditLog.from_settings().entries(action="unlock")  # who unlocked which code (masked), when
    assert audited.actor.startswith("cli:") and audited.target == "dossier:H15.50-******-**35"
    assert audited.detail == "5 lần nhập sai, đang khoá"
    assert "không khóa (0/5" in runner.invoke(make_cli(), ["ho-so", code]).output
    assert service.lookup("citizen", code, "ip:198.51.100.1").outcome is Outcome.FOUND
    again = runner.invoke(make_cli(), ["ho-so", "unlock", code])
    assert "không bị khóa và không có lần nhập sai nào; không thay đổi gì" in again.output
    assert runner.invoke(make_cli(), ["ho-so", "unlock", "H15.50-251204-0099"]).exit_code == 1
    assert "unlock" in runner.invoke(make_cli(), ["ho-so", "--help"]).output
