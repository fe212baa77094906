"""The pass over the stored events is kept while the table is unchanged and made again when a message is stored or a
conversation deleted (analytics/scan_cache.py), on SQLite and PostgreSQL."""
from __future__ import annotations

import sqlalchemy as sa

from analytics.misses import unanswered_groups
from analytics.scan_cache import ScanCache, watermark
from review.service import group_views
from tests.review.conversations import not_found, store_conversation


def _counting(engine, calls):
    def scan():
        calls.append(1)
        return unanswered_groups(engine)
    return scan


def test_a_kept_result_is_reused_until_a_message_is_stored_or_a_conversation_deleted(database_url):
    engine = sa.create_engine(database_url)
    try:
        assert watermark(engine) == (0, None, None)  # no events table yet
        store_conversation(database_url, "a", [not_found("giấy ra ở riêng xin ở đâu")])
        cache, calls = ScanCache(engine), []
        first = cache.get("misses", _counting(engine, calls))
        assert cache.get("misses", _counting(engine, calls)) is first and len(calls) == 1

        store_conversation(database_url, "b", [not_found("xin dấu đỏ lý lịch")])
        second = cache.get("misses", _counting(engine, calls))
        assert len(calls) == 2 and sorted(g.text for g in second) == ["giấy ra ở riêng xin ở đâu", "xin dấu đỏ lý lịch"]

        with engine.begin() as connection:  # what a privacy purge of one conversation does
            connection.execute(sa.text("DELETE FROM events WHERE sender_id = 'a'"))
        third = cache.get("misses", _counting(engine, calls))
        assert len(calls) == 3 and [g.text for g in third] == ["xin dấu đỏ lý lịch"]
        assert cache.get("other key", _counting(engine, calls)) == third and len(calls) == 4
    finally:
        engine.dispose()


def test_entries_are_bounded_least_recently_used_first_out(sqlite_url):
    store_conversation(sqlite_url, "a", [not_found("giấy ra ở riêng xin ở đâu")])
    engine = sa.create_engine(sqlite_url)
    try:
        cache, calls = ScanCache(engine, max_entries=2), []
        for key in ("x", "y", "x", "z"):  # "y" is the least recently used when "z" comes
            cache.get(key, _counting(engine, calls))
        assert len(calls) == 3
        cache.get("x", _counting(engine, calls))
        assert len(calls) == 3
        cache.get("y", _counting(engine, calls))
        assert len(calls) == 4
    finally:
        engine.dispose()


class _NoReviews:
    def reviews(self):
        return []


def test_the_review_views_read_the_events_once_while_nothing_changes(sqlite_url):
    store_conversation(sqlite_url, "a", [not_found("giấy ra ở riêng xin ở đâu")])
    engine = sa.create_engine(sqlite_url)
    try:
        cache = ScanCache(engine)
        views = [group_views(engine, _NoReviews(), cache) for _ in range(3)]
        assert cache.passes == 1 and [v.example for v in views[0]] == ["giấy ra ở riêng xin ở đâu"]
        assert views[0] == views[2] == group_views(engine, _NoReviews())  # the same as an uncached pass
    finally:
        engine.dispose()


def test_the_dashboard_report_reuses_the_pass_and_sees_a_new_message(sqlite_url, tmp_path):
    from datetime import date

    from analytics.period import Period
    from analytics.report import build_report

    store_conversation(sqlite_url, "a", [not_found("giấy ra ở riêng xin ở đâu")])
    tracker = sa.create_engine(sqlite_url)
    project = sa.create_engine(f"sqlite:///{tmp_path / 'project.db'}")
    period = Period(date(2023, 11, 1), date(2023, 11, 30))  # the conversations' clock starts at 2023-11-14
    try:
        cache = ScanCache(tracker)
        reports = [build_report(tracker, project, period, review_max_age_days=365, scans=cache) for _ in range(2)]
        assert cache.passes == 1 and reports[0].rates.messages == reports[1].rates.messages == 1
        store_conversation(sqlite_url, "b", [not_found("xin dấu đỏ lý lịch")])
        assert build_report(tracker, project, period, review_max_age_days=365, scans=cache).rates.messages == 2
        assert cache.passes == 2
    finally:
        tracker.dispose()
        project.dispose()
