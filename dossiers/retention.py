"""Retention of dossier-lookup data: old lookup sessions and finished outbox rows are deleted.

- lookup sessions whose last use (verified, else found) is older than the cutoff;
- notifications delivered before the cutoff, dropped ones (`expired`, see dossiers/notify.py) created before it, and
  undelivered ones created before it that were tried at least once (failed deliveries nobody will retry usefully).
  Rows never tried yet are kept: they wait for the notifier (which drops them after THUTUC_PENDING_MESSAGE_DAYS).

Dossiers, their state history and subscriptions are the one-stop system's records and follow its own retention;
they are not touched here.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, func, or_
from sqlalchemy.engine import Engine

from base.db import migrate
from base.retention import delete_or_count, purge_transaction
from dossiers.models import NOTIFY_EXPIRED, NOTIFY_SENT, LookupSession, Notification

KINDS = ("lookup_sessions", "notifications")


def purge(engine: Engine, cutoff: datetime, dry_run: bool = False) -> dict[str, int]:
    """`cutoff` is naive UTC, like the dossier tables' bookkeeping times."""
    migrate(engine=engine)
    sessions, outbox = LookupSession.__table__, Notification.__table__
    finished = or_(
        and_(outbox.c.status == NOTIFY_SENT, outbox.c.sent_at < cutoff),
        and_(outbox.c.status == NOTIFY_EXPIRED, outbox.c.created_at < cutoff),
        and_(outbox.c.status != NOTIFY_SENT, outbox.c.attempts > 0, outbox.c.created_at < cutoff),
    )
    with purge_transaction(engine) as connection:
        return {
            "lookup_sessions": delete_or_count(
                connection, sessions, func.coalesce(sessions.c.verified_at, sessions.c.found_at) < cutoff, dry_run),
            "notifications": delete_or_count(connection, outbox, finished, dry_run),
        }
