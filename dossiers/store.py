"""Persistence of dossiers, their state history, lookups, subscriptions and the notification outbox.

The only module that runs SQL for the dossier feature. Engines come from `base.db` (one per database URL per
process) and the schema is brought to Alembic's heads on first use.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Iterable, Optional

from sqlalchemy import delete, or_, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from base.crypto import decrypt, encrypt, sender_hash
from dossiers.feed import FeedRecord
from dossiers.models import (
    NOTIFY_PENDING,
    NOTIFY_SENDING,
    NOTIFY_SENT,
    NOTIFY_EXPIRED,
    NOTIFY_WAITING,
    Dossier,
    LookupSession,
    Notification,
    StateChange,
    Subscription,
)

UPDATABLE_FIELDS = (
    "procedure_code", "received_at", "due_at", "completed_at", "returned_at", "pickup_from", "supplement",
    "fee_due", "fee_note", "site", "contact_hash",
)


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None, microsecond=0)


def sender_key(sender_id: str) -> str:
    """Sender ids (Zalo user ids) are stored as a keyed hash where only equality matters."""
    return sender_hash(sender_id)


@dataclass
class ApplyResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    stale: int = 0
    state_changes: int = 0
    notifications: int = 0
    codes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class PendingNotification:
    id: int
    sender_id: str
    channel: str
    receipt_code: str
    state: int
    changed_at: datetime
    created_at: datetime
    attempts: int
    outbox_id: Optional[int]


def _pending(row) -> PendingNotification:
    """An outbox row with its subscriber's sender id decrypted (plain in rows stored before migration ds0003)."""
    notification_id, stored_sender, *rest = row
    return PendingNotification(notification_id, decrypt(stored_sender), *rest)


class DossierStore:
    def __init__(self, database_url: Optional[str] = None, engine: Optional[Engine] = None):
        from base.db import get_engine, migrate, session_factory

        self.engine = engine or get_engine(database_url)
        migrate(engine=self.engine)
        self._sessions = session_factory(self.engine)

    def session(self) -> Session:
        return self._sessions()

    # --- dossiers -------------------------------------------------------------------------------------------------

    def get(self, receipt_code: str) -> Optional[Dossier]:
        with self.session() as session:
            return session.execute(select(Dossier).where(Dossier.receipt_code == receipt_code)).scalar_one_or_none()

    def history(self, dossier_id: int) -> list[StateChange]:
        with self.session() as session:
            rows = session.execute(
                select(StateChange).where(StateChange.dossier_id == dossier_id).order_by(StateChange.id)
            )
            return list(rows.scalars())

    def apply(self, records: Iterable[FeedRecord], source: str, now: Optional[datetime] = None) -> ApplyResult:
        """Create or update every record in ONE transaction (all or nothing) and queue notifications.

        Idempotent: a record equal to what is stored changes nothing; a record older than the stored one (by the
        feed's `updated_at`) is skipped as stale; only a different state adds a history row (and notifications).
        """
        now = now or utcnow()
        result = ApplyResult()
        with self.session() as session, session.begin():
            for record in records:
                self._apply_one(session, record, source, now, result)
        return result

    def _apply_one(self, session: Session, record: FeedRecord, source: str, now: datetime,
                   result: ApplyResult) -> None:
        dossier = session.execute(
            select(Dossier).where(Dossier.receipt_code == record.receipt_code)
        ).scalar_one_or_none()
        if dossier is None:
            dossier = Dossier(receipt_code=record.receipt_code, state=int(record.state), source=source,
                              created_at=now, updated_at=now, source_updated_at=record.updated_at)
            for name in UPDATABLE_FIELDS:
                setattr(dossier, name, getattr(record, name))
            session.add(dossier)
            session.flush()
            session.add(StateChange(dossier_id=dossier.id, previous_state=None, state=int(record.state),
                                    changed_at=record.updated_at or now, recorded_at=now, source=source))
            result.created += 1
            result.codes.append(record.receipt_code)
            return
        if record.updated_at and dossier.source_updated_at and record.updated_at < dossier.source_updated_at:
            result.stale += 1
            return
        changed = False
        for name in UPDATABLE_FIELDS:
            if name in record.present and getattr(dossier, name) != getattr(record, name):
                setattr(dossier, name, getattr(record, name))
                changed = True
        if record.updated_at and record.updated_at != dossier.source_updated_at:
            dossier.source_updated_at = record.updated_at
        if dossier.state != int(record.state):
            change = StateChange(dossier_id=dossier.id, previous_state=dossier.state, state=int(record.state),
                                 changed_at=record.updated_at or now, recorded_at=now, source=source)
            dossier.state = int(record.state)
            session.add(change)
            session.flush()
            result.state_changes += 1
            result.notifications += self._queue_notifications(session, dossier.id, change.id, now)
            changed = True
        if changed:
            dossier.updated_at = now
            dossier.source = source
            result.updated += 1
            result.codes.append(record.receipt_code)
        else:
            result.unchanged += 1

    @staticmethod
    def _queue_notifications(session: Session, dossier_id: int, change_id: int, now: datetime) -> int:
        subscriptions = session.execute(select(Subscription.id).where(Subscription.dossier_id == dossier_id))
        count = 0
        for (subscription_id,) in subscriptions.all():
            session.add(Notification(subscription_id=subscription_id, change_id=change_id, status=NOTIFY_PENDING,
                                     attempts=0, created_at=now))
            count += 1
        return count

    # --- lookups (the code a sender found / verified) ---------------------------------------------------------------

    def remember_lookup(self, sender_id: str, dossier_id: int, now: datetime) -> None:
        key = sender_key(sender_id)
        with self.session() as session, session.begin():
            session.execute(delete(LookupSession).where(LookupSession.sender_key == key))
            session.add(LookupSession(sender_key=key, dossier_id=dossier_id, found_at=now, verified_at=None))

    def current_lookup(self, sender_id: str, max_age: timedelta, now: datetime) -> Optional[tuple[Dossier, bool]]:
        """(dossier, verified) for the sender's last found code, if not older than `max_age`."""
        with self.session() as session:
            row = session.execute(
                select(LookupSession, Dossier)
                .join(Dossier, Dossier.id == LookupSession.dossier_id)
                .where(LookupSession.sender_key == sender_key(sender_id))
            ).first()
        if row is None:
            return None
        lookup, dossier = row
        if now - (lookup.verified_at or lookup.found_at) > max_age:
            return None
        return dossier, lookup.verified_at is not None

    def mark_verified(self, sender_id: str, now: datetime) -> None:
        with self.session() as session, session.begin():
            session.execute(
                update(LookupSession).where(LookupSession.sender_key == sender_key(sender_id)).values(verified_at=now)
            )

    def forget_lookup(self, sender_id: str) -> None:
        with self.session() as session, session.begin():
            session.execute(delete(LookupSession).where(LookupSession.sender_key == sender_key(sender_id)))

    # --- subscriptions and the outbox -----------------------------------------------------------------------------

    def subscribe(self, dossier_id: int, sender_id: str, channel: str, now: datetime) -> bool:
        """True when a new subscription was stored, False when it already existed (the channel is refreshed)."""
        with self.session() as session, session.begin():
            existing = session.execute(
                select(Subscription).where(Subscription.dossier_id == dossier_id,
                                           Subscription.sender_hash == sender_key(sender_id))
            ).scalar_one_or_none()
            if existing is not None:
                existing.channel = channel
                return False
            session.add(Subscription(dossier_id=dossier_id, sender_id=encrypt(sender_id),
                                     sender_hash=sender_key(sender_id), channel=channel, created_at=now))
            return True

    def _outbox_rows(self):
        return (select(Notification.id, Subscription.sender_id, Subscription.channel, Dossier.receipt_code,
                       StateChange.state, StateChange.changed_at, Notification.created_at, Notification.attempts,
                       Notification.outbox_id)
                .join(Subscription, Subscription.id == Notification.subscription_id)
                .join(StateChange, StateChange.id == Notification.change_id)
                .join(Dossier, Dossier.id == Subscription.dossier_id))

    def pending_notifications(self, now: datetime, limit: int = 100) -> list[PendingNotification]:
        """Pending rows whose retry time has come (or that never failed), oldest first."""
        with self.session() as session:
            rows = session.execute(
                self._outbox_rows()
                .where(Notification.status == NOTIFY_PENDING,
                       or_(Notification.next_attempt_at.is_(None), Notification.next_attempt_at <= now))
                .order_by(Notification.id)
                .limit(limit)
            ).all()
        return [_pending(row) for row in rows]

    def waiting_notifications(self, limit: int = 500) -> list[PendingNotification]:
        """Web chat notifications in the outbox, not yet confirmed by the page."""
        with self.session() as session:
            rows = session.execute(
                self._outbox_rows().where(Notification.status == NOTIFY_WAITING).order_by(Notification.id).limit(limit)
            ).all()
        return [_pending(row) for row in rows]

    def claim_notification(self, notification_id: int, now: datetime) -> bool:
        """pending → sending, atomically: only one notifier (process or replica) wins a given row."""
        with self.session() as session, session.begin():
            claimed = session.execute(
                update(Notification)
                .where(Notification.id == notification_id, Notification.status == NOTIFY_PENDING)
                .values(status=NOTIFY_SENDING, attempts=Notification.attempts + 1, claimed_at=now)
            ).rowcount
        return claimed == 1

    def release_stale_claims(self, older_than: datetime) -> int:
        """sending → pending for claims taken before `older_than` (the notifier holding them died mid-send)."""
        with self.session() as session, session.begin():
            return session.execute(
                update(Notification)
                .where(Notification.status == NOTIFY_SENDING, Notification.claimed_at < older_than)
                .values(status=NOTIFY_PENDING, claimed_at=None, last_error="claim released")
            ).rowcount

    def _finish(self, notification_id: int, from_status: str, **values) -> bool:
        with self.session() as session, session.begin():
            return session.execute(
                update(Notification)
                .where(Notification.id == notification_id, Notification.status == from_status)
                .values(**values)
            ).rowcount == 1

    def mark_sent(self, notification_id: int, now: datetime, from_status: str = NOTIFY_SENDING) -> bool:
        """The channel took it (Zalo accepted it; the web chat page confirmed it)."""
        return self._finish(notification_id, from_status, status=NOTIFY_SENT, sent_at=now, claimed_at=None,
                            last_error=None)

    def mark_waiting(self, notification_id: int, outbox_id: int) -> bool:
        """Put in the web chat outbox: not sent until the page confirms it."""
        return self._finish(notification_id, NOTIFY_SENDING, status=NOTIFY_WAITING, outbox_id=outbox_id,
                            claimed_at=None)

    def mark_failed(self, notification_id: int, error: str, retry_at: datetime) -> bool:
        """Back to pending, not before `retry_at`."""
        return self._finish(notification_id, NOTIFY_SENDING, status=NOTIFY_PENDING, next_attempt_at=retry_at,
                            claimed_at=None, last_error=error[:200])

    def mark_expired(self, notification_id: int, from_status: str, reason: str) -> bool:
        return self._finish(notification_id, from_status, status=NOTIFY_EXPIRED, claimed_at=None,
                            last_error=reason[:200])

    def retry_now(self, sender_id: Optional[str] = None) -> int:
        """Pending rows (of one sender, or all) become due at once: the citizen is back, or an operator asked."""
        with self.session() as session, session.begin():
            query = update(Notification).where(Notification.status == NOTIFY_PENDING,
                                               Notification.next_attempt_at.is_not(None))
            if sender_id is not None:
                mine = select(Subscription.id).where(Subscription.sender_hash == sender_key(sender_id))
                query = query.where(Notification.subscription_id.in_(mine))
            return session.execute(query.values(next_attempt_at=None).execution_options(
                synchronize_session=False)).rowcount

    def notification_statuses(self) -> list[tuple[int, str, int]]:
        with self.session() as session:
            return [tuple(row) for row in session.execute(
                select(Notification.id, Notification.status, Notification.attempts).order_by(Notification.id)
            ).all()]
