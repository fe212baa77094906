"""The knowledge-base commands through click's test runner, on a group of our own (SQLite and PostgreSQL)."""
from __future__ import annotations

import json

import click
import pytest
from click.testing import CliRunner

from knowledge.cli import register


@pytest.fixture
def cli_group():
    @click.group()
    def group() -> None:
        pass

    register(group)
    return group


@pytest.fixture
def run(cli_group, db_url, monkeypatch):
    """Invoke a command against the test database (DATABASE_URL through settings)."""
    from base.settings import get_settings

    monkeypatch.setenv("DATABASE_URL", db_url)
    get_settings.cache_clear()

    def invoke(*args: str):
        return CliRunner().invoke(cli_group, list(args), catch_exceptions=False)

    yield invoke
    get_settings.cache_clear()


@pytest.fixture
def loaded_cli(run, data_dir):
    result = run("kb", "load", str(data_dir))
    assert result.exit_code == 0, result.stderr
    assert "Đã nạp 6 thủ tục" in result.stdout
    return run


def test_load_reports_errors_and_exits_non_zero(run, data_dir):
    path = data_dir / "procedures/ho-tich.yml"
    path.write_text(path.read_text(encoding="utf-8").replace("originals: 1", "originals: -1", 1), encoding="utf-8")
    result = run("kb", "load", str(data_dir))
    assert result.exit_code == 1
    assert "'originals' không được âm (-1)" in result.stderr
    assert "ho-tich.yml:" in result.stderr
    assert "cơ sở dữ liệu không thay đổi" in result.stderr
    stats = json.loads(run("kb", "stats", "--json").stdout)
    assert stats["procedures"]["total"] == 0


def test_search_json(loaded_cli):
    result = loaded_cli("search", "cho mình hỏi làm giấy khai sinh", "--json", "--limit", "2")
    hits = json.loads(result.stdout)
    assert len(hits) <= 2 and hits[0]["code"] == "1.001193" and hits[0]["name"] == "Đăng ký khai sinh"
    assert set(hits[0]) == {"code", "name", "score", "status"}


def test_tra_prints_the_card(loaded_cli):
    result = loaded_cli("tra", "lam giay khai sinh cho con")
    assert result.exit_code == 0
    out = result.stdout
    assert out.startswith("Đăng ký khai sinh — mã 1.001193")
    assert "Giấy chứng sinh — 1 bản chính" in out
    assert "[trường hợp ủy quyền]" in out
    assert "Nộp trực tiếp: 1 ngày làm việc" in out and "lệ phí: miễn phí" in out
    assert "Số 1 Đường Thử" in out and "Thứ Hai–Thứ Sáu: 07:30–11:30, 13:30–17:00" in out
    assert "Quyết định công bố 163/QĐ-BTP" in out and "10/06/2026" in out


def test_tra_says_province_fee_without_a_number(loaded_cli):
    out = loaded_cli("tra", "1.000656").stdout
    assert "do Hội đồng nhân dân tỉnh quy định" in out
    assert "đồng" not in out.split("CÁCH NỘP")[1].split("NƠI NỘP")[0].replace("Hội đồng", "")


def test_tra_lists_close_candidates_instead_of_guessing(loaded_cli):
    result = loaded_cli("tra", "đăng ký")
    assert result.exit_code == 2
    assert "Có nhiều thủ tục gần giống" in result.stdout
    assert "1.001193" in result.stdout and "1.000894" in result.stdout


def test_tra_json_and_printable_checklist(loaded_cli, tmp_path):
    out_file = tmp_path / "checklist.html"
    result = loaded_cli("tra", "1.001193", "--json", "--print", str(out_file))
    data = json.loads(result.stdout)
    assert data["code"] == "1.001193" and data["sites"][0]["id"] == "tru-so-chinh"
    assert data["channels"][0]["time_limit"] == {"value": 1, "unit": "working_day", "rule": data["channels"][0]["time_limit"]["rule"]}
    html = out_file.read_text(encoding="utf-8")
    assert "<h1>Đăng ký khai sinh" in html and "Giấy chứng sinh" in html and "1 bản chính" in html


def test_printable_checklist_escapes_text(loaded_cli, data_dir, tmp_path):
    path = data_dir / "procedures/ho-tich.yml"
    path.write_text(path.read_text(encoding="utf-8").replace("name: Giấy chứng sinh", "name: <script>alert(1)</script> Giấy chứng sinh"),
                    encoding="utf-8")
    assert loaded_cli("kb", "load", str(data_dir)).exit_code == 0
    out_file = tmp_path / "c.html"
    loaded_cli("tra", "1.001193", "--print", str(out_file))
    html = out_file.read_text(encoding="utf-8")
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_stats_json(loaded_cli):
    stats = json.loads(loaded_cli("kb", "stats", "--json").stdout)
    assert stats["procedures"] == {"total": 6, "curated": 6, "imported": 0}
    assert stats["sites"] == 3 and stats["documents"] == 10 and stats["channels"] == 10
    assert stats["curated_complete"] == 6 and stats["incomplete"] == []
    assert [s["code"] for s in stats["stale"]] == ["1.000894"]  # reviewed 2020-01-01, older than 365 days


def test_export_nlu_is_deterministic(loaded_cli, tmp_path):
    first, second = tmp_path / "a.yml", tmp_path / "b.yml"
    loaded_cli("kb", "export-nlu", str(first))
    loaded_cli("kb", "export-nlu", str(second))
    text = first.read_text(encoding="utf-8")
    assert text == second.read_text(encoding="utf-8")
    import yaml

    data = yaml.safe_load(text)
    assert data["version"] == "3.1" and data["nlu"][0]["lookup"] == "procedure"
    entries = [line[2:] for line in data["nlu"][0]["examples"].splitlines()]
    assert entries == sorted(entries) and len(entries) == len(set(entries))
    assert {"giấy chứng tử", "giay chung tu", "nhập hộ khẩu", "nhap ho khau"} <= set(entries)


def test_import_command_reports_unreadable_lines_and_curated_skips(loaded_cli, tmp_path):
    from tests.knowledge.test_importer import SYNTHETIC, _write_jsonl

    path = tmp_path / "catalogue.jsonl"
    _write_jsonl(path, SYNTHETIC, bad_line=True)
    result = loaded_cli("kb", "import", str(path))
    assert result.exit_code == 0
    assert "nhập 1 thủ tục" in result.stdout
    assert "Giữ nguyên 1 thủ tục đã biên soạn: 1.001193" in result.stdout
    assert f"{path}:3: JSON không hợp lệ" in result.stderr
    stats = json.loads(loaded_cli("kb", "stats", "--json").stdout)
    assert stats["procedures"] == {"total": 7, "curated": 6, "imported": 1}


def test_load_check_validates_without_writing(run, data_dir):
    result = run("kb", "load", "--check", str(data_dir))
    assert result.exit_code == 0 and "Dữ liệu hợp lệ: 6 thủ tục, có ward.yml." in result.stdout
    assert json.loads(run("kb", "stats", "--json").stdout)["procedures"]["total"] == 0
    path = data_dir / "ward.yml"
    path.write_text(path.read_text(encoding="utf-8").replace('"07:30", "11:30"', '"7:30", "11:30"', 1), encoding="utf-8")
    result = run("kb", "load", "--check", str(data_dir))
    assert result.exit_code == 1 and "giờ không hợp lệ trong 'mon'" in result.stderr
