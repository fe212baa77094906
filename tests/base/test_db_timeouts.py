"""Database calls are bounded: PostgreSQL statements end at DATABASE_STATEMENT_TIMEOUT, a locked SQLite file is
waited for SQLITE_BUSY_TIMEOUT at most (base/db.py)."""
from __future__ import annotations

import time

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from base.db import make_engine, timeout_connect_args
from base.settings import get_settings


@pytest.fixture
def timeouts(monkeypatch):
    monkeypatch.setenv("DATABASE_STATEMENT_TIMEOUT", "0.3")
    monkeypatch.setenv("DATABASE_CONNECT_TIMEOUT", "2")
    monkeypatch.setenv("SQLITE_BUSY_TIMEOUT", "0.3")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_postgresql_gets_connect_and_statement_timeouts(timeouts):
    args = timeout_connect_args("postgresql://u@db/x", {"options": "-csearch_path=ward"})
    assert args == {"connect_timeout": 2, "options": "-csearch_path=ward -c statement_timeout=300"}
    # Options in the URL itself are kept (connect_args would otherwise replace them).
    args = timeout_connect_args("postgresql://u@db/x?options=-csearch_path%3Dt_1")
    assert args["options"] == "-csearch_path=t_1 -c statement_timeout=300"


@pytest.mark.postgres
def test_a_slow_postgresql_statement_is_cancelled(timeouts):
    engine = make_engine("postgresql+psycopg2://postgres@127.0.0.1:5432/test")
    try:
        try:
            connection = engine.connect()
        except OperationalError as error:
            pytest.skip(f"PostgreSQL at 127.0.0.1:5432 is not reachable: {type(error).__name__}")
        with connection:
            started = time.monotonic()
            with pytest.raises(OperationalError, match="statement timeout"):
                connection.execute(text("SELECT pg_sleep(5)"))
            assert time.monotonic() - started < 2
    finally:
        engine.dispose()


def test_a_locked_sqlite_file_is_waited_for_briefly(timeouts, tmp_path):
    url = f"sqlite:///{tmp_path / 'busy.db'}"
    holder, writer = make_engine(url), make_engine(url)
    try:
        with holder.begin() as connection:
            connection.execute(text("CREATE TABLE t (x INTEGER)"))
        with holder.connect() as held:
            held.exec_driver_sql("BEGIN EXCLUSIVE")
            started = time.monotonic()
            with pytest.raises(OperationalError, match="locked"):
                with writer.begin() as connection:
                    connection.execute(text("INSERT INTO t VALUES (1)"))
            assert 0.25 < time.monotonic() - started < 2
            held.exec_driver_sql("ROLLBACK")
    finally:
        holder.dispose()
        writer.dispose()
