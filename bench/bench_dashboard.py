"""How long the operators' dashboard takes, and how much memory it holds, on a large tracker table.

    PYTHONPATH=. .venv/bin/python bench/bench_dashboard.py [--conversations 20000] [--postgres] [--days 90]

Writes N synthetic conversations (5 turns each, ~30 events: answers, a "which one?", a miss, a feedback) spread
over `--days` days straight into a tracker `events` table (Rasa's own schema), then times `analytics.report.traffic`
for the last 30 days and for the whole span, then the peak of Python allocations (tracemalloc) in a second pass.
A measurement, not a test; times are on a shared machine and noisy.
"""
from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
import tracemalloc
import uuid
from datetime import date, datetime, timedelta, timezone
from pathlib import Path


def rows_for(sender: str, start: float, rng: random.Random) -> list[dict]:
    rows, ts = [], start

    def add(kind: str, data: dict, intent=None, action=None) -> None:
        nonlocal ts
        ts += 1
        rows.append({"sender_id": sender, "type_name": kind, "timestamp": ts, "intent_name": intent,
                     "action_name": action, "data": json.dumps({"event": kind, "timestamp": ts, **data})})

    add("action", {"name": "action_session_start"}, action="action_session_start")
    add("session_started", {})
    add("action", {"name": "action_listen"}, action="action_listen")
    code = rng.choice(["1.001193", "1.000894", "1.004194", "2.000635", "1.000656"])
    for turn in range(5):
        kind = rng.random()
        intent = "nlu_fallback" if kind < 0.1 else "ask_documents"
        add("user", {"text": f"cau hoi so {rng.randint(1, 500)} ve thu tuc", "input_channel": "zalo",
                     "parse_data": {"intent": {"name": intent}, "entities": []}}, intent=intent)
        if kind < 0.1:
            add("action", {"name": "action_clarify"}, action="action_clarify")
            add("slot", {"name": "miss_count", "value": 1.0})
        elif kind < 0.2:
            add("action", {"name": "action_answer_procedure"}, action="action_answer_procedure")
            add("slot", {"name": "last_facet", "value": "overview"})
        else:
            add("action", {"name": "action_answer_procedure"}, action="action_answer_procedure")
            add("slot", {"name": "procedure_code", "value": code})
            add("slot", {"name": "last_facet", "value": rng.choice(["documents", "fee", "time"])})
            add("slot", {"name": "miss_count", "value": 0.0})
        add("bot", {"text": "…"})
        add("action", {"name": "action_listen"}, action="action_listen")
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--conversations", type=int, default=20000)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--postgres", action="store_true")
    args = parser.parse_args()

    import sqlalchemy as sa
    from rasa.core.tracker_store import SQLTrackerStore

    from analytics.period import Period
    from analytics.report import traffic
    from analytics.scan_cache import ScanCache

    if args.postgres:
        import psycopg2

        name = f"thutuc_bench_{uuid.uuid4().hex[:8]}"
        admin = psycopg2.connect(host="127.0.0.1", user="postgres", dbname="postgres")
        admin.autocommit = True
        admin.cursor().execute(f'CREATE DATABASE "{name}"')
        url = f"postgresql+psycopg2://postgres@127.0.0.1:5432/{name}"
    else:
        url = f"sqlite:///{Path(tempfile.mkdtemp()) / 'conversations.db'}"
    engine = sa.create_engine(url, future=True)
    SQLTrackerStore.Base.metadata.create_all(engine)
    table = SQLTrackerStore.SQLEvent.__table__
    rng = random.Random(7)
    last = date(2026, 11, 30)
    end = datetime(2026, 11, 30, 17, tzinfo=timezone.utc).timestamp()
    span = args.days * 86400
    started = time.perf_counter()
    batch: list[dict] = []
    events = 0
    with engine.begin() as connection:
        for index in range(args.conversations):
            batch += rows_for(f"{8470000000000000000 + index}", end - rng.random() * span, rng)
            if len(batch) >= 20000:
                connection.execute(table.insert(), batch)
                events += len(batch)
                batch = []
        if batch:
            connection.execute(table.insert(), batch)
            events += len(batch)
    print(f"{events} events of {args.conversations} conversations written in {time.perf_counter() - started:.0f} s "
          f"({engine.dialect.name})")
    for days in (30, args.days):
        period = Period(last - timedelta(days=days - 1), last)
        started = time.perf_counter()
        result = traffic(engine, period)
        elapsed = time.perf_counter() - started
        tracemalloc.start()  # a second pass for the memory: tracing slows Python down
        traffic(engine, period)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        cache = ScanCache(engine)
        cache.get(("traffic", period), lambda: traffic(engine, period))
        started = time.perf_counter()
        cache.get(("traffic", period), lambda: traffic(engine, period))  # a reload: the table is unchanged
        reload_ms = (time.perf_counter() - started) * 1000
        print(f"{days:>3} days: {result.messages} messages, {len(result.misses)} misses in "
              f"{len(result.unanswered)} groups, {elapsed:.1f} s, peak Python allocations {peak / 2**20:.1f} MiB; "
              f"reload with the events unchanged {reload_ms:.0f} ms")
    engine.dispose()
    if args.postgres:
        admin.cursor().execute(f'DROP DATABASE "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
