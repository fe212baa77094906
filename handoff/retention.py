"""Retention of handoff data: closed tickets and answer feedback older than the cutoff are deleted.

Open tickets and callback tickets (a clerk still has to answer them) are kept whatever their age.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy.engine import Engine

from base.db import migrate
from base.retention import delete_or_count, purge_transaction
from handoff.store import TICKET_CLOSED, FeedbackRow, HandoffTicketRow

KINDS = ("closed_tickets", "feedback")


def purge(engine: Engine, cutoff: datetime, dry_run: bool = False) -> dict[str, int]:
    """Closed tickets closed before `cutoff` and feedback given before it (`cutoff` timezone-aware, UTC)."""
    migrate(engine=engine)
    tickets, feedback = HandoffTicketRow.__table__, FeedbackRow.__table__
    with purge_transaction(engine) as connection:
        return {
            "closed_tickets": delete_or_count(
                connection, tickets, (tickets.c.status == TICKET_CLOSED) & (tickets.c.closed_at < cutoff), dry_run),
            "feedback": delete_or_count(connection, feedback, feedback.c.created_at < cutoff, dry_run),
        }
