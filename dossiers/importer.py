"""`thutuc dossiers import FILE`: a CSV or JSONL export from the one-stop system into the local store.

Everything is validated first and every error reported with its line; only a fully valid file is applied, in one
transaction. Re-importing the same file changes nothing (see `DossierStore.apply`).
"""
from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator, Optional
from zoneinfo import ZoneInfo

from dossiers.feed import FeedError, FeedValidation, validate_records
from dossiers.store import ApplyResult, DossierStore

MAX_FILE_BYTES = 200 * 1024 * 1024


@dataclass
class ImportReport:
    path: str
    validation: FeedValidation
    applied: Optional[ApplyResult] = None
    errors: list[FeedError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.applied is not None


def _csv_rows(text: str, errors: list[FeedError]) -> Iterator[tuple[int, dict]]:
    reader = csv.DictReader(io.StringIO(text, newline=""))
    if not reader.fieldnames:
        errors.append(FeedError(1, "tệp CSV không có dòng tiêu đề"))
        return
    for row in reader:
        line = reader.line_num
        if None in row:
            errors.append(FeedError(line, "dòng có nhiều cột hơn dòng tiêu đề"))
            continue
        if all((value or "").strip() == "" for value in row.values()):
            continue
        yield line, row


def _jsonl_rows(text: str, errors: list[FeedError]) -> Iterator[tuple[int, object]]:
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            yield number, json.loads(line)
        except json.JSONDecodeError as error:
            errors.append(FeedError(number, f"JSON không hợp lệ ({error.msg}, cột {error.colno})"))


def read_feed_file(path: Path, *, salt: str, tz: ZoneInfo) -> FeedValidation:
    """Parse and validate a whole file; `result.errors` holds every problem (line numbers are the file's)."""
    result = FeedValidation()
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".jsonl", ".ndjson"):
        result.errors.append(FeedError(0, "chỉ nhận tệp .csv hoặc .jsonl"))
        return result
    if path.stat().st_size > MAX_FILE_BYTES:
        result.errors.append(FeedError(0, f"tệp lớn quá {MAX_FILE_BYTES // (1024 * 1024)} MB; hãy chia nhỏ"))
        return result
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = path.read_bytes()[: error.start].count(b"\n") + 1
        result.errors.append(FeedError(line, "tệp không phải UTF-8"))
        return result
    parse_errors: list[FeedError] = []
    rows = _csv_rows(text, parse_errors) if suffix == ".csv" else _jsonl_rows(text, parse_errors)
    validate_records(rows, salt=salt, tz=tz, result=result)
    result.errors.extend(parse_errors)
    result.errors.sort(key=lambda error: error.line)
    if not result.errors and not result.records:
        result.errors.append(FeedError(0, "tệp không có bản ghi nào"))
    return result


def import_file(path: Path, store: DossierStore, *, salt: str, timezone: str) -> ImportReport:
    validation = read_feed_file(path, salt=salt, tz=ZoneInfo(timezone))
    report = ImportReport(str(path), validation, errors=list(validation.errors))
    if validation.errors:
        return report
    report.applied = store.apply(validation.records, source="import")
    return report
