"""`thutuc kb stats`: what is in the knowledge base and which curated entries need attention."""
from __future__ import annotations

from datetime import date, timedelta
from typing import Optional

from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from knowledge.models import STATUS_CURATED, Procedure, RequiredDocument, Site, SubmissionChannel
from knowledge.types import ReviewFlag


def _has_time_limit(procedure: Procedure) -> bool:
    return any(c.time_value is not None and c.time_unit for c in procedure.channels)


def _incomplete(procedure: Procedure) -> list[str]:
    """Facts every curated entry must have before the bot may answer from it.

    A missing time limit is acceptable only when a review flag records that the national record gives none
    (docs/knowledge-format.md); such entries are listed under `without_time_limit` instead.
    """
    missing = []
    if not procedure.documents:
        missing.append("documents")
    if not _has_time_limit(procedure) and not procedure.review_flags:
        missing.append("time_limit")
    if not procedure.channels or any(not c.fee_kind for c in procedure.channels):
        missing.append("fee")
    if not procedure.source_decision:
        missing.append("source_decision")
    if procedure.reviewed is None:
        missing.append("reviewed")
    return missing


def collect_stats(engine: Engine, max_age_days: int, today: Optional[date] = None) -> dict:
    from base.db import session_factory

    today = today or date.today()
    cutoff = today - timedelta(days=max_age_days)
    with session_factory(engine)() as session:
        by_status = dict(session.execute(select(Procedure.status, func.count()).group_by(Procedure.status)).all())
        documents = session.execute(select(func.count(RequiredDocument.id))).scalar_one()
        channels = session.execute(select(func.count(SubmissionChannel.id))).scalar_one()
        sites = session.execute(select(func.count(Site.id))).scalar_one()
        curated = session.execute(
            select(Procedure).where(Procedure.status == STATUS_CURATED).order_by(Procedure.code)
        ).scalars().all()
        stale = [
            {"code": p.code, "name": p.name, "reviewed": p.reviewed.isoformat() if p.reviewed else None}
            for p in curated
            if p.reviewed is None or p.reviewed < cutoff
        ]
        incomplete = [{"code": p.code, "missing": m} for p in curated if (m := _incomplete(p))]
        flags = {p.code: [ReviewFlag.from_stored(f) for f in p.review_flags or ()] for p in curated}
        flagged = [{"code": code, "open": [f.note for f in items if f.is_open],
                    "resolved": sum(1 for f in items if not f.is_open)}
                   for code, items in flags.items() if any(f.is_open for f in items)]
        resolved_flags = sum(1 for items in flags.values() for f in items if not f.is_open)
        without_time_limit = [p.code for p in curated if not _has_time_limit(p)]
        incomplete_codes = {item["code"] for item in incomplete}
        # complete = documents, a channel with a time limit, a fee statement, a source decision and a review date
        complete = sum(1 for p in curated if p.code not in incomplete_codes and _has_time_limit(p))
    return {
        "procedures": {"total": sum(by_status.values()), **{k: by_status.get(k, 0) for k in ("curated", "imported")}},
        "curated_complete": complete,
        "documents": documents,
        "channels": channels,
        "sites": sites,
        "review_max_age_days": max_age_days,
        "stale": stale,
        "incomplete": incomplete,
        "without_time_limit": without_time_limit,
        "flagged": flagged,
        # Entries with at least one open flag (issue 12: at most 10 % of curated) and flags settled by law.
        "review_flags": {"open_entries": len(flagged), "open": sum(len(item["open"]) for item in flagged),
                         "resolved": resolved_flags},
    }
