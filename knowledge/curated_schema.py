"""Validation of the curated YAML files (docs/knowledge-format.md) into plain records ready to store.

Validation never stops at the first problem: an operator fixing data wants the whole list at once, each with its
file and line. Cross-file checks (duplicate codes, unknown site ids) run after every file is read.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, Optional

from knowledge.types import FLAG_FACETS, FLAG_OPEN, FLAG_RESOLVED, ReviewFlag
from knowledge.yaml_lines import LineDict, LineList, load_yaml_with_lines

DOC_GROUPS = ("submit", "present", "note")
CHANNEL_TYPES = ("in_person", "post", "online")
PORTALS = ("national_portal", "vneid")
TIME_UNITS = ("working_day", "day", "hour")
FEE_KINDS = ("free", "fixed", "province", "unknown")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_TIME = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


@dataclass(frozen=True)
class LoadError:
    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


@dataclass
class DocumentSpec:
    group: str
    name: str
    form: Optional[str]
    originals: int
    copies: int
    case: Optional[str]
    notes: Optional[str]


@dataclass
class ChannelSpec:
    type: str
    portals: list[str]
    requires_vneid_level2: bool
    time_value: Optional[float]
    time_unit: Optional[str]
    time_rule: Optional[str]
    fee_kind: str
    fee_amount: Optional[int]
    fee_note: Optional[str]
    description: Optional[str]


@dataclass
class ProcedureSpec:
    code: str
    name: str
    official_name: str
    field: str
    level: Optional[str]
    applicants: Optional[str]
    conditions: Optional[str]
    aliases: list[str]
    keywords: list[str]
    steps: list[str]
    results: list[str]
    legal_basis: list[dict]
    documents: list[DocumentSpec]
    channels: list[ChannelSpec]
    sites: Optional[list[str]]
    source_decision: str
    source_url: Optional[str]
    reviewed: date
    reviewer: Optional[str]
    review_flags: list[ReviewFlag]
    path: str
    line: int
    sites_line: int = 0


@dataclass
class SiteSpec:
    id: str
    name: str
    address: Optional[str]
    phone: Optional[str]
    fields: list[str]
    hours: dict[str, list[list[str]]]


@dataclass
class WardSpec:
    name: str
    province: Optional[str]
    hotline: Optional[str]
    email: Optional[str]
    national_portal: Optional[str]
    vneid: bool
    sample: bool
    popular: Optional[list[str]]
    sites: list[SiteSpec]
    holidays: list[tuple[date, str]]
    closures: list[tuple[Optional[str], datetime, datetime, Optional[str], int]]
    path: str
    popular_line: int = 0


@dataclass
class ColloquialSpec:
    """One row of colloquial.yml: a phrase citizens use for one or more procedures, and how people ask that way."""

    phrase: str
    codes: list[str]
    source: str
    path: str
    line: int
    codes_line: int


@dataclass
class CuratedSet:
    procedures: list[ProcedureSpec] = field(default_factory=list)
    ward: Optional[WardSpec] = None
    colloquial: list[ColloquialSpec] = field(default_factory=list)
    errors: list[LoadError] = field(default_factory=list)
    unreadable_files: int = 0  # files that are not valid YAML: references into them cannot be checked


class _Reader:
    """Typed access to one YAML mapping that records errors instead of raising."""

    def __init__(self, path: str, errors: list[LoadError]):
        self.path = path
        self.errors = errors

    def error(self, line: int, message: str) -> None:
        self.errors.append(LoadError(self.path, line, message))

    def mapping(self, value: Any, line: int, what: str) -> Optional[LineDict]:
        if isinstance(value, LineDict):
            return value
        self.error(line, f"{what} phải là một bảng khóa–giá trị (mapping)")
        return None

    def check_keys(self, data: LineDict, allowed: tuple[str, ...], what: str) -> None:
        for key in data:
            if key not in allowed:
                self.error(data.line_of(key), f"khóa không được hỗ trợ '{key}' trong {what}")

    def text(self, data: LineDict, key: str, *, required: bool = False) -> Optional[str]:
        if key not in data or data[key] is None:
            if required:
                self.error(data.line, f"thiếu trường bắt buộc '{key}'")
            return None
        value = data[key]
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            self.error(data.line_of(key), f"'{key}' phải là chuỗi")
            return None
        value = str(value).strip()
        if required and not value:
            self.error(data.line_of(key), f"'{key}' không được để trống")
            return None
        return value or None

    def text_list(self, data: LineDict, key: str, *, required: bool = False) -> list[str]:
        value = data.get(key)
        if value is None:
            if required:
                self.error(data.line, f"thiếu trường bắt buộc '{key}'")
            return []
        if not isinstance(value, LineList):
            self.error(data.line_of(key), f"'{key}' phải là danh sách")
            return []
        result = []
        for index, item in enumerate(value):
            if isinstance(item, bool) or not isinstance(item, (str, int, float)) or not str(item).strip():
                self.error(value.line_of(index), f"mục {index + 1} của '{key}' phải là chuỗi không rỗng")
                continue
            result.append(str(item).strip())
        return result

    def integer(self, data: LineDict, key: str, default: int) -> int:
        value = data.get(key, default)
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, int):
            self.error(data.line_of(key), f"'{key}' phải là số nguyên")
            return default
        if value < 0:
            self.error(data.line_of(key), f"'{key}' không được âm ({value})")
            return default
        return value

    def boolean(self, data: LineDict, key: str, default: bool) -> bool:
        value = data.get(key, default)
        if value is None:
            return default
        if not isinstance(value, bool):
            self.error(data.line_of(key), f"'{key}' phải là true hoặc false")
            return default
        return value


def _to_date(value: Any) -> Optional[date]:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


def _to_datetime(value: Any) -> Optional[datetime]:
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value.strip()).replace(tzinfo=None)
        except ValueError:
            return None
    return None


# ---------------------------------------------------------------------------------------------------- procedures

_PROCEDURE_KEYS = (
    "code", "name", "official_name", "field", "aliases", "keywords", "level", "applicants", "conditions", "steps",
    "results", "legal_basis", "documents", "channels", "sites", "source", "review_flags",
)


def _read_documents(reader: _Reader, proc: LineDict) -> list[DocumentSpec]:
    raw = proc.get("documents")
    if raw is None:
        reader.error(proc.line, "thiếu trường bắt buộc 'documents'")
        return []
    if not isinstance(raw, LineList) or not raw:
        reader.error(proc.line_of("documents"), "'documents' phải là danh sách không rỗng")
        return []
    documents = []
    for index, item in enumerate(raw):
        doc = reader.mapping(item, raw.line_of(index), f"giấy tờ thứ {index + 1}")
        if doc is None:
            continue
        reader.check_keys(doc, ("group", "name", "form", "originals", "copies", "case", "notes"), "giấy tờ")
        group = reader.text(doc, "group", required=True)
        if group is not None and group not in DOC_GROUPS:
            reader.error(doc.line_of("group"), f"nhóm giấy tờ không hợp lệ '{group}' (dùng: {', '.join(DOC_GROUPS)})")
        name = reader.text(doc, "name", required=True)
        documents.append(
            DocumentSpec(
                group=group or "submit",
                name=name or "",
                form=reader.text(doc, "form"),
                originals=reader.integer(doc, "originals", 0),
                copies=reader.integer(doc, "copies", 0),
                case=reader.text(doc, "case"),
                notes=reader.text(doc, "notes"),
            )
        )
    return documents


def _read_time_limit(reader: _Reader, channel: LineDict) -> tuple[Optional[float], Optional[str], Optional[str]]:
    raw = channel.get("time_limit")
    if raw is None:
        return None, None, None
    limit = reader.mapping(raw, channel.line_of("time_limit"), "'time_limit'")
    if limit is None:
        return None, None, None
    reader.check_keys(limit, ("value", "unit", "rule"), "time_limit")
    value = limit.get("value")
    if value is None:
        reader.error(limit.line, "thiếu trường bắt buộc 'value' trong time_limit")
    elif isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        reader.error(limit.line_of("value"), f"thời hạn 'value' phải là số dương (đang là {value!r})")
        value = None
    unit = reader.text(limit, "unit", required=True)
    if unit is not None and unit not in TIME_UNITS:
        reader.error(limit.line_of("unit"), f"đơn vị thời hạn không hợp lệ '{unit}' (dùng: {', '.join(TIME_UNITS)})")
        unit = None
    return (float(value) if value is not None else None), unit, reader.text(limit, "rule")


def _read_fee(reader: _Reader, channel: LineDict) -> tuple[str, Optional[int], Optional[str]]:
    raw = channel.get("fee")
    if raw is None:
        reader.error(channel.line, "thiếu trường bắt buộc 'fee' (dùng kind: unknown nếu hồ sơ gốc không ghi)")
        return "unknown", None, None
    fee = reader.mapping(raw, channel.line_of("fee"), "'fee'")
    if fee is None:
        return "unknown", None, None
    reader.check_keys(fee, ("kind", "amount", "note"), "fee")
    kind = reader.text(fee, "kind", required=True) or "unknown"
    if kind not in FEE_KINDS:
        reader.error(fee.line_of("kind"), f"loại lệ phí không hợp lệ '{kind}' (dùng: {', '.join(FEE_KINDS)})")
    amount = fee.get("amount")
    if amount is not None and (isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0):
        reader.error(fee.line_of("amount"), f"'amount' phải là số nguyên dương (VND), đang là {amount!r}")
        amount = None
    if kind == "fixed" and fee.get("amount") is None:
        reader.error(fee.line_of("amount"), "lệ phí 'fixed' phải có 'amount' (số tiền VND)")
    if kind in ("free", "unknown") and amount is not None:
        reader.error(fee.line_of("amount"), f"lệ phí '{kind}' không được có 'amount'")
    return kind, amount, reader.text(fee, "note")


def _read_channels(reader: _Reader, proc: LineDict) -> list[ChannelSpec]:
    raw = proc.get("channels")
    if raw is None:
        reader.error(proc.line, "thiếu trường bắt buộc 'channels'")
        return []
    if not isinstance(raw, LineList) or not raw:
        reader.error(proc.line_of("channels"), "'channels' phải là danh sách không rỗng")
        return []
    channels = []
    for index, item in enumerate(raw):
        channel = reader.mapping(item, raw.line_of(index), f"cách nộp thứ {index + 1}")
        if channel is None:
            continue
        reader.check_keys(
            channel,
            ("type", "portals", "requires_vneid_level2", "time_limit", "fee", "description"),
            "channels",
        )
        kind = reader.text(channel, "type", required=True)
        if kind is not None and kind not in CHANNEL_TYPES:
            reader.error(channel.line_of("type"), f"cách nộp không hợp lệ '{kind}' (dùng: {', '.join(CHANNEL_TYPES)})")
        portals = reader.text_list(channel, "portals")
        for portal in portals:
            if portal not in PORTALS:
                reader.error(channel.line_of("portals"), f"cổng trực tuyến không hợp lệ '{portal}'")
        if portals and kind != "online":
            reader.error(channel.line_of("portals"), "'portals' chỉ dùng cho cách nộp 'online'")
        value, unit, rule = _read_time_limit(reader, channel)
        fee_kind, fee_amount, fee_note = _read_fee(reader, channel)
        channels.append(
            ChannelSpec(
                type=kind or "in_person",
                portals=portals,
                requires_vneid_level2=reader.boolean(channel, "requires_vneid_level2", False),
                time_value=value,
                time_unit=unit,
                time_rule=rule,
                fee_kind=fee_kind,
                fee_amount=fee_amount,
                fee_note=fee_note,
                description=reader.text(channel, "description"),
            )
        )
    no_time_limit = channels and not any(c.time_value is not None for c in channels) and not any(
        isinstance(item, LineDict) and item.get("time_limit") is not None for item in raw
    )
    # A record may truly give no time limit (e.g. chứng thực): allowed only when a review flag says so, so the gap is
    # visible to operators and the bot says plainly that the data has no time limit.
    if no_time_limit and not proc.get("review_flags"):
        reader.error(
            proc.line_of("channels"),
            "cần ít nhất một cách nộp có 'time_limit' (hoặc ghi rõ trong 'review_flags' rằng hồ sơ gốc không có thời hạn)",
        )
    return channels


_FLAG_KEYS = ("note", "facets", "status", "resolution", "basis", "reason")


def _read_review_flags(reader: _Reader, proc: LineDict) -> list[ReviewFlag]:
    """Each flag says what it concerns and whether the law settles it (resolved, with the article) or not (why)."""
    raw = proc.get("review_flags")
    if raw is None:
        return []
    if not isinstance(raw, LineList):
        reader.error(proc.line_of("review_flags"), "'review_flags' phải là danh sách")
        return []
    flags = []
    for index, item in enumerate(raw):
        flag = reader.mapping(item, raw.line_of(index), f"mục {index + 1} của 'review_flags'")
        if flag is None:
            continue
        reader.check_keys(flag, _FLAG_KEYS, "review_flags")
        note = reader.text(flag, "note", required=True)
        facets = reader.text_list(flag, "facets", required=True)
        unknown = [f for f in facets if f not in FLAG_FACETS]
        if unknown:
            reader.error(flag.line_of("facets"), f"facet không hợp lệ: {', '.join(unknown)} (chọn trong {', '.join(FLAG_FACETS)})")
        elif not facets and flag.get("facets") is not None:
            reader.error(flag.line_of("facets"), "'facets' không được để trống")
        status = reader.text(flag, "status", required=True)
        if status is not None and status not in (FLAG_OPEN, FLAG_RESOLVED):
            reader.error(flag.line_of("status"), f"'status' phải là {FLAG_OPEN} hoặc {FLAG_RESOLVED} (đang là {status!r})")
        required = ("resolution", "basis") if status == FLAG_RESOLVED else ("reason",) if status == FLAG_OPEN else ()
        values = {key: reader.text(flag, key, required=key in required) for key in ("resolution", "basis", "reason")}
        if note and facets and not unknown and status in (FLAG_OPEN, FLAG_RESOLVED) and all(values[k] for k in required):
            flags.append(ReviewFlag(note=note, facets=tuple(facets), status=status, **values))
    return flags


def _read_legal_basis(reader: _Reader, proc: LineDict) -> list[dict]:
    raw = proc.get("legal_basis")
    if raw is None:
        return []
    if not isinstance(raw, LineList):
        reader.error(proc.line_of("legal_basis"), "'legal_basis' phải là danh sách")
        return []
    refs = []
    for index, item in enumerate(raw):
        ref = reader.mapping(item, raw.line_of(index), f"căn cứ pháp lý thứ {index + 1}")
        if ref is None:
            continue
        reader.check_keys(ref, ("code", "title"), "legal_basis")
        code = reader.text(ref, "code", required=True)
        refs.append({"code": code or "", "title": reader.text(ref, "title") or ""})
    return refs


def _read_source(reader: _Reader, proc: LineDict) -> tuple[str, Optional[str], Optional[date], Optional[str]]:
    raw = proc.get("source")
    if raw is None:
        reader.error(proc.line, "thiếu trường bắt buộc 'source'")
        return "", None, None, None
    source = reader.mapping(raw, proc.line_of("source"), "'source'")
    if source is None:
        return "", None, None, None
    reader.check_keys(source, ("decision", "url", "reviewed", "reviewer"), "source")
    decision = reader.text(source, "decision", required=True) or ""
    reviewed_raw = source.get("reviewed")
    reviewed = _to_date(reviewed_raw)
    if reviewed_raw is None:
        reader.error(source.line, "thiếu trường bắt buộc 'reviewed' trong source")
    elif reviewed is None:
        reader.error(source.line_of("reviewed"), f"ngày 'reviewed' không hợp lệ: {reviewed_raw!r} (dạng YYYY-MM-DD)")
    return decision, reader.text(source, "url"), reviewed, reader.text(source, "reviewer")


def _read_procedure(reader: _Reader, proc: LineDict, default_field: Optional[str]) -> Optional[ProcedureSpec]:
    reader.check_keys(proc, _PROCEDURE_KEYS, "thủ tục")
    raw_code = proc.get("code")
    code = None
    if raw_code is None:
        reader.error(proc.line, "thiếu trường bắt buộc 'code'")
    elif not isinstance(raw_code, str):
        reader.error(proc.line_of("code"), f"mã thủ tục phải là chuỗi trong dấu nháy, ví dụ \"1.001193\" (đang là {raw_code!r})")
    elif not re.fullmatch(r"[0-9A-Za-z][0-9A-Za-z.\-]*", raw_code.strip()):
        reader.error(proc.line_of("code"), f"mã thủ tục không hợp lệ: {raw_code!r}")
    else:
        code = raw_code.strip()
    name = reader.text(proc, "name", required=True)
    official_name = reader.text(proc, "official_name", required=True)
    field_name = reader.text(proc, "field") or default_field
    if not field_name:
        reader.error(proc.line, "thiếu 'field' (lĩnh vực) ở đầu tệp hoặc trong thủ tục")
    sites = None
    if proc.get("sites") is not None:
        sites = reader.text_list(proc, "sites")
    decision, url, reviewed, reviewer = _read_source(reader, proc)
    spec = ProcedureSpec(
        code=code or "",
        name=name or "",
        official_name=official_name or "",
        field=field_name or "",
        level=reader.text(proc, "level"),
        applicants=reader.text(proc, "applicants"),
        conditions=reader.text(proc, "conditions"),
        aliases=reader.text_list(proc, "aliases"),
        keywords=reader.text_list(proc, "keywords"),
        steps=reader.text_list(proc, "steps"),
        results=reader.text_list(proc, "results"),
        legal_basis=_read_legal_basis(reader, proc),
        documents=_read_documents(reader, proc),
        channels=_read_channels(reader, proc),
        sites=sites,
        source_decision=decision,
        source_url=url,
        reviewed=reviewed or date.min,
        reviewer=reviewer,
        review_flags=_read_review_flags(reader, proc),
        path=reader.path,
        line=proc.line,
        sites_line=proc.line_of("sites"),
    )
    return spec if code else None


def read_procedure_file(path: str, data: Any, errors: list[LoadError]) -> list[ProcedureSpec]:
    reader = _Reader(path, errors)
    top = reader.mapping(data, 1, "tệp thủ tục")
    if top is None:
        return []
    if "code" in top:  # a file holding one procedure
        spec = _read_procedure(reader, top, None)
        return [spec] if spec else []
    reader.check_keys(top, ("field", "procedures"), "tệp thủ tục")
    default_field = reader.text(top, "field")
    items = top.get("procedures")
    if not isinstance(items, LineList):
        reader.error(top.line_of("procedures"), "thiếu danh sách 'procedures'")
        return []
    specs = []
    for index, item in enumerate(items):
        proc = reader.mapping(item, items.line_of(index), f"thủ tục thứ {index + 1}")
        if proc is not None:
            spec = _read_procedure(reader, proc, default_field)
            if spec:
                specs.append(spec)
    return specs


# ---------------------------------------------------------------------------------------------------------- ward


def _read_hours(reader: _Reader, site: LineDict) -> dict[str, list[list[str]]]:
    raw = site.get("hours")
    if raw is None:
        reader.error(site.line, "thiếu trường bắt buộc 'hours'")
        return {}
    hours = reader.mapping(raw, site.line_of("hours"), "'hours'")
    if hours is None:
        return {}
    result: dict[str, list[list[str]]] = {day: [] for day in WEEKDAYS}
    for day, intervals in hours.items():
        line = hours.line_of(day)
        if day not in WEEKDAYS:
            reader.error(line, f"ngày trong tuần không hợp lệ '{day}' (dùng: {', '.join(WEEKDAYS)})")
            continue
        if intervals is None:
            continue
        if not isinstance(intervals, LineList):
            reader.error(line, f"giờ làm việc '{day}' phải là danh sách các cặp [\"mở\", \"đóng\"]")
            continue
        previous_close = None
        for interval in intervals:
            if not (isinstance(interval, list) and len(interval) == 2 and all(isinstance(t, str) for t in interval)):
                reader.error(line, f"giờ làm việc '{day}' phải là cặp [\"HH:MM\", \"HH:MM\"], đang là {interval!r}")
                continue
            start, end = (t.strip() for t in interval)
            if not (_TIME.match(start) and _TIME.match(end)):
                reader.error(line, f"giờ không hợp lệ trong '{day}': {start!r}–{end!r} (dạng HH:MM, 24 giờ)")
                continue
            if start >= end:
                reader.error(line, f"giờ mở cửa phải trước giờ đóng cửa trong '{day}': {start}–{end}")
                continue
            if previous_close is not None and start < previous_close:
                reader.error(line, f"các khung giờ trong '{day}' chồng nhau hoặc không theo thứ tự")
                continue
            previous_close = end
            result[day].append([start, end])
    return result


def read_ward_file(path: str, data: Any, errors: list[LoadError]) -> Optional[WardSpec]:
    reader = _Reader(path, errors)
    top = reader.mapping(data, 1, "tệp phường")
    if top is None:
        return None
    reader.check_keys(top, ("sample", "ward", "sites", "holidays", "closures", "popular"), "tệp phường")
    ward = reader.mapping(top.get("ward"), top.line_of("ward"), "'ward'") if "ward" in top else None
    if ward is None:
        if "ward" not in top:
            reader.error(top.line, "thiếu trường bắt buộc 'ward'")
        return None
    reader.check_keys(ward, ("name", "province", "hotline", "email", "online"), "ward")
    online = ward.get("online")
    portal, vneid = None, False
    if online is not None:
        online_map = reader.mapping(online, ward.line_of("online"), "'online'")
        if online_map is not None:
            reader.check_keys(online_map, ("national_portal", "vneid"), "online")
            portal = reader.text(online_map, "national_portal")
            vneid = reader.boolean(online_map, "vneid", False)

    sites: list[SiteSpec] = []
    raw_sites = top.get("sites")
    if not isinstance(raw_sites, LineList) or not raw_sites:
        reader.error(top.line_of("sites"), "'sites' phải là danh sách có ít nhất một điểm tiếp nhận")
        raw_sites = LineList()
        raw_sites.item_lines = []
    seen: dict[str, int] = {}
    for index, item in enumerate(raw_sites):
        site = reader.mapping(item, raw_sites.line_of(index), f"điểm tiếp nhận thứ {index + 1}")
        if site is None:
            continue
        reader.check_keys(site, ("id", "name", "address", "phone", "fields", "hours"), "site")
        site_id = reader.text(site, "id", required=True)
        if site_id and site_id in seen:
            reader.error(site.line_of("id"), f"mã điểm tiếp nhận '{site_id}' bị trùng (đã có ở dòng {seen[site_id]})")
            continue
        if site_id:
            seen[site_id] = site.line_of("id")
        spec = SiteSpec(
            id=site_id or "",
            name=reader.text(site, "name", required=True) or "",
            address=reader.text(site, "address"),
            phone=reader.text(site, "phone"),
            fields=reader.text_list(site, "fields", required=True),
            hours=_read_hours(reader, site),
        )
        if site_id:
            sites.append(spec)

    holidays = []
    raw_holidays = top.get("holidays") or []
    if not isinstance(raw_holidays, list):
        reader.error(top.line_of("holidays"), "'holidays' phải là danh sách")
        raw_holidays = []
    for index, item in enumerate(raw_holidays):
        holiday = reader.mapping(item, raw_holidays.line_of(index), f"ngày nghỉ thứ {index + 1}")
        if holiday is None:
            continue
        reader.check_keys(holiday, ("date", "name"), "holidays")
        day = _to_date(holiday.get("date"))
        if day is None:
            reader.error(holiday.line_of("date"), f"ngày nghỉ không hợp lệ: {holiday.get('date')!r} (dạng YYYY-MM-DD)")
            continue
        holidays.append((day, reader.text(holiday, "name") or "Ngày nghỉ lễ"))

    closures = []
    raw_closures = top.get("closures") or []
    if not isinstance(raw_closures, list):
        reader.error(top.line_of("closures"), "'closures' phải là danh sách")
        raw_closures = []
    for index, item in enumerate(raw_closures):
        closure = reader.mapping(item, raw_closures.line_of(index), f"đợt tạm nghỉ thứ {index + 1}")
        if closure is None:
            continue
        reader.check_keys(closure, ("site", "start", "end", "reason"), "closures")
        site_ref = reader.text(closure, "site")
        start, end = _to_datetime(closure.get("start")), _to_datetime(closure.get("end"))
        if start is None or end is None:
            reader.error(closure.line, "'start' và 'end' phải là thời điểm dạng \"YYYY-MM-DDTHH:MM\"")
            continue
        if end <= start:
            reader.error(closure.line_of("end"), "'end' phải sau 'start'")
            continue
        if site_ref is not None and site_ref not in seen:
            reader.error(closure.line_of("site"), f"không có điểm tiếp nhận '{site_ref}' trong 'sites'")
            continue
        closures.append((site_ref, start, end, reader.text(closure, "reason"), closure.line))

    popular = reader.text_list(top, "popular") if top.get("popular") is not None else None
    return WardSpec(
        name=reader.text(ward, "name", required=True) or "",
        province=reader.text(ward, "province"),
        hotline=reader.text(ward, "hotline"),
        email=reader.text(ward, "email"),
        national_portal=portal,
        vneid=vneid,
        sample=reader.boolean(top, "sample", False),
        popular=popular,
        sites=sites,
        holidays=holidays,
        closures=closures,
        path=path,
        popular_line=top.line_of("popular"),
    )


# ------------------------------------------------------------------------------------------------- colloquial

# colloquial_reviewed.yml is generated by `thutuc nlu export-reviewed` (review/export.py) from the operators' reviews
# of unanswered questions: the same kind of rows, so reviewed names reach search and the NLU lookup the same way.
REVIEWED_COLLOQUIAL_FILE = "colloquial_reviewed.yml"
COLLOQUIAL_FILES = ("colloquial.yml", "colloquial.yaml", REVIEWED_COLLOQUIAL_FILE)


def read_colloquial_file(path: str, data: Any, errors: list[LoadError]) -> list[ColloquialSpec]:
    """Rows of colloquial.yml; codes are checked against the curated procedures afterwards (`_cross_check`)."""
    reader = _Reader(path, errors)
    top = reader.mapping(data, 1, "tệp tên gọi dân gian")
    if top is None:
        return []
    reader.check_keys(top, ("colloquial",), "tệp tên gọi dân gian")
    items = top.get("colloquial")
    if not isinstance(items, LineList):
        reader.error(top.line_of("colloquial"), "thiếu danh sách 'colloquial'")
        return []
    rows = []
    for index, item in enumerate(items):
        row = reader.mapping(item, items.line_of(index), f"dòng thứ {index + 1} của 'colloquial'")
        if row is None:
            continue
        reader.check_keys(row, ("phrase", "codes", "source"), "một dòng tên gọi dân gian")
        phrase = reader.text(row, "phrase", required=True)
        source = reader.text(row, "source", required=True)
        codes = []
        raw_codes = row.get("codes")
        if not isinstance(raw_codes, LineList) or not raw_codes:
            reader.error(row.line_of("codes"), "'codes' phải là danh sách mã thủ tục, không rỗng")
        else:
            for position, code in enumerate(raw_codes):
                if not isinstance(code, str):
                    reader.error(raw_codes.line_of(position), f"mã thủ tục phải là chuỗi trong dấu nháy: {code!r}")
                elif code.strip() in codes:
                    reader.error(raw_codes.line_of(position), f"mã {code.strip()} bị lặp lại trong dòng này")
                else:
                    codes.append(code.strip())
        if phrase and source and codes:
            rows.append(ColloquialSpec(phrase, codes, source, path, row.line, row.line_of("codes")))
    return rows


# ------------------------------------------------------------------------------------------------------ the set


def display_path(path: Path) -> str:
    """The path as an operator would type it: relative to the working directory when inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def discover_files(root: Path) -> tuple[list[Path], Optional[Path], list[Path]]:
    """Procedure files, the ward file and the colloquial-names files (curated, then reviewed) under `root` (a
    directory or a single file)."""
    if root.is_file():
        if root.name in ("ward.yml", "ward.yaml"):
            return [], root, []
        return ([], None, [root]) if root.name in COLLOQUIAL_FILES else ([root], None, [])
    files = sorted(p for p in root.rglob("*") if p.suffix in (".yml", ".yaml") and p.is_file())
    ward = next((p for p in files if p.name in ("ward.yml", "ward.yaml") and p.parent == root), None)
    curated = next((p for p in files if p.name in COLLOQUIAL_FILES[:2] and p.parent == root), None)
    reviewed = next((p for p in files if p.name == REVIEWED_COLLOQUIAL_FILE and p.parent == root), None)
    colloquial = [p for p in (curated, reviewed) if p]
    return [p for p in files if p != ward and p not in colloquial], ward, colloquial


def read_curated(root: Path) -> CuratedSet:
    """Read and validate every file under `root`; `errors` lists every problem found (empty = safe to load)."""
    result = CuratedSet()
    procedure_files, ward_file, colloquial_files = discover_files(root)
    if not procedure_files and ward_file is None and not colloquial_files:
        result.errors.append(LoadError(str(root), 0, "không tìm thấy tệp YAML nào"))
        return result
    for path in [*procedure_files, *([ward_file] if ward_file else []), *colloquial_files]:
        shown = display_path(path)
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            result.errors.append(LoadError(shown, 0, f"không đọc được tệp (cần UTF-8): {error}"))
            continue
        data, problems = load_yaml_with_lines(text.lstrip("\ufeff"))
        result.errors.extend(LoadError(shown, p.line, p.message) for p in problems)
        if data is None:
            result.unreadable_files += 1
            if not problems:
                result.errors.append(LoadError(shown, 1, "tệp rỗng"))
            continue
        if path == ward_file:
            result.ward = read_ward_file(shown, data, result.errors)
        elif path in colloquial_files:
            result.colloquial.extend(read_colloquial_file(shown, data, result.errors))
        else:
            result.procedures.extend(read_procedure_file(shown, data, result.errors))
    _cross_check(result)
    result.errors.sort(key=lambda e: (e.path, e.line))
    return result


def _check_colloquial(result: CuratedSet, codes: set[str]) -> None:
    """Every colloquial code names a curated procedure of this set; a phrase appears once (compared folded)."""
    from knowledge.text import search_key

    seen: dict[str, ColloquialSpec] = {}
    for row in result.colloquial:
        key = search_key(row.phrase)
        if key in seen:
            other = seen[key]
            result.errors.append(LoadError(row.path, row.line,
                                           f"tên gọi '{row.phrase}' bị trùng (đã có ở {other.path}:{other.line})"))
        else:
            seen[key] = row
        if result.unreadable_files:
            continue  # the codes may live in a file that could not be read
        for code in row.codes:
            if code not in codes:
                result.errors.append(LoadError(row.path, row.codes_line,
                                               f"tên gọi '{row.phrase}': không có thủ tục đã biên soạn mã {code}"))


def _cross_check(result: CuratedSet) -> None:
    first: dict[str, ProcedureSpec] = {}
    for spec in result.procedures:
        if spec.code in first:
            other = first[spec.code]
            result.errors.append(
                LoadError(spec.path, spec.line, f"mã thủ tục {spec.code} bị trùng (đã có ở {other.path}:{other.line})")
            )
        else:
            first[spec.code] = spec
    if result.ward is not None:
        site_ids = {site.id for site in result.ward.sites}
        for spec in result.procedures:
            for site_id in spec.sites or []:
                if site_id not in site_ids:
                    result.errors.append(
                        LoadError(spec.path, spec.sites_line, f"không có điểm tiếp nhận '{site_id}' trong ward.yml")
                    )
        for code in result.ward.popular or [] if not result.unreadable_files else []:
            if code not in first:
                result.errors.append(
                    LoadError(result.ward.path, result.ward.popular_line, f"'popular' có mã thủ tục không tồn tại: {code}")
                )
    _check_colloquial(result, set(first))
