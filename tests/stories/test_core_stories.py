"""Test stories (dialogue and NLU together) with `rasa test core --fail-on-prediction-errors`."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from base.settings import PROJECT_ROOT

pytestmark = pytest.mark.slow
STORIES = Path(__file__).parent


def test_all_test_stories_are_predicted_without_errors(tmp_path):
    from bot.training import ensure_model, rasa_environment

    model = ensure_model(quiet=True)
    result = subprocess.run(
        [str(Path(sys.executable).with_name("rasa")), "test", "core", "--model", str(model), "--stories", str(STORIES), "--out", str(tmp_path),
         "--fail-on-prediction-errors"],
        cwd=PROJECT_ROOT, env=rasa_environment(), capture_output=True, text=True, timeout=900,
    )
    failed = tmp_path / "failed_test_stories.yml"
    details = failed.read_text(encoding="utf-8") if failed.exists() else result.stdout[-4000:] + result.stderr[-4000:]
    assert result.returncode == 0, details
