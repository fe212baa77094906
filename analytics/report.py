"""Every figure of the operators' dashboard for one period, as frozen dataclasses (pure reads, no writes).

Traffic, procedures, facets, fallback/clarifying rates and the unanswered questions come from one streamed pass over
the stored conversation events (analytics/events.py); handoff figures from the tickets and their clerk replies,
👍/👎 from the feedback table (handoff/store.py), stale and flagged entries from the knowledge base
(knowledge/stats.py). Definitions: docs/operations.md, "Operator dashboard".
"""
from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Optional

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from analytics.events import ANSWERED, CLARIFYING, FALLBACK_INTENT, MENU, NOT_FOUND, OUT_OF_SCOPE, conversations
from analytics.misses import Miss, MissGroup, group_misses, misses_of
from analytics.period import Period
from analytics.scan_cache import ScanCache


@dataclass(frozen=True)
class DailyCount:
    day: date
    channel: str
    conversations: int
    messages: int


@dataclass(frozen=True)
class ChannelTotal:
    channel: str
    conversations: int
    messages: int


@dataclass(frozen=True)
class KeyCount:
    key: str
    label: str
    count: int


@dataclass(frozen=True)
class Rates:
    messages: int
    answered: int
    fallback: int  # NLU gave up (intent nlu_fallback)
    clarifying: int  # the bot asked a question back
    not_found: int
    out_of_scope: int
    menu: int

    @staticmethod
    def share(part: int, whole: int) -> float:
        return round(part / whole, 4) if whole else 0.0

    @property
    def fallback_rate(self) -> float:
        return self.share(self.fallback, self.messages)

    @property
    def clarifying_rate(self) -> float:
        return self.share(self.clarifying, self.messages)

    @property
    def answered_rate(self) -> float:
        return self.share(self.answered, self.messages)


@dataclass(frozen=True)
class HandoffSummary:
    channel: str  # "" = every channel
    tickets: int
    live: int  # opened during office hours (the bot paused)
    callback: int  # after hours
    replied: int  # with at least one clerk reply
    median_minutes: Optional[float]  # to the first clerk reply, over the replied tickets
    mean_minutes: Optional[float]


@dataclass(frozen=True)
class FeedbackCount:
    procedure_code: str  # "" = no procedure in context
    name: str
    up: int
    down: int


@dataclass(frozen=True)
class KnowledgeIssue:
    code: str
    name: str
    reviewed: Optional[str]  # ISO date or None
    stale: bool
    open_flags: tuple[str, ...]


@dataclass(frozen=True)
class DashboardReport:
    period: Period
    daily: tuple[DailyCount, ...]  # every day × channel that had messages, by day then channel
    channels: tuple[ChannelTotal, ...]
    conversations: int
    procedures: tuple[KeyCount, ...]  # answered procedures, most asked first
    facets: tuple[KeyCount, ...]
    rates: Rates
    handoff: tuple[HandoffSummary, ...]  # the total first, then per channel
    feedback: tuple[FeedbackCount, ...]
    knowledge: tuple[KnowledgeIssue, ...]
    review_max_age_days: int
    unanswered: tuple[MissGroup, ...]

    def daily_totals(self) -> list[tuple[date, int, int]]:
        """(day, conversations, messages) for every day of the period, zeros included."""
        by_day: dict[date, list[int]] = {day: [0, 0] for day in self.period.days()}
        for row in self.daily:
            by_day[row.day][0] += row.conversations
            by_day[row.day][1] += row.messages
        return [(day, values[0], values[1]) for day, values in by_day.items()]


@dataclass
class _Traffic:
    daily_messages: Counter
    daily_conversations: Counter
    channel_messages: Counter
    channel_conversations: Counter
    procedures: Counter
    facets: Counter
    outcomes: Counter
    fallback: int
    messages: int
    misses: list[Miss]
    unanswered: tuple[MissGroup, ...] = ()


def traffic(tracker_engine: Engine, period: Period) -> _Traffic:
    """One pass over the period's events."""
    t = _Traffic(Counter(), Counter(), Counter(), Counter(), Counter(), Counter(), Counter(), 0, 0, [])
    for turns in conversations(tracker_engine, period):
        seen_sessions: set[int] = set()
        for turn in turns:
            if not period.contains(turn.timestamp):
                continue
            day = period.day_of(turn.timestamp)
            t.messages += 1
            t.daily_messages[(day, turn.channel)] += 1
            t.channel_messages[turn.channel] += 1
            if turn.session not in seen_sessions:  # a conversation counts on the day of its first message
                seen_sessions.add(turn.session)
                t.daily_conversations[(day, turn.channel)] += 1
                t.channel_conversations[turn.channel] += 1
            if turn.intent == FALLBACK_INTENT:
                t.fallback += 1
            outcome = turn.outcome
            t.outcomes[outcome] += 1
            if outcome == ANSWERED:
                t.procedures[turn.procedure_code] += 1
                if turn.facet:
                    t.facets[turn.facet] += 1
        t.misses.extend(misses_of(turns, period))
    t.unanswered = tuple(group_misses(t.misses))
    return t


def procedure_names(engine: Engine, codes: set[str]) -> dict[str, str]:
    if not codes:
        return {}
    from knowledge.tables import procedures

    names: dict[str, str] = {}
    ordered = sorted(codes)
    with engine.connect() as connection:
        if not sa.inspect(connection).has_table(procedures.name):
            return {}
        for start in range(0, len(ordered), 500):
            query = sa.select(procedures.c.code, procedures.c.name).where(
                procedures.c.code.in_(ordered[start:start + 500]))
            names.update({code: name for code, name in connection.execute(query)})
    return names


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)


def handoff_summary(engine: Engine, period: Period) -> tuple[HandoffSummary, ...]:
    """Tickets opened in the period, and the minutes from opening to a clerk's first reply."""
    from handoff.store import TICKET_CALLBACK, HandoffTicketRow, TicketReplyRow

    tickets, replies = HandoffTicketRow.__table__, TicketReplyRow.__table__
    first_reply = (sa.select(replies.c.ticket_id, sa.func.min(replies.c.created_at).label("first_at"))
                   .group_by(replies.c.ticket_id).subquery())
    query = (
        sa.select(tickets.c.channel, tickets.c.status, tickets.c.access_code_hash, tickets.c.created_at,
                  first_reply.c.first_at)
        .select_from(tickets.outerjoin(first_reply, first_reply.c.ticket_id == tickets.c.id))
        .where(tickets.c.created_at >= period.start, tickets.c.created_at < period.end)
    )
    rows: dict[str, list] = {}
    with engine.connect() as connection:
        if not sa.inspect(connection).has_table(tickets.name):
            return (HandoffSummary("", 0, 0, 0, 0, None, None),)
        for channel, status, code_hash, created, first_at in connection.execute(query):
            # a closed ticket's mode is no longer in its status: after-hours tickets carry an access code
            after_hours = status == TICKET_CALLBACK or code_hash is not None
            minutes = None if first_at is None else max(0.0, (_utc(first_at) - _utc(created)).total_seconds() / 60)
            rows.setdefault(channel, []).append((after_hours, minutes))
            rows.setdefault("", []).append((after_hours, minutes))
    rows.setdefault("", [])

    def summary(channel: str, items: list) -> HandoffSummary:
        waits = [m for _, m in items if m is not None]
        return HandoffSummary(
            channel=channel, tickets=len(items), live=sum(1 for after, _ in items if not after),
            callback=sum(1 for after, _ in items if after), replied=len(waits),
            median_minutes=round(statistics.median(waits), 1) if waits else None,
            mean_minutes=round(statistics.fmean(waits), 1) if waits else None,
        )

    return tuple(summary(channel, rows[channel]) for channel in sorted(rows))


def feedback_counts(engine: Engine, period: Period) -> list[tuple[str, int, int]]:
    from handoff.store import FeedbackRow

    table = FeedbackRow.__table__
    query = (
        sa.select(table.c.procedure_code, table.c.value, sa.func.count())
        .where(table.c.created_at >= period.start, table.c.created_at < period.end)
        .group_by(table.c.procedure_code, table.c.value)
    )
    counts: dict[str, list[int]] = {}
    with engine.connect() as connection:
        if not sa.inspect(connection).has_table(table.name):
            return []
        for code, value, count in connection.execute(query):
            pair = counts.setdefault(code or "", [0, 0])
            pair[0 if value == "up" else 1] += int(count)
    return sorted(((code, up, down) for code, (up, down) in counts.items()), key=lambda r: (-(r[1] + r[2]), r[0]))


def knowledge_issues(engine: Engine, max_age_days: int, today: date) -> tuple[KnowledgeIssue, ...]:
    """Curated entries reviewed longer ago than `max_age_days` (or never), or with an open review flag."""
    from knowledge.stats import collect_stats
    from knowledge.tables import procedures

    with engine.connect() as connection:
        if not sa.inspect(connection).has_table(procedures.name):
            return ()
    stats = collect_stats(engine, max_age_days, today=today)
    stale = {item["code"]: item for item in stats["stale"]}
    flagged = {item["code"]: tuple(item["open"]) for item in stats["flagged"]}
    codes = sorted(set(stale) | set(flagged))
    names = procedure_names(engine, set(codes))
    reviewed = _reviewed_dates(engine, codes)
    return tuple(KnowledgeIssue(code, names.get(code, ""), reviewed.get(code), code in stale, flagged.get(code, ()))
                 for code in codes)


def _reviewed_dates(engine: Engine, codes: list[str]) -> dict[str, Optional[str]]:
    from knowledge.tables import procedures

    if not codes:
        return {}
    with engine.connect() as connection:
        query = sa.select(procedures.c.code, procedures.c.reviewed).where(procedures.c.code.in_(codes))
        return {code: (value.isoformat() if value else None) for code, value in connection.execute(query)}


def build_report(tracker_engine: Engine, engine: Engine, period: Period, *, review_max_age_days: int,
                 today: Optional[date] = None, facet_labels: Optional[dict[str, str]] = None,
                 channel_order: tuple[str, ...] = ("zalo", "webchat", "rest"),
                 scans: Optional[ScanCache] = None) -> DashboardReport:
    """All the dashboard's figures for the period; the pass over the events is kept in `scans` (a cache over
    `tracker_engine`) while no event is stored or deleted."""
    today = today or datetime.now(period.zone).date()
    scan = lambda: traffic(tracker_engine, period)  # noqa: E731
    t = scans.get(("traffic", period), scan) if scans is not None else scan()
    feedback = feedback_counts(engine, period)
    names = procedure_names(engine, set(t.procedures) | {code for code, _, _ in feedback if code})
    labels = facet_labels or {}
    channels = sorted(t.channel_messages, key=lambda c: (channel_order.index(c) if c in channel_order else 99, c))
    daily = tuple(
        DailyCount(day, channel, t.daily_conversations[(day, channel)], t.daily_messages[(day, channel)])
        for day in period.days() for channel in channels if t.daily_messages[(day, channel)]
    )
    rates = Rates(
        messages=t.messages, answered=t.outcomes[ANSWERED], fallback=t.fallback,
        clarifying=sum(t.outcomes[o] for o in CLARIFYING), not_found=t.outcomes[NOT_FOUND],
        out_of_scope=t.outcomes[OUT_OF_SCOPE], menu=t.outcomes[MENU],
    )
    return DashboardReport(
        period=period,
        daily=daily,
        channels=tuple(ChannelTotal(c, t.channel_conversations[c], t.channel_messages[c]) for c in channels),
        conversations=sum(t.channel_conversations.values()),
        procedures=tuple(KeyCount(code, names.get(code, ""), count)
                         for code, count in sorted(t.procedures.items(), key=lambda kv: (-kv[1], kv[0]))),
        facets=tuple(KeyCount(facet, labels.get(facet, facet), count)
                     for facet, count in sorted(t.facets.items(), key=lambda kv: (-kv[1], kv[0]))),
        rates=rates,
        handoff=handoff_summary(engine, period),
        feedback=tuple(FeedbackCount(code, names.get(code, ""), up, down) for code, up, down in feedback),
        knowledge=knowledge_issues(engine, review_max_age_days, today),
        review_max_age_days=review_max_age_days,
        unanswered=t.unanswered,
    )
