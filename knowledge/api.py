"""The knowledge base as the rest of the project sees it (actions, channels, clerk page, dossier helper).

Stable surface, documented in docs/knowledge.md: construct `KnowledgeBase(engine)` or `KnowledgeBase.from_settings()`
and get frozen dataclasses from `knowledge.types`. Reads only; loading and importing live in their own modules.
"""
from __future__ import annotations

from datetime import time
from typing import Optional

from sqlalchemy import select
from sqlalchemy.engine import Engine

from knowledge import tables as t
from knowledge.card import CardView
from knowledge.tables import STATUS_CURATED
from knowledge.text import fold
from knowledge.types import (
    ChannelInfo,
    Closure as ClosureInfo,
    DocumentItem,
    Fee,
    Holiday as HolidayInfo,
    LegalRef,
    ProcedureCard,
    ReviewFlag,
    SearchHit,
    SiteInfo,
    SourceInfo,
    TimeLimit,
    WardInfo,
)

WEEKDAY_KEYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

# The "common procedures" menu when ward.yml has no `popular:` list (only codes that exist are shown).
DEFAULT_POPULAR = (
    "1.001193",  # khai sinh
    "1.000894",  # kết hôn
    "1.000656",  # khai tử
    "1.004873",  # xác nhận tình trạng hôn nhân
    "2.000815",  # chứng thực bản sao từ bản chính
    "1.004222",  # thường trú
    "1.004194",  # tạm trú
    "2.000635",  # bản sao trích lục hộ tịch
)


def _number(value: Optional[float]):
    if value is None:
        return None
    return int(value) if float(value).is_integer() else value


def _hhmm(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


def _site_info(row) -> SiteInfo:
    hours = {}
    for index, key in enumerate(WEEKDAY_KEYS):
        hours[index] = tuple((_hhmm(a), _hhmm(b)) for a, b in (row.hours or {}).get(key, []))
    return SiteInfo(
        id=row.id,
        name=row.name,
        address=row.address,
        phone=row.phone,
        fields=tuple(row.fields or ()),
        hours=hours,
    )


def _card(row, alias_rows, document_rows, channel_rows) -> ProcedureCard:
    return ProcedureCard(
        code=row.code,
        name=row.name,
        official_name=row.official_name,
        field=row.field,
        level=row.level,
        aliases=tuple(a.text for a in alias_rows if a.kind == "alias"),
        applicants=row.applicants,
        conditions=row.conditions,
        steps=tuple(row.steps or ()),
        results=tuple(row.results or ()),
        legal_basis=tuple(LegalRef(code=r.get("code", ""), title=r.get("title", "")) for r in row.legal_basis or ()),
        documents=tuple(
            DocumentItem(
                group=d.doc_group, name=d.name, form=d.form, originals=d.originals, copies=d.copies,
                case=d.applies_case, notes=d.notes,
            )
            for d in document_rows
        ),
        channels=tuple(
            ChannelInfo(
                type=c.type,
                portals=tuple(c.portals or ()),
                requires_vneid_level2=bool(c.requires_vneid_level2),
                time_limit=(
                    TimeLimit(value=_number(c.time_value), unit=c.time_unit, rule=c.time_rule)
                    if c.time_value is not None and c.time_unit
                    else None
                ),
                fee=Fee(kind=c.fee_kind, amount=c.fee_amount, note=c.fee_note),
                description=c.description,
            )
            for c in channel_rows
        ),
        source=SourceInfo(
            decision=row.source_decision, url=row.source_url, reviewed=row.reviewed, reviewer=row.reviewer
        ),
        status=row.status,
        review_flags=tuple(ReviewFlag.from_stored(f) for f in row.review_flags or ()),
        parse_warnings=tuple(row.parse_warnings or ()),
        site_ids=tuple(row.site_overrides) if row.site_overrides is not None else None,
        colloquial=tuple(a.text for a in alias_rows if a.kind == "colloquial"),
    )


class KnowledgeBase:
    """Read access to procedures, the ward and search. Thread-safe; cheap to construct."""

    def __init__(self, engine: Engine, *, migrate: bool = True):
        from base.db import migrate as run_migrations

        self.engine = engine
        if migrate:
            run_migrations(engine=engine)

    @classmethod
    def from_settings(cls) -> "KnowledgeBase":
        """The knowledge base at `DATABASE_URL` (SQLite under var/ by default)."""
        from base.db import get_engine

        return cls(get_engine())

    # --------------------------------------------------------------------------------------------------- search

    def search(self, text: str, limit: int = 5) -> list[SearchHit]:
        """Ranked candidates for free text (diacritics optional); empty list when nothing matches."""
        from knowledge.search import get_index

        return [
            SearchHit(code=c.code, name=c.name, score=c.score, status=c.status, coverage=c.coverage, level=c.level,
                      matched=c.matched, named=c.named)
            for c in get_index(self.engine).search(text, limit)
        ]

    # ----------------------------------------------------------------------------------------------- procedures

    def card(self, code: str) -> Optional[ProcedureCard]:
        """Everything known about one procedure, or None for an unknown code."""
        with self.engine.connect() as connection:
            row = connection.execute(select(t.procedures).where(t.procedures.c.code == code.strip())).first()
            if row is None:
                return None
            children = []
            for table in (t.aliases, t.documents, t.channels):
                children.append(
                    connection.execute(
                        select(table).where(table.c.procedure_id == row.id).order_by(table.c.position, table.c.id)
                    ).all()
                )
        return _card(row, *children)

    def codes(self, status: Optional[str] = None) -> list[str]:
        query = select(t.procedures.c.code).order_by(t.procedures.c.code)
        if status:
            query = query.where(t.procedures.c.status == status)
        with self.engine.connect() as connection:
            return list(connection.execute(query).scalars())

    def popular(self, limit: int = 6) -> list[SearchHit]:
        """A short menu of commonly asked procedures (ward.yml `popular:` order, else a default list)."""
        p = t.procedures.c
        with self.engine.connect() as connection:
            configured = connection.execute(select(t.wards.c.popular).limit(1)).scalar_one_or_none()
            wanted = list(configured) if configured else list(DEFAULT_POPULAR)
            rows = connection.execute(select(p.code, p.name, p.status).where(p.code.in_(wanted))).all()
            found = {code: (name, status) for code, name, status in rows}
            if not configured and len(found) < limit:  # fill from curated entries so the menu is never empty
                extra = connection.execute(
                    select(p.code, p.name, p.status).where(p.status == STATUS_CURATED).order_by(p.code).limit(limit * 2)
                ).all()
                for code, name, status in extra:
                    if code not in found:
                        found[code] = (name, status)
                        wanted.append(code)
        hits = [SearchHit(code=c, name=found[c][0], score=1.0, status=found[c][1]) for c in wanted if c in found]
        return hits[:limit]

    # ------------------------------------------------------------------------------------------------ the ward

    def ward(self) -> Optional[WardInfo]:
        """The deployment's ward with its sites, holidays and closures; None before ward.yml was loaded."""
        with self.engine.connect() as connection:
            row = connection.execute(select(t.wards).order_by(t.wards.c.id).limit(1)).first()
            if row is None:
                return None
            site_rows = connection.execute(
                select(t.sites).where(t.sites.c.ward_id == row.id).order_by(t.sites.c.position)
            ).all()
            holiday_rows = connection.execute(select(t.holidays).order_by(t.holidays.c.day)).all()
            closure_rows = connection.execute(select(t.closures).order_by(t.closures.c.start)).all()
        return WardInfo(
            name=row.name,
            province=row.province,
            hotline=row.hotline,
            email=row.email,
            national_portal=row.national_portal,
            vneid=bool(row.vneid),
            sample=bool(row.sample),
            sites=tuple(_site_info(site) for site in site_rows),
            holidays=tuple(HolidayInfo(day=h.day, name=h.name) for h in holiday_rows),
            closures=tuple(ClosureInfo(site_id=c.site_id, start=c.start, end=c.end, reason=c.reason) for c in closure_rows),
            popular=tuple(row.popular) if row.popular is not None else None,
        )

    def card_view(self, code: str) -> Optional[CardView]:
        """The clerk's card for one procedure (card, ward and where to submit), or None for an unknown code."""
        card = self.card(code)
        if card is None:
            return None
        ward = self.ward()
        return CardView(card=card, ward=ward, sites=tuple(self.sites_for(card.code, ward)))

    def sites_for(self, code: str, ward: Optional[WardInfo] = None) -> list[SiteInfo]:
        """Where to submit: the procedure's own sites, else sites receiving its field, else the "*" sites.

        Callers that already hold the ward pass it, so answering a question reads the ward once, not twice.
        """
        ward = ward if ward is not None else self.ward()
        if ward is None:
            return []
        p = t.procedures.c
        with self.engine.connect() as connection:
            row = connection.execute(select(p.field, p.site_overrides).where(p.code == code.strip())).first()
        if row is None:
            return []
        field_name, overrides = row
        if overrides:
            by_id = {site.id: site for site in ward.sites}
            return [by_id[site_id] for site_id in overrides if site_id in by_id]
        folded_field = fold(field_name or "")
        by_field = [site for site in ward.sites if folded_field and folded_field in {fold(f) for f in site.fields}]
        if by_field:
            return by_field
        return [site for site in ward.sites if "*" in site.fields]

    # --------------------------------------------------------------------------------------------------- NLU

    def nlu_vocabulary(self) -> dict[str, list[str]]:
        """Curated procedure display name → its aliases and colloquial names, each also without diacritics (sorted,
        deduplicated)."""
        p, a = t.procedures.c, t.aliases.c
        with self.engine.connect() as connection:
            rows = connection.execute(
                select(p.name, a.text)
                .join(t.aliases, a.procedure_id == p.id)
                .where(p.status == STATUS_CURATED, a.kind.in_(("alias", "colloquial")))
            ).all()
            names = connection.execute(select(p.name).where(p.status == STATUS_CURATED)).scalars().all()
        vocabulary: dict[str, set[str]] = {name: {name.lower(), fold(name)} for name in names}
        for name, alias in rows:
            vocabulary[name].update({alias.strip(), fold(alias)})
        return {name: sorted(v for v in variants if v) for name, variants in sorted(vocabulary.items())}
