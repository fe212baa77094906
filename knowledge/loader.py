"""`thutuc kb load`: validate the curated YAML, then replace the curated rows in one transaction.

Curated rows are replaced as a whole set, so loading the same files twice gives the same database. Imported rows are
left alone, except where a curated entry now has the same code: the curated entry wins. The rows of colloquial.yml
become aliases (kind "colloquial") of the procedures they name, so they exist only when that file is loaded with the
procedures (a full directory load).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy import delete, or_, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from knowledge.curated_schema import CuratedSet, LoadError, ProcedureSpec, WardSpec, read_curated
from knowledge.models import (
    STATUS_CURATED,
    Alias,
    Closure,
    Holiday,
    Procedure,
    RequiredDocument,
    Site,
    SubmissionChannel,
    Ward,
)
from knowledge.text import fold


class LoadFailed(Exception):
    """Validation found problems; nothing was written."""

    def __init__(self, errors: list[LoadError]):
        super().__init__(f"{len(errors)} lỗi dữ liệu")
        self.errors = errors


@dataclass
class LoadReport:
    procedures: int = 0
    replaced_imported: list[str] = field(default_factory=list)
    removed_curated: int = 0
    ward_loaded: bool = False
    sites: int = 0


ALIAS_COLLOQUIAL = "colloquial"  # an alias from colloquial.yml (kinds: alias | keyword | colloquial)


def _procedure_row(spec: ProcedureSpec, now: datetime, colloquial: tuple[str, ...] = ()) -> Procedure:
    row = Procedure(
        code=spec.code,
        name=spec.name,
        official_name=spec.official_name,
        field=spec.field,
        level=spec.level,
        applicants=spec.applicants,
        conditions=spec.conditions,
        steps=list(spec.steps),
        results=list(spec.results),
        legal_basis=list(spec.legal_basis),
        site_overrides=list(spec.sites) if spec.sites is not None else None,
        source_decision=spec.source_decision,
        source_url=spec.source_url,
        reviewed=spec.reviewed,
        reviewer=spec.reviewer,
        status=STATUS_CURATED,
        review_flags=[flag.to_stored() for flag in spec.review_flags],
        parse_warnings=[],
        source_file=spec.path,
        updated_at=now,
    )
    position = 0
    for kind, texts in (("alias", spec.aliases), ("keyword", spec.keywords), (ALIAS_COLLOQUIAL, colloquial)):
        for text in texts:
            row.aliases.append(Alias(position=position, kind=kind, text=text, folded=fold(text)))
            position += 1
    for index, doc in enumerate(spec.documents):
        row.documents.append(
            RequiredDocument(
                position=index,
                group=doc.group,
                name=doc.name,
                form=doc.form,
                originals=doc.originals,
                copies=doc.copies,
                case=doc.case,
                notes=doc.notes,
            )
        )
    for index, channel in enumerate(spec.channels):
        row.channels.append(
            SubmissionChannel(
                position=index,
                type=channel.type,
                portals=list(channel.portals),
                requires_vneid_level2=channel.requires_vneid_level2,
                time_value=channel.time_value,
                time_unit=channel.time_unit,
                time_rule=channel.time_rule,
                fee_kind=channel.fee_kind,
                fee_amount=channel.fee_amount,
                fee_note=channel.fee_note,
                description=channel.description,
            )
        )
    return row


def delete_procedures(session: Session, condition) -> int:
    """Delete procedures matching `condition` and their children with set-based SQL (fast on big catalogues)."""
    ids = select(Procedure.id).where(condition).scalar_subquery()
    for child in (Alias, RequiredDocument, SubmissionChannel):
        session.execute(delete(child).where(child.procedure_id.in_(ids)), execution_options={"synchronize_session": False})
    result = session.execute(delete(Procedure).where(condition), execution_options={"synchronize_session": False})
    return result.rowcount or 0


def _replace_ward(session: Session, spec: WardSpec) -> None:
    session.execute(delete(Closure))
    session.execute(delete(Holiday))
    session.execute(delete(Site))
    session.execute(delete(Ward))
    session.flush()
    ward = Ward(
        name=spec.name,
        province=spec.province,
        hotline=spec.hotline,
        email=spec.email,
        national_portal=spec.national_portal,
        vneid=spec.vneid,
        sample=spec.sample,
        popular=list(spec.popular) if spec.popular is not None else None,
    )
    for index, site in enumerate(spec.sites):
        ward.sites.append(
            Site(
                id=site.id,
                position=index,
                name=site.name,
                address=site.address,
                phone=site.phone,
                fields=list(site.fields),
                hours={day: [list(i) for i in intervals] for day, intervals in site.hours.items()},
            )
        )
    session.add(ward)
    session.flush()
    for day, name in spec.holidays:
        session.add(Holiday(day=day, name=name))
    for site_id, start, end, reason, _line in spec.closures:
        session.add(Closure(site_id=site_id, start=start, end=end, reason=reason))


def _check_sites_against_db(session: Session, curated: CuratedSet) -> list[LoadError]:
    """Without a ward file in this load, procedure site references must match the sites already stored."""
    known = set(session.execute(select(Site.id)).scalars())
    errors = []
    for spec in curated.procedures:
        for site_id in spec.sites or []:
            if site_id not in known:
                errors.append(LoadError(spec.path, spec.sites_line, f"không có điểm tiếp nhận '{site_id}'"))
    return errors


def load_curated(engine: Engine, root: Path) -> LoadReport:
    """Validate everything under `root`, then write it in one transaction. Raises LoadFailed, changing nothing."""
    from base.db import migrate, session_factory

    migrate(engine=engine)
    curated = read_curated(Path(root))
    if curated.errors:
        raise LoadFailed(curated.errors)
    full_set = Path(root).is_dir()
    report = LoadReport()
    now = datetime.utcnow()
    with session_factory(engine)() as session, session.begin():
        if curated.ward is None:
            site_errors = _check_sites_against_db(session, curated)
            if site_errors:
                raise LoadFailed(site_errors)
        codes = [spec.code for spec in curated.procedures]
        report.replaced_imported = sorted(
            session.execute(
                select(Procedure.code).where(Procedure.code.in_(codes), Procedure.status != STATUS_CURATED)
            ).scalars()
        ) if codes else []
        if full_set:
            condition = or_(Procedure.status == STATUS_CURATED, Procedure.code.in_(codes))
        else:
            condition = Procedure.code.in_(codes)
        removed = delete_procedures(session, condition)
        report.removed_curated = max(0, removed - len(report.replaced_imported))
        session.flush()
        if curated.ward is not None:
            _replace_ward(session, curated.ward)
            report.ward_loaded = True
            report.sites = len(curated.ward.sites)
        colloquial: dict[str, list[str]] = {}
        for row in curated.colloquial:
            for code in row.codes:
                colloquial.setdefault(code, []).append(row.phrase)
        for spec in curated.procedures:
            session.add(_procedure_row(spec, now, tuple(colloquial.get(spec.code, ()))))
        report.procedures = len(curated.procedures)
    _notify_changed(engine)
    return report


def _notify_changed(engine: Engine) -> None:
    """Drop this process's cached search index so the next query sees the new data."""
    from knowledge import search

    search.invalidate(engine)


def format_errors(errors: list[LoadError]) -> str:
    return "\n".join(str(error) for error in errors)


__all__ = ["LoadFailed", "LoadReport", "format_errors", "load_curated", "delete_procedures"]
