"""`thutuc privacy purge`: delete what is older than the retention period, in every store that keeps personal data.

| kind | store | what is deleted |
|---|---|---|
| conversations | conversation database (TRACKER_DATABASE_URL, Rasa's `events`) | every event of a conversation whose last event is older than the cutoff |
| closed tickets, feedback | project database (handoff/retention.py) | tickets closed before the cutoff, feedback given before it |
| lookup sessions, notifications | project database (dossiers/retention.py) | sessions last used before the cutoff, delivered or failed outbox rows |

Rate-limit events need no purge: they are deleted when their window ends (base/ratelimit.py).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Optional

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from base.db import get_engine, make_engine
from base.retention import purge_transaction
from base.settings import Settings, get_settings
from dossiers import retention as dossier_retention
from handoff import retention as handoff_retention

# The columns of Rasa's SQL tracker store table that the purge reads (rasa.core.tracker_store.SQLTrackerStore).
_events = sa.Table("events", sa.MetaData(), sa.Column("id", sa.Integer, primary_key=True),
                   sa.Column("sender_id", sa.String(255)), sa.Column("timestamp", sa.Float))


@dataclass(frozen=True)
class PurgeReport:
    cutoff: datetime  # UTC
    dry_run: bool
    counts: dict[str, int]


def purge_conversations(engine: Engine, cutoff: datetime, dry_run: bool = False) -> dict[str, int]:
    """Conversations whose newest event is older than `cutoff` (aware UTC), with all their events."""
    if not sa.inspect(engine).has_table(_events.name):
        return {"conversations": 0, "conversation_events": 0}
    old = (sa.select(_events.c.sender_id).group_by(_events.c.sender_id)
           .having(sa.func.max(_events.c.timestamp) < cutoff.timestamp()))
    of_old = _events.c.sender_id.in_(old.scalar_subquery())
    with purge_transaction(engine) as connection:
        conversations = connection.execute(sa.select(sa.func.count()).select_from(old.subquery())).scalar_one()
        if dry_run:
            events = connection.execute(sa.select(sa.func.count()).select_from(_events).where(of_old)).scalar_one()
        else:
            events = connection.execute(sa.delete(_events).where(of_old)).rowcount
    return {"conversations": conversations, "conversation_events": events}


def purge(older_than: Optional[timedelta] = None, dry_run: bool = False, settings: Optional[Settings] = None,
          now: Optional[datetime] = None) -> PurgeReport:
    """Everything older than `older_than` (default: THUTUC_RETENTION_DAYS) in both databases."""
    settings = settings or get_settings()
    older_than = older_than if older_than is not None else timedelta(days=settings.retention_days)
    cutoff = (now or datetime.now(timezone.utc)) - older_than
    counts: dict[str, int] = {}
    tracker_engine = make_engine(settings.tracker_database_url)
    try:
        counts.update(purge_conversations(tracker_engine, cutoff, dry_run))
    finally:
        tracker_engine.dispose()
    project = get_engine(settings.database_url)
    counts.update(handoff_retention.purge(project, cutoff, dry_run))
    counts.update(dossier_retention.purge(project, cutoff.replace(tzinfo=None), dry_run))
    return PurgeReport(cutoff, dry_run, counts)
