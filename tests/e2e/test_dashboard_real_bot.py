"""The dashboard's figures from what the trained bot really stored: a conversation over REST with the real servers,
then the report read from the tracker database they wrote (so the events' shape is Rasa's, not a test's guess)."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import pytest

pytestmark = pytest.mark.slow


def test_report_reads_the_real_bots_events(running_bot):
    from analytics.events import conversations
    from analytics.misses import unanswered_groups
    from analytics.period import Period
    from analytics.report import build_report
    from base.db import make_engine
    from bot.channels.rest import SENDER_PREFIX

    sender = f"dash-{uuid.uuid4().hex[:8]}"
    ambiguous = running_bot.send("đăng ký lại cần giấy tờ gì", sender)
    assert "Bạn muốn hỏi thủ tục nào" in "\n".join(r.get("text", "") for r in ambiguous), ambiguous
    choice = next(b for r in ambiguous for b in r.get("buttons", []))
    running_bot.send(choice["payload"], sender)
    chosen = choice["title"].rsplit("(", 1)[1].rstrip(")")
    running_bot.send("lam khai sinh can gi", sender)
    running_bot.send("còn lệ phí thì sao?", sender)
    running_bot.send('/feedback{"feedback_value": "down"}', sender)

    zone = "Asia/Ho_Chi_Minh"
    from zoneinfo import ZoneInfo

    today = datetime.now(ZoneInfo(zone)).date()
    period = Period(today - timedelta(days=1), today + timedelta(days=1), zone)
    tracker = make_engine(running_bot.tracker_database_url)
    try:
        [turns] = [c for c in conversations(tracker, period) if c[0].sender_id == SENDER_PREFIX + sender]
        assert [(t.channel, t.outcome, t.procedure_code, t.facet) for t in turns] == [
            ("rest", "ambiguous", None, None),
            ("rest", "answered", chosen, "documents"),
            ("rest", "answered", "1.001193", "documents"),
            ("rest", "answered", "1.001193", "fee"),
            ("rest", "other", None, None),
        ]
        assert turns[4].feedback == "down"
        # the 👎 is for the answer to the last question typed; the resolved "which one?" is no miss
        all_groups = unanswered_groups(tracker, period)
        groups = [g for g in all_groups if g.text == "còn lệ phí thì sao?"]
        assert groups and ("thumbs_down", 1) in groups[0].reasons
        assert not any("đăng ký lại cần giấy tờ gì" in g.examples for g in all_groups)
        report = build_report(tracker, make_engine(running_bot.database_url), period, review_max_age_days=365)
    finally:
        tracker.dispose()
    counted = {p.key: p.count for p in report.procedures}
    assert counted.get("1.001193", 0) >= 2 and counted.get(chosen, 0) >= 1
    assert report.rates.messages >= 5 and report.rates.clarifying >= 1
    assert any(f.procedure_code == "1.001193" and f.down >= 1 for f in report.feedback)  # the feedback table too
