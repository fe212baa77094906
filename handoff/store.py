"""Handoff tickets and answer feedback, kept in the project database beside the knowledge base.

A ticket pauses the bot in that conversation (Rasa's ConversationPaused) until a clerk closes it; closing resumes the
conversation through the Rasa HTTP API so the bot answers again.

Personal data at rest (base/crypto.py): a ticket's sender id and contact are stored encrypted (`enc:v1:`) and
decrypted when a ticket is read, its question masked (base.privacy.mask_text); tickets are found by a keyed hash of
the sender id. Feedback keeps only that hash. Values written before migration cv0002 (plain) still read.
"""
from __future__ import annotations

import hashlib
import logging
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Optional
from urllib.parse import quote

import requests
from sqlalchemy import Column, DateTime, ForeignKey, Integer, String, Text, func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import declarative_base

from base.crypto import decrypt, encrypt, sender_hash
from base.privacy import mask_text
from base.rasa_api import api_secret, auth_headers

from base.settings import get_settings

logger = logging.getLogger(__name__)

Base = declarative_base()
metadata = Base.metadata

TICKET_OPEN = "open"  # a clerk is expected in the conversation now (office hours); the bot is paused
TICKET_CALLBACK = "callback"  # after hours: a clerk answers on the next working day; the bot keeps answering
TICKET_CLOSED = "closed"
WAITING_STATUSES = (TICKET_OPEN, TICKET_CALLBACK)  # what the clerk page lists: someone waits for a person

# After-hours access codes: "HD-" and 6 symbols without look-alikes (0/O, 1/I/L, 2/Z, 5/S, 8/B): 26^6 ≈ 3·10^8
# codes, and wrong guesses are limited per client (bot/channels/access_codes.py). Only a hash is stored.
ACCESS_CODE_ALPHABET = "ACDEFGHJKMNPQRTUVWXY34679"
ACCESS_CODE_PREFIX = "HD"
ACCESS_CODE_LENGTH = 6
ACCESS_CODE_PATTERN = re.compile(rf"^\s*{ACCESS_CODE_PREFIX}[\s.-]?([A-Za-z0-9]{{{ACCESS_CODE_LENGTH}}})\s*$", re.IGNORECASE)


class HandoffTicketRow(Base):
    __tablename__ = "conv_handoff_tickets"

    id = Column(Integer, primary_key=True)
    sender_id = Column(Text, nullable=False)  # encrypted; the conversation to resume
    sender_hash = Column(String(64), nullable=False, index=True)  # keyed hash: which tickets are this sender's
    channel = Column(String(64), nullable=False)
    status = Column(String(16), nullable=False, index=True)
    question = Column(Text, nullable=True)  # masked
    contact = Column(Text, nullable=True)  # encrypted
    procedure_code = Column(String(32), nullable=True)
    created_at = Column(DateTime(timezone=True), nullable=False)
    closed_at = Column(DateTime(timezone=True), nullable=True)
    access_code_hash = Column(String(64), nullable=True, index=True)  # after-hours tickets only (cv0003)


class TicketReplyRow(Base):
    """What a clerk answered on a ticket (clear text: a clerk's own words), for citizens who come back with the
    ticket's access code, and for the time to a first reply."""

    __tablename__ = "conv_ticket_replies"

    id = Column(Integer, primary_key=True)
    ticket_id = Column(Integer, ForeignKey("conv_handoff_tickets.id", ondelete="CASCADE"), nullable=False, index=True)
    staff = Column(String(40), nullable=False)
    text = Column(Text, nullable=False)
    created_at = Column(DateTime(timezone=True), nullable=False)


class FeedbackRow(Base):
    __tablename__ = "conv_feedback"

    id = Column(Integer, primary_key=True)
    sender_hash = Column(String(64), nullable=False, index=True)  # keyed hash of the sender id, never the id
    value = Column(String(8), nullable=False)  # up | down
    procedure_code = Column(String(32), nullable=True, index=True)
    facet = Column(String(32), nullable=True)
    created_at = Column(DateTime(timezone=True), nullable=False)


@dataclass(frozen=True)
class TicketReply:
    id: int
    ticket_id: int
    staff: str
    text: str
    created_at: datetime


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


def _aware(moment: Optional[datetime]) -> Optional[datetime]:
    if moment is None:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)  # SQLite drops the zone


def _ticket(row: HandoffTicketRow) -> Ticket:
    return Ticket(
        id=row.id, sender_id=decrypt(row.sender_id), channel=row.channel, status=row.status, question=row.question,
        contact=decrypt(row.contact), procedure_code=row.procedure_code, created_at=_aware(row.created_at),
        closed_at=_aware(row.closed_at),
    )


def normalise_access_code(text: str) -> Optional[str]:
    """`hd 7kq-m4x` → `HD-7KQM4X`-style canonical code, or None when the text is not shaped like a code."""
    match = ACCESS_CODE_PATTERN.match(text or "")
    if match is None:
        return None
    return f"{ACCESS_CODE_PREFIX}-{match.group(1).upper()}"


def _code_hash(code: str) -> str:
    return hashlib.sha256(f"thutuc-access-code:{code}".encode("utf-8")).hexdigest()


def new_access_code() -> str:
    return ACCESS_CODE_PREFIX + "-" + "".join(secrets.choice(ACCESS_CODE_ALPHABET) for _ in range(ACCESS_CODE_LENGTH))


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
                    HandoffTicketRow.sender_hash == sender_hash(sender_id), HandoffTicketRow.status == status
                )
            ).scalars().first()
            if existing is not None:  # a second request while one is pending must not create a duplicate
                if question and not existing.question:
                    existing.question = mask_text(question)
                if contact:
                    existing.contact = encrypt(contact)
                return _ticket(existing)
            row = HandoffTicketRow(
                sender_id=encrypt(sender_id), sender_hash=sender_hash(sender_id), channel=channel, status=status,
                question=mask_text(question) if question else question, contact=encrypt(contact),
                procedure_code=procedure_code, created_at=_now(),
            )
            session.add(row)
            session.flush()
            return _ticket(row)

    def active_ticket(self, sender_id: str) -> Optional[Ticket]:
        with self._sessions() as session:
            row = session.execute(
                select(HandoffTicketRow).where(
                    HandoffTicketRow.sender_hash == sender_hash(sender_id), HandoffTicketRow.status == TICKET_OPEN
                )
            ).scalars().first()
            return _ticket(row) if row else None

    def issue_access_code(self, ticket_id: int) -> str:
        """A new access code for the ticket (replacing any earlier one); only its hash is kept."""
        code = new_access_code()
        with self._sessions.begin() as session:
            row = session.get(HandoffTicketRow, ticket_id)
            if row is None:
                raise KeyError(ticket_id)
            row.access_code_hash = _code_hash(code)
        return code

    def ticket_by_access_code(self, code: str) -> Optional[Ticket]:
        canonical = normalise_access_code(code)
        if canonical is None:
            return None
        with self._sessions() as session:
            row = session.execute(
                select(HandoffTicketRow).where(HandoffTicketRow.access_code_hash == _code_hash(canonical))
            ).scalars().first()
            return _ticket(row) if row else None

    def add_reply(self, ticket_id: int, staff: str, text: str) -> TicketReply:
        with self._sessions.begin() as session:
            row = TicketReplyRow(ticket_id=ticket_id, staff=staff, text=text, created_at=_now())
            session.add(row)
            session.flush()
            return TicketReply(row.id, row.ticket_id, row.staff, row.text, row.created_at)

    def replies(self, ticket_id: int) -> list[TicketReply]:
        with self._sessions() as session:
            rows = session.execute(select(TicketReplyRow).where(TicketReplyRow.ticket_id == ticket_id)
                                   .order_by(TicketReplyRow.id)).scalars()
            return [TicketReply(r.id, r.ticket_id, r.staff, r.text, _aware(r.created_at)) for r in rows]

    def get_ticket(self, ticket_id: int) -> Optional[Ticket]:
        with self._sessions() as session:
            row = session.get(HandoffTicketRow, ticket_id)
            return _ticket(row) if row else None

    def list_tickets(self, status: Optional[str | tuple[str, ...]] = TICKET_OPEN) -> list[Ticket]:
        """Tickets in one status or several (None = all), oldest first, as a clerk works through them."""
        query = select(HandoffTicketRow).order_by(HandoffTicketRow.created_at, HandoffTicketRow.id)
        if isinstance(status, tuple):
            query = query.where(HandoffTicketRow.status.in_(status))
        elif status:
            query = query.where(HandoffTicketRow.status == status)
        with self._sessions() as session:
            return [_ticket(row) for row in session.execute(query).scalars()]

    def waiting_counts(self) -> dict[str, int]:
        """How many tickets wait for a clerk, per status (`open`, `callback`): one grouped count, no row read."""
        query = (select(HandoffTicketRow.status, func.count(HandoffTicketRow.id))
                 .where(HandoffTicketRow.status.in_(WAITING_STATUSES)).group_by(HandoffTicketRow.status))
        counts = {status: 0 for status in WAITING_STATUSES}
        with self._sessions() as session:
            for status, count in session.execute(query):
                counts[status] = int(count)
        return counts

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
            session.add(FeedbackRow(sender_hash=sender_hash(sender_id), value=value, procedure_code=procedure_code,
                                    facet=facet, created_at=_now()))

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
    url = f"{base}/conversations/{quote(sender_id, safe='')}/tracker/events"
    # Pausing stopped Rasa's prediction loop before it could listen; resume *and* listen so the next message is
    # handled by the rules like any other turn.
    events = [{"event": "resume"}, {"event": "action", "name": "action_listen"}]
    try:
        response = requests.post(url, headers=auth_headers(token or api_secret(settings)), json=events,
                                 timeout=timeout_s)
    except requests.RequestException as error:
        raise ResumeError(f"Rasa server unreachable at {base}: {error.__class__.__name__}") from error
    if response.status_code != 200:
        raise ResumeError(f"Rasa server refused to resume the conversation (HTTP {response.status_code})")


def close_and_resume(store: ConversationStore, ticket_id: int, **resume_kwargs) -> Optional[Ticket]:
    """Close a ticket and let the bot answer that citizen again; the one operation clerks' tools call. An after-hours
    ticket never paused the bot, so closing it resumes nothing."""
    before = store.get_ticket(ticket_id) if hasattr(store, "get_ticket") else None
    ticket = store.close_ticket(ticket_id)
    if ticket is not None and (before is None or before.status != TICKET_CALLBACK):
        resume_conversation(ticket.sender_id, **resume_kwargs)
    return ticket
