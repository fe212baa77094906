"""Personal data at rest, on SQLite and PostgreSQL: read back with plain SQL, the tables hold no contact and no raw
Zalo id; through the stores everything reads as before; rows written before encryption still read, and the
migrations convert them."""
from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from alembic import command
from sqlalchemy import text

from base.crypto import PREFIX, is_encrypted, sender_hash
from base.db import _alembic_config, forget_migrations, get_engine, migrate
from base.ratelimit import Limit, SlidingWindowCounter, SqlEventStore
from dossiers.store import DossierStore
from handoff.store import TICKET_CALLBACK, TICKET_CLOSED, ConversationStore
from tests.dossiers.conftest import feed

ZALO_ID = "8412345678901234567"  # Zalo user ids are long digit strings
CONTACT = "0912 345 678"
CODE = "H15.50-251203-2035"
NOW = datetime(2026, 1, 15, 3, 0)


def dump(engine, table: str) -> str:
    """Every value of every row of `table`, as text: what someone with a copy of the database reads."""
    with engine.connect() as connection:
        rows = connection.execute(text(f"SELECT * FROM {table}")).all()
    assert rows, f"{table} is empty"
    return "\n".join(" | ".join(str(value) for value in row) for row in rows)


def assert_no_personal_data(stored: str) -> None:
    for secret in (ZALO_ID, CONTACT, CONTACT.replace(" ", ""), "345 678"):
        assert secret not in stored, f"{secret!r} stored in clear: {stored}"
    assert hashlib.sha256(f"thutuc-sender:{ZALO_ID}".encode()).hexdigest() not in stored  # no unkeyed hash


def test_tickets_and_feedback_keep_no_contact_and_no_raw_id(database_url):
    engine = get_engine(database_url)
    store = ConversationStore(engine)
    ticket = store.open_ticket(ZALO_ID, "zalo", f"số tôi {CONTACT.replace(' ', '')}, hỏi về sổ đỏ",
                               status=TICKET_CALLBACK, contact=CONTACT)
    store.record_feedback(ZALO_ID, "down", "1.001193")
    stored = dump(engine, "conv_handoff_tickets")
    assert_no_personal_data(stored)
    assert stored.count(PREFIX) == 2 and "số tôi ****, hỏi về sổ đỏ" in stored  # id and contact encrypted
    assert_no_personal_data(dump(engine, "conv_feedback"))
    # Through the store (what the clerk page and `thutuc tickets` read) everything is as it was given.
    assert ticket.sender_id == ZALO_ID and ticket.contact == CONTACT
    [listed] = store.list_tickets(TICKET_CALLBACK)
    assert (listed.sender_id, listed.contact, listed.question) == (ZALO_ID, CONTACT, "số tôi ****, hỏi về sổ đỏ")
    assert store.open_ticket(ZALO_ID, "zalo", None, status=TICKET_CALLBACK).id == ticket.id  # found by its hash
    assert store.open_ticket("another-sender", "zalo", None, status=TICKET_CALLBACK).id != ticket.id
    assert store.feedback_counts() == {("1.001193", "down"): 1}


def test_dossier_lookups_subscriptions_and_limits_keep_no_raw_id(database_url):
    engine = get_engine(database_url)
    store = DossierStore(engine=engine)
    feed(store, {"receipt_code": CODE, "state": 2, "phone": CONTACT})
    dossier = store.get(CODE)
    store.remember_lookup(ZALO_ID, dossier.id, NOW)
    store.mark_verified(ZALO_ID, NOW)
    assert store.current_lookup(ZALO_ID, timedelta(minutes=30), NOW)[1] is True
    assert store.subscribe(dossier.id, ZALO_ID, "zalo", NOW) is True
    assert store.subscribe(dossier.id, ZALO_ID, "zalo", NOW) is False  # found again by its keyed hash
    feed(store, {"receipt_code": CODE, "state": 5})  # a state change: one outbox row
    counter = SlidingWindowCounter(SqlEventStore(engine))
    counter.record((Limit("dossier-sender", 5, 900), ZALO_ID), (Limit("dossier-code", 5, 86400), CODE))
    for table in ("dossier_lookup_sessions", "dossier_subscriptions", "base_rate_events"):
        assert_no_personal_data(dump(engine, table))
    assert CODE not in dump(engine, "base_rate_events")
    assert is_encrypted(dump(engine, "dossier_subscriptions").split(" | ")[2])
    # The notifier still reaches the citizen: the outbox gives the raw id back.
    [pending] = store.pending_notifications(NOW)
    assert pending.sender_id == ZALO_ID and pending.receipt_code == CODE
    assert store.claim_notification(pending.id, NOW)
    assert store.mark_sent(pending.id, NOW) and not store.mark_sent(pending.id, NOW)


def _upgrade_to_before_encryption(url: str) -> None:
    config = _alembic_config(url)
    for revision in ("kb0001", "ds0002", "cv0001", "bs0001"):
        command.upgrade(config, revision)


def test_rows_written_before_encryption_read_and_are_converted_by_the_migrations(database_url):
    _upgrade_to_before_encryption(database_url)
    engine = get_engine(database_url)
    with engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO conv_handoff_tickets (sender_id, channel, status, question, contact, created_at) "
            "VALUES (:sender, 'zalo', 'callback', :question, :contact, :at)"),
            {"sender": ZALO_ID, "question": f"gọi {CONTACT} giúp tôi", "contact": CONTACT, "at": NOW})
        connection.execute(text("INSERT INTO conv_feedback (sender_id, value, created_at) VALUES (:s, 'up', :at)"),
                           {"s": ZALO_ID, "at": NOW})
        connection.execute(text(
            "INSERT INTO dossiers (receipt_code, state, source, created_at, updated_at) "
            "VALUES (:code, 2, 'import', :at, :at)"), {"code": CODE, "at": NOW})
        dossier_id = connection.execute(text("SELECT id FROM dossiers")).scalar_one()
        connection.execute(text(
            "INSERT INTO dossier_subscriptions (dossier_id, sender_id, channel, created_at) "
            "VALUES (:d, :s, 'zalo', :at)"), {"d": dossier_id, "s": ZALO_ID, "at": NOW})
        connection.execute(text(
            "INSERT INTO dossier_lookup_sessions (sender_key, dossier_id, found_at) VALUES (:k, :d, :at)"),
            {"k": hashlib.sha256(f"thutuc-sender:{ZALO_ID}".encode()).hexdigest(), "d": dossier_id, "at": NOW})
        connection.execute(text("INSERT INTO base_rate_events (key, at, expires_at) VALUES ('dossier-sender:ab', 1, 2)"))
    forget_migrations()
    migrate(engine=engine)
    for table in ("conv_handoff_tickets", "conv_feedback", "dossier_subscriptions"):
        assert_no_personal_data(dump(engine, table))
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM dossier_lookup_sessions")).scalar_one() == 0
        assert connection.execute(text("SELECT count(*) FROM base_rate_events")).scalar_one() == 0
    tickets = ConversationStore(engine)
    [ticket] = tickets.list_tickets(TICKET_CALLBACK)
    assert (ticket.sender_id, ticket.contact, ticket.question) == (ZALO_ID, CONTACT, "gọi **** giúp tôi")
    assert tickets.open_ticket(ZALO_ID, "zalo", None, status=TICKET_CALLBACK).id == ticket.id
    dossiers = DossierStore(engine=engine)
    assert dossiers.subscribe(dossier_id, ZALO_ID, "zalo", NOW) is False  # the converted row is found by its hash
    # A value still stored plain (written by a process that predates encryption) reads as it is.
    with engine.begin() as connection:
        connection.execute(text("UPDATE conv_handoff_tickets SET contact = :c, status = :s"),
                           {"c": "0987654321", "s": TICKET_CLOSED})
    assert tickets.list_tickets(TICKET_CLOSED)[0].contact == "0987654321"


def test_a_zalo_id_hashes_to_one_key_per_data_key():
    assert sender_hash(ZALO_ID) == sender_hash(ZALO_ID) != sender_hash(ZALO_ID + "0")
    assert len(sender_hash(ZALO_ID)) == 64
