"""Held-out search quality on the shipped curated data: top-1 ≥ 90 %, top-3 ≥ 98 %, with and without diacritics."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.knowledge.quality import QUERIES_FILE, load_queries, measure

SHIPPED_DATA = Path(__file__).resolve().parents[2] / "knowledge" / "data"

pytestmark = pytest.mark.skipif(
    not QUERIES_FILE.exists(), reason=f"held-out query set {QUERIES_FILE.name} has not been written yet"
)


@pytest.fixture(scope="module")
def shipped_kb(tmp_path_factory):
    from knowledge.api import KnowledgeBase
    from knowledge.db import make_engine
    from knowledge.loader import load_curated

    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('quality') / 'kb.db'}")
    load_curated(engine, SHIPPED_DATA)
    yield KnowledgeBase(engine)
    engine.dispose()


@pytest.fixture(scope="module")
def quality(shipped_kb):
    queries = load_queries()
    assert len(queries) >= 200, "the held-out set must have at least 200 queries"
    return measure(shipped_kb.search, queries)


def _explain(result) -> str:
    return "\n".join(f"  {text!r}: expected {code}, got {ranked}" for text, code, ranked in result.misses[:40])


def test_every_expected_code_is_curated(shipped_kb):
    curated = set(shipped_kb.codes("curated"))
    missing = sorted({str(q["code"]) for q in load_queries()} - curated)
    assert not missing, f"queries expect procedures that are not in knowledge/data: {missing}"


@pytest.mark.parametrize("split", ["all", "with_diacritics", "without_diacritics"])
def test_top1_and_top3(quality, split):
    result = quality[split]
    assert result.total > 0
    assert result.top1_rate >= 0.90, f"top-1 {result.top1_rate:.1%} on {split}\n{_explain(result)}"
    assert result.top3_rate >= 0.98, f"top-3 {result.top3_rate:.1%} on {split}\n{_explain(result)}"
