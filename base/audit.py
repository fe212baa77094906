"""The audit log: who (a staff account, or `cli:<system user>`) did what to which thing, and when.

One table, `base_audit_log` (Alembic branch `base`), written by every tool that acts on a citizen's case or on the
accounts: the clerk page (reply, close), `thutuc tickets close`, `thutuc ho-so unlock`, `thutuc users …`, logins.
Entries are only ever added. The detail is short and never holds a citizen's message (the conversation keeps that,
masked); it is masked again before it is written.
"""
from __future__ import annotations

import getpass
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Optional

from sqlalchemy import Column, DateTime, Index, Integer, MetaData, String, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import declarative_base

from base.privacy import mask_text

Base = declarative_base(metadata=MetaData(naming_convention={"ix": "ix_%(column_0_label)s", "pk": "pk_%(table_name)s"}))

MAX_DETAIL_CHARS = 300


class AuditRow(Base):
    __tablename__ = "base_audit_log"
    __table_args__ = (Index("ix_base_audit_log_at", "at"), Index("ix_base_audit_log_actor", "actor"))

    id = Column(Integer, primary_key=True)
    at = Column(DateTime(timezone=True), nullable=False)
    actor = Column(String(80), nullable=False)  # account name, or cli:<system user>
    action = Column(String(40), nullable=False)  # reply | close | unlock | login | login_failed | user_add | …
    target = Column(String(120), nullable=True)  # ticket:12, user:lan, dossier:H15.50-******-**35
    detail = Column(String(MAX_DETAIL_CHARS), nullable=True)


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: datetime
    actor: str
    action: str
    target: Optional[str]
    detail: Optional[str]


def cli_actor() -> str:
    """Who runs a command on the server: the system account (commands have no staff login)."""
    try:
        return "cli:" + getpass.getuser()
    except Exception:  # noqa: BLE001 - no user name in this environment
        return "cli:unknown"


class AuditLog:
    def __init__(self, engine: Engine) -> None:
        from base.db import migrate, session_factory

        migrate(engine=engine)
        self._sessions = session_factory(engine)

    @classmethod
    def from_settings(cls) -> "AuditLog":
        from base.db import get_engine

        return cls(get_engine())

    def record(self, actor: str, action: str, target: Optional[str] = None, detail: Optional[str] = None,
               at: Optional[datetime] = None) -> AuditEntry:
        row = AuditRow(at=at or datetime.now(timezone.utc), actor=actor[:80], action=action[:40],
                       target=target[:120] if target else None,
                       detail=mask_text(detail)[:MAX_DETAIL_CHARS] if detail else None)
        with self._sessions.begin() as session:
            session.add(row)
            session.flush()
            return _entry(row)

    def entries(self, limit: int = 100, actor: Optional[str] = None, action: Optional[str] = None) -> list[AuditEntry]:
        """Newest first."""
        query = select(AuditRow).order_by(AuditRow.at.desc(), AuditRow.id.desc()).limit(limit)
        if actor:
            query = query.where(AuditRow.actor == actor)
        if action:
            query = query.where(AuditRow.action == action)
        with self._sessions() as session:
            return [_entry(row) for row in session.execute(query).scalars()]


def _entry(row: AuditRow) -> AuditEntry:
    return AuditEntry(row.id, row.at, row.actor, row.action, row.target, row.detail)
