"""A Rasa tracker store that writes conversations with personal data masked.

Configure in endpoints.yml:

    tracker_store:
      type: bot.tracker_store.MaskingTrackerStore
      url: ${TRACKER_DATABASE_URL}      # any SQLAlchemy URL; empty → settings.tracker_database_url
      inner: sql                        # sql (default) | memory

Only the stored copy is masked (`base.privacy.mask_value` on user/bot texts, entities, slot values, metadata): the
tracker Rasa holds while handling a message is untouched, so actions in the same turn see what the citizen typed.
Later turns read the masked copy back, which is why features must not keep secrets in slots (the dossier lookup
keeps its receipt code server-side; see docs/dossiers.md).

When the database fails, `retrieve` and `save` raise `TrackerStoreUnavailable` instead of pretending: Rasa's
fail-safe wrapper would hand out an empty tracker (context and clerk pauses silently lost) and keep the turn in
memory. bot/outage_replies.py removes that wrapper for this store and tells the citizen the service is interrupted;
the stored conversation is untouched and continues once the database answers again. SQL runs on the blocking-call
pool (base/blocking.py), never on the event loop, with the connect and statement timeouts of base/db.py.
"""
from __future__ import annotations

import itertools
import json
import logging
from typing import Any, Iterable, Optional, Text

import sqlalchemy as sa

from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import InMemoryTrackerStore, SQLTrackerStore, TrackerStore
from rasa.shared.core.events import SessionStarted
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker

from base.blocking import run_blocking
from base.db import timeout_connect_args
from base.outage import OutageLog
from base.privacy import install_log_masking, mask_value

logger = logging.getLogger(__name__)
install_log_masking()

# Keys of serialised events that are structure, not content.
_KEEP = frozenset({"event", "timestamp", "input_channel", "message_id", "policy", "confidence", "name",
                   "action_text", "hide_rule_turn", "start", "end", "extractor", "entity", "intent_ranking",
                   "response_selector", "id"})


DATABASE_ERRORS = (sa.exc.SQLAlchemyError, OSError)


class TrackerStoreUnavailable(RuntimeError):
    """The conversation database cannot be read or written now; nothing was loaded or saved."""


def mask_event_dict(event: dict[str, Any]) -> dict[str, Any]:
    """One serialised Rasa event with every free-text value masked."""
    masked: dict[str, Any] = {}
    for key, value in event.items():
        if key in _KEEP:
            masked[key] = value
        elif key == "parse_data" and isinstance(value, dict):
            masked[key] = mask_event_dict(value)
        elif key == "entities" and isinstance(value, list):
            masked[key] = [mask_event_dict(item) if isinstance(item, dict) else mask_value(item) for item in value]
        else:
            masked[key] = mask_value(value)
    return masked


def masked_copy(tracker: DialogueStateTracker) -> DialogueStateTracker:
    """A new tracker with the same events, masked; the original is not modified."""
    events = [mask_event_dict(event.as_dict()) for event in tracker.events]
    return DialogueStateTracker.from_dict(
        tracker.sender_id, events, list(tracker.slots.values()), max_event_history=tracker._max_event_history
    )


class MaskedSQLTrackerStore(SQLTrackerStore):
    """Rasa's SQL tracker store, writing each new event masked, with one light query per save.

    Rasa's own `save` counts the stored events with an ORM query rebuilt for every message (SQLAlchemy spent more
    time generating its cache key than SQLite running it) and is handed a masked copy of the whole conversation,
    rebuilt event by event. This store masks only the events it is about to write and counts with one prepared
    statement; loading reads the same events as Rasa's `retrieve` with a prepared statement too. What ends up in the
    table is the rows Rasa writes, masked.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.engine.dialect.name == "sqlite" and self.engine.url.database not in (None, "", ":memory:"):
            self.engine = _pooled_sqlite_engine(self.engine)
            self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)
        elif self.engine.dialect.name == "postgresql":
            self.engine = _postgresql_engine_with_timeouts(self.engine)
            self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)
        table = self.SQLEvent.__table__
        session_start = (
            sa.select(sa.func.max(table.c.timestamp).label("start"))
            .where(table.c.sender_id == sa.bindparam("sender_id"), table.c.type_name == SessionStarted.type_name)
            .subquery()
        )
        # Events since the latest `session_started`, or all of them when there is none: exactly the events Rasa's
        # `retrieve` loads, hence the events of the tracker that are already stored.
        latest_session = (
            table.join(session_start, sa.true()),
            sa.and_(table.c.sender_id == sa.bindparam("sender_id"),
                    sa.or_(session_start.c.start.is_(None), table.c.timestamp >= session_start.c.start)),
        )
        self._count_since_session_start = (
            sa.select(sa.func.count()).select_from(latest_session[0]).where(latest_session[1])
        )
        self._latest_session_events = (
            sa.select(table.c.data).select_from(latest_session[0]).where(latest_session[1]).order_by(table.c.id)
        )
        self._insert_event = table.insert()

    async def retrieve(self, sender_id: Text) -> Optional[DialogueStateTracker]:
        """Rasa's `retrieve` (events of the latest session, in insertion order) with the prepared statement."""
        return self._tracker(sender_id, await run_blocking(self._latest_session_rows, sender_id))

    async def retrieve_full_tracker(self, conversation_id: Text) -> Optional[DialogueStateTracker]:
        """Rasa's: every session's events (the HTTP API's tracker view)."""
        return self._tracker(conversation_id, await run_blocking(self._all_session_rows, conversation_id))

    def _tracker(self, sender_id: Text, rows: list[str]) -> Optional[DialogueStateTracker]:
        if not rows or not self.domain:
            return None
        return DialogueStateTracker.from_dict(sender_id, [json.loads(data) for data in rows], self.domain.slots)

    def _latest_session_rows(self, sender_id: Text) -> list[str]:
        with self.session_scope() as session:
            return session.execute(self._latest_session_events, {"sender_id": sender_id}).scalars().all()

    def _all_session_rows(self, sender_id: Text) -> list[str]:
        with self.session_scope() as session:
            return [row.data for row in self._event_query(session, sender_id, fetch_events_from_all_sessions=True)]

    async def keys(self) -> Iterable[Text]:
        return await run_blocking(self._sender_ids)

    def _sender_ids(self) -> list[Text]:
        with self.session_scope() as session:
            return [sender_id for (sender_id,) in session.query(self.SQLEvent.sender_id).distinct()]

    async def save(self, tracker: DialogueStateTracker) -> None:
        rows = await run_blocking(self._save_new_events, tracker)
        if self.event_broker is not None:
            for row in rows:
                self.event_broker.publish({"sender_id": tracker.sender_id, **json.loads(row["data"])})

    def _save_new_events(self, tracker: DialogueStateTracker) -> list[dict[str, Any]]:
        """Insert the events not stored yet (the tracker is not modified meanwhile: Rasa holds the conversation lock
        while it saves)."""
        with self.session_scope() as session:
            stored = session.execute(self._count_since_session_start, {"sender_id": tracker.sender_id}).scalar_one()
            rows = []
            for event in itertools.islice(tracker.events, stored, None):
                data = mask_event_dict(event.as_dict())
                rows.append({
                    "sender_id": tracker.sender_id,
                    "type_name": event.type_name,
                    "timestamp": data.get("timestamp"),
                    "intent_name": (data.get("parse_data") or {}).get("intent", {}).get("name"),
                    "action_name": data.get("name"),
                    "data": json.dumps(data),
                })
            if rows:
                session.execute(self._insert_event, rows)
                session.commit()
        return rows


class MaskingTrackerStore(TrackerStore):
    """The configured tracker store: SQL (default) or in-memory; everything it persists is masked."""

    def __init__(self, domain: Optional[Domain] = None, host: Optional[Text] = None,
                 event_broker: Optional[EventBroker] = None, inner: Text = "sql",
                 url: Optional[Text] = None, **kwargs: Any) -> None:
        super().__init__(domain, None, **kwargs)
        if inner == "memory":
            self.inner: TrackerStore = InMemoryTrackerStore(domain, event_broker)
        else:
            db_url = url or host
            if not db_url:
                from base.settings import get_settings

                db_url = get_settings().tracker_database_url
            self.inner = MaskedSQLTrackerStore(domain, host=_ensure_sqlite_dir(db_url), event_broker=event_broker,
                                               **kwargs)
        # The wrapper publishes nothing itself: the inner store streams the masked events to the broker.
        self.event_broker = None
        self.outage = OutageLog("Tracker database", "citizens are told the service is interrupted, nothing is "
                                "answered from lost context", log=logger)

    @property
    def domain(self) -> Domain:
        return self.inner.domain

    @domain.setter
    def domain(self, domain: Optional[Domain]) -> None:
        self._domain = domain or Domain.empty()
        if hasattr(self, "inner"):
            self.inner.domain = domain

    async def save(self, tracker: DialogueStateTracker) -> None:
        try:
            if isinstance(self.inner, MaskedSQLTrackerStore):
                await self.inner.save(tracker)  # masks event by event as it writes
            else:
                await self.inner.save(masked_copy(tracker))
        except DATABASE_ERRORS as error:
            self.outage.failed(error)
            raise TrackerStoreUnavailable(f"conversation not saved: {type(error).__name__}") from error
        self.outage.succeeded()

    async def retrieve(self, sender_id: Text) -> Optional[DialogueStateTracker]:
        try:
            tracker = await self.inner.retrieve(sender_id)
        except DATABASE_ERRORS as error:
            self.outage.failed(error)
            raise TrackerStoreUnavailable(f"conversation not loaded: {type(error).__name__}") from error
        self.outage.succeeded()
        return tracker

    async def retrieve_full_tracker(self, conversation_id: Text) -> Optional[DialogueStateTracker]:
        return await self.inner.retrieve_full_tracker(conversation_id)

    async def keys(self) -> Iterable[Text]:
        return await self.inner.keys()


def _pooled_sqlite_engine(engine: sa.engine.Engine) -> sa.engine.Engine:
    """Embedded default only: pooled connections to a write-ahead-logged file, fsync at checkpoints.

    SQLAlchemy 1.4 opens and closes a new SQLite connection for every session, which is most of the cost of a
    save; a small pool keeps them open (used from the blocking-call pool's threads, one at a time per connection). With the write-ahead log a
    power cut may lose the last turns but never corrupts the file, and readers no longer wait for the writer.
    PostgreSQL (production) is left exactly as Rasa configures it.
    """
    pooled = sa.create_engine(engine.url, poolclass=sa.pool.QueuePool, pool_size=2, max_overflow=8,
                              connect_args=timeout_connect_args(str(engine.url), {"check_same_thread": False}))
    engine.dispose()

    @sa.event.listens_for(pooled, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    return pooled


def _postgresql_engine_with_timeouts(engine: sa.engine.Engine) -> sa.engine.Engine:
    """Rasa's PostgreSQL engine (same pool sizes and schema option) with base/db.py's connect and statement
    timeouts, and a ping on checkout so the first message after a database restart does not meet a dead connection."""
    from rasa.core.tracker_store import create_engine_kwargs

    kwargs = create_engine_kwargs(engine.url)
    kwargs["connect_args"] = timeout_connect_args(str(engine.url), kwargs.get("connect_args"))
    rebuilt = sa.create_engine(engine.url, pool_pre_ping=True, **kwargs)
    engine.dispose()
    return rebuilt


def _ensure_sqlite_dir(url: str) -> str:
    if url.startswith("sqlite:///") and not url.startswith("sqlite:///:memory:"):
        from pathlib import Path

        Path(url[len("sqlite:///"):]).expanduser().parent.mkdir(parents=True, exist_ok=True)
    return url
