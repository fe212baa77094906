"""What every retention purge shares: durations as operators type them, and one delete-or-count per kind of row.

Each package that keeps personal data owns a `retention` module that says which of its rows are old
(handoff/retention.py, dossiers/retention.py, bot/retention.py for the conversations); `thutuc privacy purge`
(bot/privacy_cli.py) runs them all with one cutoff. A dry run counts exactly the rows a purge would delete.
"""
from __future__ import annotations

import re
from contextlib import contextmanager
from datetime import timedelta
from typing import Iterator

from sqlalchemy import delete, func, select
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.sql import ColumnElement
from sqlalchemy.sql.schema import Table

_DURATION = re.compile(r"\s*(\d{1,6})\s*([dhm])\s*", re.IGNORECASE)
_UNITS = {"d": "days", "h": "hours", "m": "minutes"}


def parse_duration(text: str) -> timedelta:
    """`90d`, `12h`, `30m` → a timedelta; anything else raises ValueError naming the accepted forms."""
    match = _DURATION.fullmatch(text or "")
    if match is None:
        raise ValueError(f"{text!r} is not a duration: write a number and d, h or m (90d, 12h, 30m)")
    return timedelta(**{_UNITS[match[2].lower()]: int(match[1])})


@contextmanager
def purge_transaction(engine: Engine) -> Iterator[Connection]:
    """One transaction for a purge, without the statement timeout of normal work (a first purge may be long)."""
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql("SET LOCAL statement_timeout = 0")
        yield connection


def delete_or_count(connection: Connection, table: Table, where: ColumnElement, dry_run: bool) -> int:
    """Delete the rows of `table` matching `where` and return how many; with `dry_run`, only count them."""
    if dry_run:
        return connection.execute(select(func.count()).select_from(table).where(where)).scalar_one()
    return connection.execute(delete(table).where(where)).rowcount


def pending_message_max_age(settings) -> timedelta:
    """How long an undelivered message waits for its citizen: `pending_message_days`, capped by `retention_days`
    (a message must not outlive the conversation it belongs to)."""
    return timedelta(days=max(1, min(settings.pending_message_days, settings.retention_days)))
