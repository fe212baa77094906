"""The curated data shipped in knowledge/data loads on SQLite and PostgreSQL and meets the acceptance bar."""
from __future__ import annotations

from pathlib import Path

import pytest

from knowledge.curated_schema import read_curated

SHIPPED = Path(__file__).resolve().parents[2] / "knowledge" / "data"

pytestmark = pytest.mark.skipif(
    not any(SHIPPED.glob("procedures/*.yml")), reason="no curated data in knowledge/data/procedures yet"
)


def test_shipped_files_validate_without_errors():
    curated = read_curated(SHIPPED)
    assert [str(e) for e in curated.errors] == []


def test_shipped_data_loads_and_is_complete(engine):
    from knowledge.loader import load_curated
    from knowledge.stats import collect_stats

    load_curated(engine, SHIPPED)
    stats = collect_stats(engine, max_age_days=365)
    assert stats["procedures"]["curated"] >= 60, "at least 60 curated commune-level procedures"
    assert stats["incomplete"] == [], "every curated entry needs documents, a time limit, a fee, a decision, a date"
    # Entries whose national record gives no time limit are allowed only with a review flag saying so.
    flagged = {item["code"] for item in stats["flagged"]}
    assert set(stats["without_time_limit"]) <= flagged
    assert stats["curated_complete"] == stats["procedures"]["curated"] - len(stats["without_time_limit"])
    assert stats["sites"] >= 3


def test_sample_ward_is_marked_and_routes_every_curated_procedure(engine):
    from knowledge.api import KnowledgeBase
    from knowledge.loader import load_curated

    load_curated(engine, SHIPPED)
    kb = KnowledgeBase(engine)
    ward = kb.ward()
    assert ward is not None and ward.sample is True and len(ward.sites) >= 3
    unrouted = [code for code in kb.codes("curated") if not kb.sites_for(code)]
    assert unrouted == [], f"procedures with no receiving site: {unrouted}"
