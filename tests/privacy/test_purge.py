"""`thutuc privacy purge` deletes exactly the rows older than the cutoff, of each kind, on SQLite and PostgreSQL; a
dry run counts the same rows and deletes nothing."""
from __future__ import annotations

import asyncio
import json
from datetime import datetime, timedelta, timezone

import pytest
from click.testing import CliRunner
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy import text

from base.db import get_engine
from base.retention import parse_duration
from base.settings import Settings, get_settings
from bot.retention import purge
from bot.tracker_store import MaskingTrackerStore
from dossiers.store import DossierStore, sender_key
from handoff.store import TICKET_CALLBACK, TICKET_OPEN, ConversationStore
from tests.dossiers.conftest import feed

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=timezone.utc)
OLD = NOW - timedelta(days=100)
RECENT = NOW - timedelta(days=10)
DOMAIN = Domain.load("domain.yml")
CODE = "H15.50-251203-2035"


def turn(text_: str, at: datetime) -> list:
    stamp = at.timestamp()
    return [UserUttered(text_, {"name": "greet", "confidence": 1.0}, timestamp=stamp),
            BotUttered("Xin chào", timestamp=stamp + 1), ActionExecuted("action_listen", timestamp=stamp + 2)]


def save_conversations(url: str) -> None:
    store = MaskingTrackerStore(DOMAIN, url=url)
    conversations = {"old": turn("chào", OLD) + turn("còn đó không", OLD + timedelta(hours=1)),
                     "old-then-recent": turn("chào", OLD) + turn("lại là tôi", RECENT),
                     "recent": turn("chào", RECENT)}
    for sender, events in conversations.items():
        asyncio.run(store.save(DialogueStateTracker.from_events(sender, events, DOMAIN.slots)))
    store.inner.engine.dispose()


def set_column(engine, table: str, column: str, value, row_id: int) -> None:
    with engine.begin() as connection:
        connection.execute(text(f"UPDATE {table} SET {column} = :value WHERE id = :id"), {"value": value, "id": row_id})


def ids(engine, table: str, key: str = "id") -> set:
    with engine.connect() as connection:
        return {row[0] for row in connection.execute(text(f"SELECT {key} FROM {table}"))}


def fill(url: str) -> dict[str, set]:
    """Old and recent rows of every kind; returns the keys that must survive a 90-day purge."""
    save_conversations(url)
    engine = get_engine(url)
    tickets = ConversationStore(engine)
    closed_old = tickets.open_ticket("a", "zalo", "q", status=TICKET_OPEN)
    closed_recent = tickets.open_ticket("b", "zalo", "q", status=TICKET_OPEN)
    open_old = tickets.open_ticket("c", "zalo", "q", status=TICKET_OPEN)
    callback_old = tickets.open_ticket("d", "zalo", "q", status=TICKET_CALLBACK, contact="0912345678")
    for ticket, closed_at in ((closed_old, OLD), (closed_recent, RECENT)):
        tickets.close_ticket(ticket.id)
        set_column(engine, "conv_handoff_tickets", "closed_at", closed_at, ticket.id)
    for ticket in (closed_old, closed_recent, open_old, callback_old):
        set_column(engine, "conv_handoff_tickets", "created_at", OLD, ticket.id)
    for sender in ("a", "b"):
        tickets.record_feedback(sender, "up", "1.001193")
    old_feedback = min(ids(engine, "conv_feedback"))
    set_column(engine, "conv_feedback", "created_at", OLD, old_feedback)

    dossiers = DossierStore(engine=engine)
    feed(dossiers, {"receipt_code": CODE, "state": 2})
    dossier = dossiers.get(CODE)
    naive = {name: moment.replace(tzinfo=None) for name, moment in (("old", OLD), ("recent", RECENT))}
    for sender, moment in (("s-old", "old"), ("s-recent", "recent")):
        dossiers.remember_lookup(sender, dossier.id, naive[moment])
    dossiers.subscribe(dossier.id, "s-old", "zalo", naive["old"])
    for state in (5, 2, 6, 2):  # four state changes: four outbox rows
        feed(dossiers, {"receipt_code": CODE, "state": state})
    sent_old, sent_recent, failed_old, waiting_old = sorted(ids(engine, "dossier_notifications"))
    with engine.begin() as connection:
        connection.execute(text("UPDATE dossier_notifications SET created_at = :at"), {"at": naive["old"]})
        connection.execute(text("UPDATE dossier_notifications SET status = 'sent', attempts = 1, sent_at = :at "
                                "WHERE id = :id"), {"at": naive["old"], "id": sent_old})
        connection.execute(text("UPDATE dossier_notifications SET status = 'sent', attempts = 1, sent_at = :at "
                                "WHERE id = :id"), {"at": naive["recent"], "id": sent_recent})
        connection.execute(text("UPDATE dossier_notifications SET attempts = 3, last_error = 'HTTP 502' "
                                "WHERE id = :id"), {"id": failed_old})
    return {
        "events": {"old-then-recent", "recent"},
        "conv_handoff_tickets": {closed_recent.id, open_old.id, callback_old.id},
        "conv_feedback": ids(engine, "conv_feedback") - {old_feedback},
        "dossier_lookup_sessions": {sender_key("s-recent")},
        "dossier_notifications": {sent_recent, waiting_old},
    }


EXPECTED = {"conversations": 1, "conversation_events": 6, "closed_tickets": 1, "feedback": 1, "lookup_sessions": 1,
            "notifications": 2}


def snapshot(engine) -> dict[str, set]:
    return {"events": ids(engine, "events", "sender_id"),
            **{table: ids(engine, table, "sender_key" if table == "dossier_lookup_sessions" else "id")
               for table in ("conv_handoff_tickets", "conv_feedback", "dossier_lookup_sessions",
                             "dossier_notifications")}}


def test_purge_deletes_exactly_the_old_rows_of_each_kind_and_a_dry_run_nothing(database_url):
    survivors = fill(database_url)
    engine = get_engine(database_url)
    settings = Settings(database_url=database_url, tracker_database_url=database_url)
    before = snapshot(engine)

    dry = purge(dry_run=True, settings=settings, now=NOW)  # default retention: 90 days
    assert dry.counts == EXPECTED and dry.dry_run
    assert snapshot(engine) == before

    done = purge(parse_duration("90d"), settings=settings, now=NOW)
    assert done.counts == EXPECTED and done.cutoff == NOW - timedelta(days=90)
    assert snapshot(engine) == survivors
    assert purge(parse_duration("90d"), settings=settings, now=NOW).counts == dict.fromkeys(EXPECTED, 0)


def test_the_command_prints_counts_per_kind(sqlite_url, monkeypatch):
    fill(sqlite_url)
    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    monkeypatch.setenv("TRACKER_DATABASE_URL", sqlite_url)
    monkeypatch.setenv("THUTUC_RETENTION_DAYS", "3650")
    get_settings.cache_clear()
    from bot.cli import cli

    try:
        runner = CliRunner()
        kept = runner.invoke(cli, ["privacy", "purge", "--json"])  # ten years: nothing is that old
        assert kept.exit_code == 0, kept.output
        assert json.loads(kept.output)["counts"] == dict.fromkeys(EXPECTED, 0)
        dry = runner.invoke(cli, ["privacy", "purge", "--older-than", "1h", "--dry-run"])
        assert dry.exit_code == 0, dry.output
        assert "chạy thử, chưa xóa gì" in dry.output and "phiếu chuyển cán bộ đã đóng: 2" in dry.output
        done = runner.invoke(cli, ["privacy", "purge", "--older-than", "1h"])
        assert "Đã xóa" in done.output and "cuộc trò chuyện: 3" in done.output
        bad = runner.invoke(cli, ["privacy", "purge", "--older-than", "90 ngày"])
        assert bad.exit_code == 2 and "không phải khoảng thời gian" in bad.output
    finally:
        get_settings.cache_clear()


@pytest.mark.parametrize("written, expected", [("90d", timedelta(days=90)), ("12h", timedelta(hours=12)),
                                               ("30m", timedelta(minutes=30)), (" 7D ", timedelta(days=7))])
def test_durations(written, expected):
    assert parse_duration(written) == expected


@pytest.mark.parametrize("written", ["", "90", "d", "1.5d", "-3d", "3w", "10d5h"])
def test_other_durations_are_refused(written):
    with pytest.raises(ValueError, match="not a duration"):
        parse_duration(written)
