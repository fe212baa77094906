"""Tables of the dossier status store (same database as the knowledge base, own metadata and migration branch).

What is deliberately absent: applicant names, ID numbers, addresses and phone numbers. The only trace of the
applicant is `contact_hash`, a salted hash of the last four phone digits, which can verify a second factor but never
be shown. Sender ids (Zalo user ids) are stored as a keyed hash (base/crypto.py), and encrypted beside it only where a
message must be pushed to them later (subscriptions). Dossier dates are naive local times of the deployment (settings.timezone); bookkeeping timestamps are UTC.
"""
from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import declarative_base, relationship

_NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

Base = declarative_base(metadata=MetaData(naming_convention=_NAMING))

NOTIFY_PENDING = "pending"  # due at `next_attempt_at` (or now)
NOTIFY_SENDING = "sending"  # claimed by one notifier since `claimed_at`
NOTIFY_WAITING = "waiting"  # in the web chat outbox (`outbox_id`): sent only once the page confirms it
NOTIFY_SENT = "sent"  # Zalo accepted it, or the web chat page confirmed it
NOTIFY_EXPIRED = "expired"  # undelivered past the pending-message limit: dropped, never sent


class Dossier(Base):
    __tablename__ = "dossiers"

    id = Column(Integer, primary_key=True)
    receipt_code = Column(String(64), nullable=False, unique=True)
    procedure_code = Column(String(32))
    state = Column(Integer, nullable=False)
    received_at = Column(DateTime)
    due_at = Column(DateTime)
    completed_at = Column(DateTime)
    returned_at = Column(DateTime)
    supplement = Column(Text)  # what the citizen must add (state 5)
    fee_due = Column(BigInteger)  # VND the citizen must pay (state 6), as the one-stop system states it
    fee_note = Column(Text)
    site = Column(String(64))  # ward site id (knowledge base) handling the dossier: where to supplement / pick up
    pickup_from = Column(DateTime)
    contact_hash = Column(String(64))  # HMAC of the last 4 phone digits; never returned
    source = Column(String(16), nullable=False)  # import | sync | external
    source_updated_at = Column(DateTime)  # the feed's own timestamp, to ignore stale records
    created_at = Column(DateTime, nullable=False)
    updated_at = Column(DateTime, nullable=False)

    changes = relationship("StateChange", back_populates="dossier", order_by="StateChange.id")


class StateChange(Base):
    __tablename__ = "dossier_state_changes"

    id = Column(Integer, primary_key=True)
    dossier_id = Column(Integer, ForeignKey("dossiers.id", ondelete="CASCADE"), nullable=False, index=True)
    previous_state = Column(Integer)
    state = Column(Integer, nullable=False)
    changed_at = Column(DateTime, nullable=False)  # when it changed (feed time if given)
    recorded_at = Column(DateTime, nullable=False)
    source = Column(String(16), nullable=False)

    dossier = relationship("Dossier", back_populates="changes")


class Subscription(Base):
    """A citizen asked to be told about changes; the channel is the one the citizen used."""

    __tablename__ = "dossier_subscriptions"
    __table_args__ = (UniqueConstraint("dossier_id", "sender_hash", name="uq_dossier_subscriptions_dossier_sender"),)

    id = Column(Integer, primary_key=True)
    dossier_id = Column(Integer, ForeignKey("dossiers.id", ondelete="CASCADE"), nullable=False)
    sender_id = Column(Text, nullable=False)  # encrypted (enc:v1:): where the notification goes
    sender_hash = Column(String(64), nullable=False, index=True)  # keyed hash: this sender's subscriptions
    channel = Column(String(64), nullable=False)
    created_at = Column(DateTime, nullable=False)


class Notification(Base):
    """Outbox: one row per (subscription, state change). The unique pair is what makes a retried feed notify once."""

    __tablename__ = "dossier_notifications"
    __table_args__ = (
        UniqueConstraint("subscription_id", "change_id", name="uq_dossier_notifications_subscription_change"),
    )

    id = Column(Integer, primary_key=True)
    subscription_id = Column(
        Integer, ForeignKey("dossier_subscriptions.id", ondelete="CASCADE"), nullable=False, index=True
    )
    change_id = Column(Integer, ForeignKey("dossier_state_changes.id", ondelete="CASCADE"), nullable=False)
    status = Column(String(16), nullable=False, default=NOTIFY_PENDING)
    attempts = Column(Integer, nullable=False, default=0)
    last_error = Column(Text)
    created_at = Column(DateTime, nullable=False)
    sent_at = Column(DateTime)
    next_attempt_at = Column(DateTime)  # a failed attempt waits until then (backoff); None: due now
    claimed_at = Column(DateTime)  # when the current `sending` claim was taken (a stale claim is released)
    outbox_id = Column(Integer)  # web chat: the base_outbox row the page fetches


class LookupSession(Base):
    """The dossier a sender found and, once the second factor matched, verified. Keeps the code out of slots."""

    __tablename__ = "dossier_lookup_sessions"

    sender_key = Column(String(64), primary_key=True)  # keyed hash of the sender id (base.crypto.sender_hash)
    dossier_id = Column(Integer, ForeignKey("dossiers.id", ondelete="CASCADE"), nullable=False)
    found_at = Column(DateTime, nullable=False)
    verified_at = Column(DateTime)

