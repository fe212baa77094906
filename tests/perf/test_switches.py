"""THUTUC_PERF_OFF leaves fixes out, and the Rasa-version guard leaves out the fixes bound to Rasa's internals."""
from __future__ import annotations

import re

import pytest
import rasa

import bot.perf as perf
from base.settings import PROJECT_ROOT, get_settings


@pytest.fixture
def perf_off(monkeypatch):
    def set_value(value: str) -> None:
        monkeypatch.setenv("THUTUC_PERF_OFF", value)
        get_settings.cache_clear()

    yield set_value
    monkeypatch.delenv("THUTUC_PERF_OFF", raising=False)
    get_settings.cache_clear()


def test_everything_by_default(perf_off):
    perf_off("")
    assert perf.selected() == list(perf.SWITCHABLE)


def test_named_fixes_are_left_out(perf_off):
    perf_off(" sentence_features, graph_runner ")
    assert perf.selected() == [n for n in perf.SWITCHABLE if n not in ("sentence_features", "graph_runner")]


def test_all_and_unknown_names(perf_off, caplog):
    perf_off("all")
    assert perf.selected() == []
    perf_off("no_such_fix,domain_empty")
    assert "domain_empty" not in perf.selected() and "no such performance fix: no_such_fix" in caplog.text


def test_other_rasa_version_leaves_version_bound_fixes_out(perf_off, monkeypatch, caplog):
    perf_off("")
    monkeypatch.setattr(rasa, "__version__", "3.7.0")
    chosen = perf.selected()
    assert chosen and not set(chosen) & perf.VERSION_BOUND and "not the pinned" in caplog.text


def test_pinned_version_is_the_installed_and_required_one():
    assert rasa.__version__ == perf.PINNED_RASA
    required = (PROJECT_ROOT / "requirements.in").read_text(encoding="utf-8")
    assert re.search(rf"^rasa(\[[^\]]*\])?=={re.escape(perf.PINNED_RASA)}$", required, re.MULTILINE)
    assert every_module_exists()


def every_module_exists() -> bool:
    return all((PROJECT_ROOT / "bot" / "perf" / f"{name}.py").exists() for name in perf.SWITCHABLE)
