"""`thutuc kb import FILE`: bulk-load national-portal records (.jsonl / .jsonl.gz) as `imported` entries.

Curated entries are never touched (a record whose code is curated is skipped). Re-importing replaces the imported rows
of the codes in the file, so running it twice gives the same database.
"""
from __future__ import annotations

import gzip
import io
import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Callable, Iterable, Iterator, Optional

from sqlalchemy import select
from sqlalchemy.engine import Engine

from knowledge.dvcqg import ParsedRecord, parse_record
from knowledge.models import (
    STATUS_CURATED,
    STATUS_IMPORTED,
    Procedure,
    RequiredDocument,
    SubmissionChannel,
)
from knowledge.types import ReviewFlag

BATCH_SIZE = 500


@dataclass
class ImportReport:
    read: int = 0
    imported: int = 0
    skipped_curated: list[str] = field(default_factory=list)
    failed: list[tuple[int, str]] = field(default_factory=list)  # (line number, reason)
    with_warnings: int = 0
    duplicates: list[str] = field(default_factory=list)
    # imported, but with no channel or no document read from their tables: a clerk must check them by hand
    incomplete: list[str] = field(default_factory=list)


def read_records(path: Path) -> Iterator[tuple[int, Optional[dict], Optional[str]]]:
    """(line number, record or None, error) for each non-empty line of a .jsonl or .jsonl.gz file."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as raw:
        stream = io.TextIOWrapper(raw, encoding="utf-8", errors="replace")
        for number, line in enumerate(stream, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as error:
                yield number, None, f"JSON không hợp lệ: {error.msg}"
                continue
            if not isinstance(record, dict):
                yield number, None, "dòng không phải một đối tượng JSON"
                continue
            yield number, record, None


def _row(parsed: ParsedRecord, source_file: str, now: datetime) -> Procedure:
    row = Procedure(
        code=parsed.code,
        name=parsed.name,
        official_name=parsed.official_name,
        field=parsed.field,
        level=parsed.level,
        applicants=parsed.applicants,
        conditions=parsed.conditions,
        steps=parsed.steps,
        results=parsed.results,
        legal_basis=parsed.legal_basis,
        site_overrides=None,
        source_decision=parsed.decision,
        source_url=parsed.url,
        reviewed=None,
        reviewer=None,
        status=STATUS_IMPORTED,
        # The parser's flags are about the channels table: time limits that differ by channel.
        review_flags=[ReviewFlag(note=flag, facets=("time",)).to_stored() for flag in parsed.review_flags],
        parse_warnings=parsed.warnings,
        source_file=source_file,
        updated_at=now,
    )
    row.documents = [
        RequiredDocument(
            position=i, group=d.group, name=d.name, form=d.form, originals=d.originals, copies=d.copies, case=d.case,
            notes=d.notes,
        )
        for i, d in enumerate(parsed.documents)
    ]
    row.channels = [
        SubmissionChannel(
            position=i,
            type=c.type,
            portals=c.portals,
            requires_vneid_level2=c.requires_vneid_level2,
            time_value=c.time_value,
            time_unit=c.time_unit,
            time_rule=c.time_rule,
            fee_kind=c.fee_kind,
            fee_amount=c.fee_amount,
            fee_note=c.fee_note,
            description=c.description,
        )
        for i, c in enumerate(parsed.channels)
    ]
    return row


def _parse_all(
    records: Iterable[tuple[int, Optional[dict], Optional[str]]], report: ImportReport
) -> dict[str, ParsedRecord]:
    parsed: dict[str, ParsedRecord] = {}
    for number, record, error in records:
        report.read += 1
        if record is None:
            report.failed.append((number, error or "không đọc được"))
            continue
        try:
            item = parse_record(record)
        except (ValueError, TypeError, AttributeError) as failure:
            report.failed.append((number, str(failure)))
            continue
        if item.code in parsed:
            report.duplicates.append(item.code)
        parsed[item.code] = item
    return parsed


def import_catalogue(
    engine: Engine, path: Path, progress: Optional[Callable[[Iterable], Iterable]] = None
) -> ImportReport:
    """Parse every record, then replace the imported rows of those codes in one transaction."""
    from base.db import migrate, session_factory
    from knowledge.loader import delete_procedures

    migrate(engine=engine)
    report = ImportReport()
    records = read_records(Path(path))
    parsed = _parse_all(progress(records) if progress else records, report)
    now = datetime.utcnow()
    source = Path(path).name
    with session_factory(engine)() as session, session.begin():
        curated = set(session.execute(select(Procedure.code).where(Procedure.status == STATUS_CURATED)).scalars())
        report.skipped_curated = sorted(code for code in parsed if code in curated)
        wanted = [code for code in parsed if code not in curated]
        for start in range(0, len(wanted), BATCH_SIZE):
            chunk = wanted[start : start + BATCH_SIZE]
            delete_procedures(session, Procedure.code.in_(chunk) & (Procedure.status != STATUS_CURATED))
        session.flush()
        for start in range(0, len(wanted), BATCH_SIZE):
            session.add_all(_row(parsed[code], source, now) for code in wanted[start : start + BATCH_SIZE])
            session.flush()
            session.expunge_all()
        report.imported = len(wanted)
        report.with_warnings = sum(1 for code in wanted if parsed[code].warnings)
        report.incomplete = sorted(code for code in wanted if not parsed[code].channels or not parsed[code].documents)
    from knowledge import search

    search.invalidate(engine)
    return report
