from __future__ import annotations

import pytest

from tests.analytics import seed


@pytest.fixture
def seeded(database_url):
    """The seeded set in one database (tracker events and project tables side by side), SQLite and PostgreSQL."""
    seed.seed_tracker(database_url)
    seed.seed_project(database_url)
    return database_url
