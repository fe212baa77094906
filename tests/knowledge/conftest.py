"""Fixtures for the knowledge-base tests: every database test runs on SQLite and on PostgreSQL.

PostgreSQL runs in a database created for this test session (thutuc_test_<random>, dropped at the end) with a fresh
schema per test, so concurrent test runs by other people never see each other's rows.
"""
from __future__ import annotations

import shutil
import uuid
from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parent / "fixtures"
FIXTURE_DATA = FIXTURES / "data"
# ../shared beside the checkout (CI, the main checkout), or beside a parent (a git worktree in a sub-directory)
SHARED_DVCQG = next((parent / "shared/reference/dvcqg" for parent in Path(__file__).resolve().parents[2].parents
                     if (parent / "shared/reference/dvcqg").is_dir()),
                    Path(__file__).resolve().parents[2].parent / "shared/reference/dvcqg")
PG_SERVER = "postgresql://postgres@127.0.0.1:5432"


@pytest.fixture(autouse=True, scope="session")
def _isolated_settings(tmp_path_factory):
    """Search-index cache in a temporary directory, and settings re-read for this session."""
    import os

    from base.settings import get_settings

    previous = os.environ.get("KNOWLEDGE_CACHE_DIR")
    os.environ["KNOWLEDGE_CACHE_DIR"] = str(tmp_path_factory.mktemp("kb-cache"))
    get_settings.cache_clear()
    yield
    if previous is None:
        os.environ.pop("KNOWLEDGE_CACHE_DIR", None)
    else:
        os.environ["KNOWLEDGE_CACHE_DIR"] = previous
    get_settings.cache_clear()


@pytest.fixture(scope="session")
def pg_database():
    """A PostgreSQL database for this session, or a skip when the server is not reachable."""
    psycopg2 = pytest.importorskip("psycopg2")
    name = f"thutuc_test_{uuid.uuid4().hex[:12]}"
    try:
        admin = psycopg2.connect(f"{PG_SERVER}/postgres", connect_timeout=3)
    except psycopg2.OperationalError as error:
        pytest.skip(f"PostgreSQL is not reachable at 127.0.0.1:5432: {error}")
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    yield f"{PG_SERVER}/{name}"
    from base.db import _engines

    for url, engine in list(_engines.items()):
        if name in url:
            engine.dispose()
            _engines.pop(url, None)
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.close()


def _postgres_url(pg_database: str) -> str:
    import psycopg2

    schema = f"t_{uuid.uuid4().hex[:12]}"
    connection = psycopg2.connect(pg_database)
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE SCHEMA "{schema}"')
    connection.close()
    return f"{pg_database}?options=-csearch_path%3D{schema}"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request, tmp_path) -> str:
    """A fresh, empty database URL (SQLite file or PostgreSQL schema)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'kb.db'}"
    return _postgres_url(request.getfixturevalue("pg_database"))


@pytest.fixture
def engine(db_url):
    from base.db import make_engine, migrate

    engine = make_engine(db_url)
    migrate(engine=engine)
    yield engine
    from knowledge import search

    search.invalidate(engine)
    engine.dispose()


@pytest.fixture
def data_dir(tmp_path) -> Path:
    """A writable copy of the fixture data set (tests corrupt it on purpose)."""
    target = tmp_path / "data"
    shutil.copytree(FIXTURE_DATA, target)
    return target


@pytest.fixture
def loaded(engine, data_dir):
    """An engine with the fixture data set loaded."""
    from knowledge.loader import load_curated

    load_curated(engine, data_dir)
    return engine


@pytest.fixture
def kb(loaded):
    from knowledge.api import KnowledgeBase

    return KnowledgeBase(loaded)


def snapshot(engine) -> dict:
    """Every knowledge table's rows (without surrogate ids), to compare database states."""
    from sqlalchemy import select

    from knowledge.models import Base

    state = {}
    with engine.connect() as connection:
        for table in Base.metadata.sorted_tables:
            columns = [c for c in table.columns if c.name not in ("id", "procedure_id", "ward_id", "updated_at")]
            rows = connection.execute(select(*columns)).all()
            state[table.name] = sorted(repr(tuple(row)) for row in rows)
    return state
