"""Handoff tickets and answer feedback, kept in the project database beside the knowledge base.

A ticket pauses the bot in that conversation (Rasa's ConversationPaused) until a clerk closes it; closing resumes the
conversation through the Rasa HTTP API so the bot answers again.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Optional
from urllib.parse import quote

import requests
from sqlalchemy import Column, DateTime, Integer, String, Text, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import declarative_base

from base.settings import get_settings

logger = logging.getLogger(__name__)

Base = declarative_base()
metadata = Base.metadata

TICKET_OPEN = "open"  # a clerk is expected in the conversation now (office hours); the bot is paused
TICKET_CALLBACK = "callback"  # after hours: a clerk answers on the next working day; the bot keeps answering
TICKET_CLOSED = "closed"


class HandoffTicketRow(Base):
    __tablename__ = "conv_handoff_tickets"

    id = Column(Integer, primary_key=True)
    sender_id = Column(String(128), nullable=False, index=True)
    channel = Column(String(64), nullable=False)
    status = Column(String(16), nullable=False, index=True)
    question = Column(Text, nullable=True)
    contact = Column(String(128), nullable=True)
    procedure_code = Column(String(32), nullable=True)
    created_at = Column(DateTime(timezone=True), nullable=False)
    closed_at = Column(DateTime(timezone=True), nullable=True)


class FeedbackRow(Base):
    __tablename__ = "conv_feedback"

    id = Column(Integer, primary_key=True)
    sender_id = Column(String(128), nullable=False, index=True)
    value = Column(String(8), nullable=False)  # up | down
    procedure_code = Column(String(32), nullable=True, index=True)
    facet = Column(String(32), nullable=True)
    created_at = Column(DateTime(timezone=True), nullable=False)


@dataclass(frozen=True)
class Ticket:
    id: int
    sender_id: str
    channel: str
    status: str
    question: Optional[str]
    contact: Optional[str]
    procedure_code: Optional[str]
    created_at: datetime
    closed_at: Optional[datetime]


def _ticket(row: HandoffTicketRow) -> Ticket:
    return Ticket(
        id=row.id, sender_id=row.sender_id, channel=row.channel, status=row.status, question=row.question,
        contact=row.contact, procedure_code=row.procedure_code, created_at=row.created_at, closed_at=row.closed_at,
    )


def _now() -> datetime:
    return datetime.now(timezone.utc)


class ConversationStore:
    """Tickets and feedback; every method is one short transaction."""

    def __init__(self, engine: Engine) -> None:
        from base.db import migrate, session_factory

        migrate(engine=engine)
        self._sessions = session_factory(engine)

    @classmethod
    def from_settings(cls) -> "ConversationStore":
        from base.db import get_engine

        return cls(get_engine())

    def open_ticket(self, sender_id: str, channel: str, question: Optional[str], *, status: str = TICKET_OPEN,
                    contact: Optional[str] = None, procedure_code: Optional[str] = None) -> Ticket:
        with self._sessions.begin() as session:
            existing = session.execute(
                select(HandoffTicketRow).where(
                    HandoffTicketRow.sender_id == sender_id, HandoffTicketRow.status == status
                )
            ).scalars().first()
            if existing is not None:  # a second request while one is pending must not create a duplicate
                if question and not existing.question:
                    existing.question = question
                if contact:
                    existing.contact = contact
                return _ticket(existing)
            row = HandoffTicketRow(
                sender_id=sender_id, channel=channel, status=status, question=question, contact=contact,
                procedure_code=procedure_code, created_at=_now(),
            )
            session.add(row)
            session.flush()
            return _ticket(row)

    def active_ticket(self, sender_id: str) -> Optional[Ticket]:
        with self._sessions() as session:
            row = session.execute(
                select(HandoffTicketRow).where(
                    HandoffTicketRow.sender_id == sender_id, HandoffTicketRow.status == TICKET_OPEN
                )
            ).scalars().first()
            return _ticket(row) if row else None

    def get_ticket(self, ticket_id: int) -> Optional[Ticket]:
        with self._sessions() as session:
            row = session.get(HandoffTicketRow, ticket_id)
            return _ticket(row) if row else None

    def list_tickets(self, status: Optional[str] = TICKET_OPEN) -> list[Ticket]:
        """Tickets in one status (None = all), oldest first, as a clerk works through them."""
        query = select(HandoffTicketRow).order_by(HandoffTicketRow.created_at, HandoffTicketRow.id)
        if status:
            query = query.where(HandoffTicketRow.status == status)
        with self._sessions() as session:
            return [_ticket(row) for row in session.execute(query).scalars()]

    def close_ticket(self, ticket_id: int) -> Optional[Ticket]:
        with self._sessions.begin() as session:
            row = session.get(HandoffTicketRow, ticket_id)
            if row is None:
                return None
            if row.status != TICKET_CLOSED:
                row.status = TICKET_CLOSED
                row.closed_at = _now()
            return _ticket(row)

    def record_feedback(self, sender_id: str, value: str, procedure_code: Optional[str],
                        facet: Optional[str] = None) -> None:
        if value not in {"up", "down"}:
            raise ValueError(f"feedback must be 'up' or 'down', not {value!r}")
        with self._sessions.begin() as session:
            session.add(FeedbackRow(sender_id=sender_id, value=value, procedure_code=procedure_code, facet=facet,
                                    created_at=_now()))

    def feedback_counts(self) -> dict[tuple[Optional[str], str], int]:
        """(procedure code, up|down) → count, for operators' reports."""
        counts: dict[tuple[Optional[str], str], int] = {}
        with self._sessions() as session:
            for row in session.execute(select(FeedbackRow)).scalars():
                key = (row.procedure_code, row.value)
                counts[key] = counts.get(key, 0) + 1
        return counts


class ResumeError(RuntimeError):
    pass


def resume_conversation(sender_id: str, rasa_url: Optional[str] = None, token: Optional[str] = None,
                        timeout_s: float = 5.0) -> None:
    """Tell the Rasa server to answer this conversation again (appends a ConversationResumed event)."""
    settings = get_settings()
    base = (rasa_url or settings.rasa_url).rstrip("/")
    token = token or settings.rasa_api_token
    url = f"{base}/conversations/{quote(sender_id, safe='')}/tracker/events"
    # Pausing stopped Rasa's prediction loop before it could listen; resume *and* listen so the next message is
    # handled by the rules like any other turn.
    events = [{"event": "resume"}, {"event": "action", "name": "action_listen"}]
    try:
        response = requests.post(url, params={"token": token} if token else None, json=events, timeout=timeout_s)
    except requests.RequestException as error:
        raise ResumeError(f"Rasa server unreachable at {base}: {error.__class__.__name__}") from error
    if response.status_code != 200:
        raise ResumeError(f"Rasa server refused to resume the conversation (HTTP {response.status_code})")


def close_and_resume(store: ConversationStore, ticket_id: int, **resume_kwargs) -> Optional[Ticket]:
    """Close a ticket and let the bot answer that citizen again; the one operation clerks' tools call."""
    ticket = store.close_ticket(ticket_id)
    if ticket is not None:
        resume_conversation(ticket.sender_id, **resume_kwargs)
    return ticket
