"""The trained model on the held-out set (never used for training) must meet the targets of docs/benchmarks.md."""
from __future__ import annotations

from pathlib import Path

import pytest

from bot.evaluation import evaluate_model

HELD_OUT = Path(__file__).parent / "test_nlu.yml"
# The product targets (issue 2): 95 % with and 93 % without diacritics; measured in docs/benchmarks.md.
MIN_ACCURACY_WITH_DIACRITICS = 0.95
MIN_ACCURACY_WITHOUT_DIACRITICS = 0.93
MIN_ENTITY_F1 = 0.80

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def evaluation():
    from bot.training import ensure_model

    return evaluate_model(ensure_model(quiet=True), HELD_OUT)


def _report(evaluation) -> str:
    return "\n".join(f"{p.gold_intent} → {p.top_intent}: {p.text}" for p in evaluation.errors())


def test_held_out_set_is_large_and_mixed(evaluation):
    assert len(evaluation.predictions) >= 300
    assert evaluation.split(diacritics=False).count >= len(evaluation.predictions) / 3


def test_intent_accuracy_with_diacritics(evaluation):
    scores = evaluation.split(diacritics=True)
    assert scores.accuracy >= MIN_ACCURACY_WITH_DIACRITICS, _report(evaluation)


def test_intent_accuracy_without_diacritics(evaluation):
    scores = evaluation.split(diacritics=False)
    assert scores.accuracy >= MIN_ACCURACY_WITHOUT_DIACRITICS, _report(evaluation)


def test_entity_f1(evaluation):
    assert evaluation.split(diacritics=None).entity_f1 >= MIN_ENTITY_F1
