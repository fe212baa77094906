from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def shipped_kb(tmp_path_factory):
    """The knowledge base with the shipped curated data, loaded once (a real catalogue for review decisions)."""
    from base.db import get_engine
    from base.settings import get_settings
    from knowledge.api import KnowledgeBase
    from knowledge.loader import load_curated

    engine = get_engine(f"sqlite:///{tmp_path_factory.mktemp('kb') / 'kb.db'}")
    from base.db import migrate

    migrate(engine=engine)
    load_curated(engine, get_settings().knowledge_data_dir)
    return KnowledgeBase(engine)


@pytest.fixture
def review_store(database_url, shipped_kb):
    from base.db import get_engine
    from review.store import ReviewStore

    return ReviewStore(get_engine(database_url), shipped_kb)
