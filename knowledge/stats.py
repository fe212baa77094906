"""`thutuc kb stats`: what is in the knowledge base and which curated entries need attention."""
from __future__ import annotations

from datetime import date, timedelta
from typing import Optional

from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from knowledge.models import STATUS_CURATED, Procedure, RequiredDocument, Site, SubmissionChannel


def _incomplete(procedure: Procedure) -> list[str]:
    """Facts every curated entry must have before the bot may answer from it."""
    missing = []
    if not procedure.documents:
        missing.append("documents")
    if not any(c.time_value is not None and c.time_unit for c in procedure.channels):
        missing.append("time_limit")
    if not procedure.channels or any(not c.fee_kind for c in procedure.channels):
        missing.append("fee")
    if not procedure.source_decision:
        missing.append("source_decision")
    if procedure.reviewed is None:
        missing.append("reviewed")
    return missing


def collect_stats(engine: Engine, max_age_days: int, today: Optional[date] = None) -> dict:
    from knowledge.db import session_factory

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
        flagged = [{"code": p.code, "flags": list(p.review_flags)} for p in curated if p.review_flags]
        complete = len(curated) - len(incomplete)
    return {
        "procedures": {"total": sum(by_status.values()), **{k: by_status.get(k, 0) for k in ("curated", "imported")}},
        "curated_complete": complete,
        "documents": documents,
        "channels": channels,
        "sites": sites,
        "review_max_age_days": max_age_days,
        "stale": stale,
        "incomplete": incomplete,
        "flagged": flagged,
    }
