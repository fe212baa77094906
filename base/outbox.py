"""Messages waiting for a citizen's channel to fetch them (the web chat page cannot be called; it asks).

A row is put when a clerk answers a web chat citizen; the page receives it through its long poll
(`GET /chat/updates`) while open, or when the citizen comes back. A row counts as delivered only when the page has
confirmed it (its next poll names the last id it shows), never when it was merely sent. Table `base_outbox`
(Alembic branch `base`); delivered rows are pruned after a day, undelivered ones after the pending-message limit
(`expire`, base/retention.py `pending_message_max_age`) with a log line that names no one.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Optional

from sqlalchemy import Column, DateTime, Index, Integer, MetaData, String, Text, delete, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import declarative_base

Base = declarative_base(metadata=MetaData(naming_convention={"ix": "ix_%(column_0_label)s", "pk": "pk_%(table_name)s"}))

logger = logging.getLogger(__name__)

KEEP_DELIVERED = timedelta(days=1)


class OutboxRow(Base):
    __tablename__ = "base_outbox"
    __table_args__ = (Index("ix_base_outbox_recipient_id", "recipient", "id"),)

    id = Column(Integer, primary_key=True)
    recipient = Column(String(128), nullable=False)  # the conversation id (web-…)
    author = Column(String(16), nullable=False)  # clerk | bot
    text = Column(Text, nullable=False)
    created_at = Column(DateTime(timezone=True), nullable=False)
    delivered_at = Column(DateTime(timezone=True), nullable=True)


@dataclass(frozen=True)
class OutboxMessage:
    id: int
    recipient: str
    author: str
    text: str
    created_at: datetime
    delivered_at: Optional[datetime]


def _now() -> datetime:
    return datetime.now(timezone.utc)


class Outbox:
    def __init__(self, engine: Engine) -> None:
        from base.db import migrate, session_factory

        migrate(engine=engine)
        self._sessions = session_factory(engine)

    @classmethod
    def from_settings(cls) -> "Outbox":
        from base.db import get_engine

        return cls(get_engine())

    def put(self, recipient: str, text: str, author: str = "clerk") -> OutboxMessage:
        with self._sessions.begin() as session:
            row = OutboxRow(recipient=recipient, author=author, text=text, created_at=_now())
            session.add(row)
            session.flush()
            return _message(row)

    def after(self, recipient: str, after_id: int, limit: int = 50) -> list[OutboxMessage]:
        """Undelivered messages for `recipient` newer than `after_id`, oldest first."""
        query = (select(OutboxRow).where(OutboxRow.recipient == recipient, OutboxRow.id > after_id,
                                         OutboxRow.delivered_at.is_(None))
                 .order_by(OutboxRow.id).limit(limit))
        with self._sessions() as session:
            return [_message(row) for row in session.execute(query).scalars()]

    def confirm(self, recipient: str, up_to_id: int) -> int:
        """The page shows every message up to `up_to_id`: mark them delivered (and prune old delivered rows)."""
        if up_to_id <= 0:
            return 0
        now = _now()
        with self._sessions.begin() as session:
            count = session.execute(
                update(OutboxRow)
                .where(OutboxRow.recipient == recipient, OutboxRow.id <= up_to_id, OutboxRow.delivered_at.is_(None))
                .values(delivered_at=now)
            ).rowcount
            session.execute(delete(OutboxRow).where(OutboxRow.delivered_at < now - KEEP_DELIVERED))
            return count

    def confirmed(self, ids: list[int]) -> tuple[set[int], set[int]]:
        """Of `ids`: those the page has confirmed, and those no longer kept (expired, or pruned after delivery)."""
        if not ids:
            return set(), set()
        with self._sessions() as session:
            rows = session.execute(select(OutboxRow.id, OutboxRow.delivered_at).where(OutboxRow.id.in_(ids))).all()
        kept = {row_id: delivered for row_id, delivered in rows}
        return ({row_id for row_id, delivered in kept.items() if delivered is not None},
                {row_id for row_id in ids if row_id not in kept})

    def expire(self, max_age: timedelta) -> int:
        """Drop undelivered messages queued more than `max_age` ago (their citizen never came back)."""
        with self._sessions.begin() as session:
            count = session.execute(
                delete(OutboxRow).where(OutboxRow.delivered_at.is_(None), OutboxRow.created_at < _now() - max_age)
            ).rowcount
        if count:
            logger.warning("outbox: %d undelivered web chat messages older than %s dropped", count, max_age)
        return count

    def messages(self, recipient: str) -> list[OutboxMessage]:
        """Every kept message for `recipient` (delivered or not), oldest first."""
        with self._sessions() as session:
            rows = session.execute(select(OutboxRow).where(OutboxRow.recipient == recipient).order_by(OutboxRow.id))
            return [_message(row) for row in rows.scalars()]


def _message(row: OutboxRow) -> OutboxMessage:
    return OutboxMessage(row.id, row.recipient, row.author, row.text, row.created_at, row.delivered_at)
