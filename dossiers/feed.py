"""Validation of dossier records from every feed (CSV/JSONL import, sync API, provincial lookup API).

One schema for all three (docs/dossiers.md). Validation collects every problem with its line/record number so an
operator fixes a file in one pass. Personal fields a feed may carry (names, ID numbers, addresses, full phone numbers)
are dropped here, before anything is stored: only a salted hash of the last 4 phone digits survives.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any, Iterable, Mapping, Optional
from zoneinfo import ZoneInfo

from dossiers.codes import InvalidReceiptCode, normalise_receipt_code
from dossiers.contact import contact_hash, last_four_digits
from dossiers.states import DossierState, parse_state

DATE_FIELDS = ("received_at", "due_at", "completed_at", "returned_at", "pickup_from")
TEXT_LIMITS = {"supplement": 2000, "fee_note": 500, "site": 64, "procedure_code": 32}
KNOWN_FIELDS = (
    "receipt_code", "state", "procedure_code", *DATE_FIELDS, "supplement", "fee_due", "fee_note", "site",
    "phone", "phone_last4", "updated_at",
)
# Personal fields a one-stop export commonly has. They are accepted and discarded, never stored or echoed.
PERSONAL_FIELDS = frozenset({
    "applicant", "applicant_name", "name", "full_name", "ho_ten", "hoten", "ten", "ten_nguoi_nop",
    "id_number", "cccd", "cmnd", "so_cccd", "so_giay_to", "identity_number", "passport",
    "address", "dia_chi", "diachi", "email", "birth_date", "ngay_sinh", "dob",
})
_PROCEDURE_CODE = re.compile(r"^\d{1,2}\.\d{3,6}$")
_SITE = re.compile(r"^[a-z0-9][a-z0-9_\-]{0,63}$")


@dataclass(frozen=True)
class FeedError:
    line: int  # line number in a file, or 1-based record index in a sync batch
    message: str

    def __str__(self) -> str:
        return f"dòng {self.line}: {self.message}"


@dataclass
class FeedRecord:
    line: int
    receipt_code: str
    state: DossierState
    procedure_code: Optional[str] = None
    received_at: Optional[datetime] = None
    due_at: Optional[datetime] = None
    completed_at: Optional[datetime] = None
    returned_at: Optional[datetime] = None
    pickup_from: Optional[datetime] = None
    supplement: Optional[str] = None
    fee_due: Optional[int] = None
    fee_note: Optional[str] = None
    site: Optional[str] = None
    contact_hash: Optional[str] = None
    updated_at: Optional[datetime] = None
    present: frozenset = frozenset()  # fields the record carried (absent fields keep their stored value on update)


@dataclass
class FeedValidation:
    records: list[FeedRecord] = field(default_factory=list)
    errors: list[FeedError] = field(default_factory=list)
    dropped_personal_fields: set[str] = field(default_factory=set)
    ignored_fields: set[str] = field(default_factory=set)

    @property
    def ok(self) -> bool:
        return not self.errors


def _nfc(value: str) -> str:
    return unicodedata.normalize("NFC", value).strip()


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


_DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y")
_DATETIME_FORMATS = ("%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%d/%m/%Y %H:%M", "%d/%m/%Y %H:%M:%S")


def parse_local_datetime(value: Any, tz: ZoneInfo) -> datetime:
    """ISO 8601 (with or without offset), `dd/mm/yyyy [HH:MM]`, or a date; aware values become naive local time."""
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, date):
        return datetime.combine(value, time())
    else:
        text = str(value).strip()
        parsed = None
        try:
            parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            for fmt in _DATE_FORMATS + _DATETIME_FORMATS:
                try:
                    parsed = datetime.strptime(text, fmt)
                    break
                except ValueError:
                    continue
        if parsed is None:
            raise ValueError(f"“{text[:40]}” không phải ngày giờ hợp lệ (YYYY-MM-DD, YYYY-MM-DDTHH:MM hoặc dd/mm/yyyy)")
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(tz).replace(tzinfo=None)
    return parsed.replace(microsecond=0)


def validate_record(raw: Mapping[str, Any], line: int, *, salt: str, tz: ZoneInfo,
                    result: FeedValidation) -> Optional[FeedRecord]:
    """Validate one record into `result` (errors appended); the record, or None when it has errors."""
    errors: list[str] = []
    values: dict[str, Any] = {}
    present: set[str] = set()
    for key, value in raw.items():
        name = str(key).strip().lower()
        if name in PERSONAL_FIELDS:
            result.dropped_personal_fields.add(name)
            continue
        if name not in KNOWN_FIELDS:
            result.ignored_fields.add(name)
            continue
        if _blank(value):
            present.add(name)
            continue
        values[name] = value
        present.add(name)

    code = None
    if "receipt_code" not in values:
        errors.append("thiếu trường bắt buộc 'receipt_code'")
    else:
        try:
            code = normalise_receipt_code(str(values["receipt_code"]))
        except InvalidReceiptCode as error:
            errors.append(f"'receipt_code' không hợp lệ: {error.reason}")

    state = None
    if "state" not in values:
        errors.append("thiếu trường bắt buộc 'state' (1–10 hoặc tên trạng thái)")
    else:
        state = parse_state(values["state"])
        if state is None:
            errors.append(f"'state' không hợp lệ: “{str(values['state'])[:40]}” (1–10 hoặc tên trạng thái chuẩn)")

    record_fields: dict[str, Any] = {}
    for name in DATE_FIELDS + ("updated_at",):
        if name in values:
            try:
                record_fields[name] = parse_local_datetime(values[name], tz)
            except ValueError as error:
                errors.append(f"'{name}': {error}")

    for name, limit in TEXT_LIMITS.items():
        if name in values:
            if not isinstance(values[name], (str, int, float)) or isinstance(values[name], bool):
                errors.append(f"'{name}' phải là chuỗi")
                continue
            text = _nfc(str(values[name]))
            if len(text) > limit:
                errors.append(f"'{name}' dài quá {limit} ký tự")
            record_fields[name] = text
    if "procedure_code" in record_fields and not _PROCEDURE_CODE.match(record_fields["procedure_code"]):
        errors.append(f"'procedure_code' không hợp lệ: “{record_fields['procedure_code']}” (mã quốc gia, vd 1.001193)")
    if "site" in record_fields and not _SITE.match(record_fields["site"]):
        errors.append(f"'site' không hợp lệ: “{record_fields['site']}” (mã điểm tiếp nhận trong ward.yml)")

    if "fee_due" in values:
        fee = values["fee_due"]
        text = str(fee).strip().replace(".", "").replace(",", "") if not isinstance(fee, bool) else "x"
        if isinstance(fee, float) and fee.is_integer():
            text = str(int(fee))
        if not text.isdigit():
            errors.append(f"'fee_due' phải là số tiền nguyên (đồng) ≥ 0, không phải “{str(fee)[:20]}”")
        else:
            record_fields["fee_due"] = int(text)

    phone = values.get("phone_last4", values.get("phone"))
    contact = None
    if phone is not None:
        last4 = last_four_digits(str(phone))
        if last4 is None:
            errors.append("'phone'/'phone_last4' phải có ít nhất 4 chữ số")
        elif code:
            contact = contact_hash(code, last4, salt)

    received, due = record_fields.get("received_at"), record_fields.get("due_at")
    if received and due and due < received:
        errors.append("'due_at' (hẹn trả) sớm hơn 'received_at' (ngày tiếp nhận)")

    if errors:
        result.errors.extend(FeedError(line, message) for message in errors)
        return None
    present_fields = {name for name in present if name not in ("phone", "phone_last4")}
    if phone is not None:
        present_fields.add("contact_hash")
    record = FeedRecord(line=line, receipt_code=code, state=state, contact_hash=contact,
                        present=frozenset(present_fields), **record_fields)
    result.records.append(record)
    return record


def validate_records(rows: Iterable[tuple[int, Any]], *, salt: str, tz: ZoneInfo,
                     result: Optional[FeedValidation] = None) -> FeedValidation:
    """Validate (line, mapping) pairs; non-mappings are errors too."""
    result = result or FeedValidation()
    for line, raw in rows:
        if not isinstance(raw, Mapping):
            result.errors.append(FeedError(line, "mỗi bản ghi phải là một đối tượng JSON (khóa: giá trị)"))
            continue
        validate_record(raw, line, salt=salt, tz=tz, result=result)
    return result
