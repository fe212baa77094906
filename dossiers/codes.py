"""Receipt codes (mã hồ sơ / số biên nhận), Circular 01/2018/TT-VPCP art. 19: `<agency code>-YYMMDD-NNNN`.

The agency code follows QCVN 102:2016: dotted segments that are either 2–3 digits or one letter and two digits
(`H15.50`, `38.98.H29`, `000.00.12.H29`). Citizens type codes in lower case, with spaces, or without the dashes, so
parsing is tolerant where the reading is unambiguous: the part after the agency code is always 6 + 4 digits.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Optional

_SEGMENT = r"(?:[A-Z]\d{2}|\d{2,3})"
AGENCY_PATTERN = rf"{_SEGMENT}(?:\.{_SEGMENT}){{0,3}}"
_CANONICAL = re.compile(rf"^(?P<agency>{AGENCY_PATTERN})-(?P<date>\d{{6}})-(?P<seq>\d{{4}})$")
# Separators people type between the three parts: dash (any dash-like char after NFKC), spaces, underscore, slash.
_SEP = r"[\s_/\-]*"
# A candidate inside free text. The numeric tail of the agency may touch the date when the dashes are missing, so the
# candidate takes the whole run and `parse_receipt_code` splits it by length.
_CANDIDATE = re.compile(
    rf"(?<![A-Za-z0-9.])(?P<agency>(?:[A-Za-z]\d{{2}}|\d{{2,3}})(?:\s*\.\s*(?:[A-Za-z]\d{{2}}|\d{{2,3}})){{0,3}})"
    rf"(?P<tail>{_SEP}\d{{6}}{_SEP}\d{{4}}|\d{{8,9}}(?:{_SEP}\d+)?)(?![A-Za-z0-9])"
)
# Anything shaped like "<letters/digits/dots>-<digits>-<digits>": used to tell "a malformed code" from "no code".
_LOOSE = re.compile(r"(?<![\w.])[A-Za-z0-9]+(?:\.[A-Za-z0-9]+)*\s*-\s*\d{3,}\s*-\s*\d{2,}(?![\w])")
_DASHES = dict.fromkeys(map(ord, "\u2010\u2011\u2012\u2013\u2014\u2015\u2212"), "-")


class InvalidReceiptCode(ValueError):
    """The text is not a valid receipt code; `reason` is a short Vietnamese explanation for the citizen."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class ReceiptCode:
    agency: str
    received: date
    sequence: str

    def __str__(self) -> str:
        return f"{self.agency}-{self.received:%y%m%d}-{self.sequence}"


def _clean(text: str) -> str:
    """NFKC (full-width digits, NFD input) and one kind of dash."""
    return unicodedata.normalize("NFKC", text).translate(_DASHES)


def _check_date(yymmdd: str, today: Optional[date]) -> date:
    try:
        received = date(2000 + int(yymmdd[:2]), int(yymmdd[2:4]), int(yymmdd[4:6]))
    except ValueError:
        raise InvalidReceiptCode(f"phần ngày “{yymmdd}” không phải là một ngày hợp lệ (dạng NămNămThángThángNgàyNgày)")
    if today is not None and received > today + timedelta(days=1):
        raise InvalidReceiptCode(f"phần ngày “{yymmdd}” là một ngày trong tương lai")
    return received


def parse_receipt_code(raw: str, today: Optional[date] = None) -> ReceiptCode:
    """The canonical code from what a person typed; raises `InvalidReceiptCode` with the reason.

    `today` (in the deployment's timezone) enables the check that the receipt date is not in the future.
    """
    text = _clean(raw).strip().upper()
    text = re.sub(r"\s*\.\s*", ".", text)
    if not text:
        raise InvalidReceiptCode("chưa có mã hồ sơ")
    match = _CANONICAL.match(text)
    if match:
        return ReceiptCode(match["agency"], _check_date(match["date"], today), match["seq"])
    compact = re.sub(r"[\s_/\-]+", "-", text)
    match = _CANONICAL.match(compact)
    if match:
        return ReceiptCode(match["agency"], _check_date(match["date"], today), match["seq"])
    # Missing dashes: "<agency><10 digits>" or "<agency>-<10 digits>" or "<agency> <6><4>".
    squeezed = re.sub(r"[\s_/\-]+", "", text)
    match = re.match(rf"^(?P<head>(?:{_SEGMENT}\.)*)(?P<rest>[A-Z]?\d+)$", squeezed)
    if match:
        head, rest = match["head"], match["rest"]
        if rest[0].isalpha():
            agency_tail, digits = rest[:3], rest[3:]
        elif len(rest) in (12, 13):
            agency_tail, digits = rest[: len(rest) - 10], rest[len(rest) - 10 :]
        else:
            agency_tail, digits = "", ""
        agency = head + agency_tail
        if len(digits) == 10 and re.fullmatch(AGENCY_PATTERN, agency):
            return ReceiptCode(agency, _check_date(digits[:6], today), digits[6:])
    raise InvalidReceiptCode(
        "mã hồ sơ phải có dạng <mã cơ quan>-<năm tháng ngày tiếp nhận 6 số>-<số thứ tự 4 số>, ví dụ H15.50-251203-2035"
    )


def normalise_receipt_code(raw: str, today: Optional[date] = None) -> str:
    """Canonical text of a code (`H15.50-251203-2035`); raises `InvalidReceiptCode`."""
    return str(parse_receipt_code(raw, today))


def is_valid_receipt_code(raw: str, today: Optional[date] = None) -> bool:
    try:
        parse_receipt_code(raw, today)
    except InvalidReceiptCode:
        return False
    return True


@dataclass(frozen=True)
class CodeSearch:
    """What a message holds: valid codes (canonical, in order) and the first malformed code-like text, if any."""

    codes: tuple[str, ...]
    malformed: Optional[str] = None
    reason: Optional[str] = None

    @property
    def code(self) -> Optional[str]:
        return self.codes[0] if self.codes else None


def find_receipt_codes(text: str, today: Optional[date] = None) -> CodeSearch:
    """Every receipt code in free text ("hồ sơ h15.50 251203 2035 của tôi sao rồi"), plus a malformed candidate.

    A malformed candidate (e.g. a month 13) lets the conversation explain what is wrong instead of saying "not found".
    """
    cleaned = _clean(text or "")
    codes: list[str] = []
    malformed: Optional[str] = None
    reason: Optional[str] = None
    spans: list[tuple[int, int]] = []
    for match in _CANDIDATE.finditer(cleaned):
        candidate = match.group(0)
        if not re.search(r"[A-Za-z.]", match["agency"]):
            continue  # a bare digit run (a phone or ID number) is never a receipt code
        spans.append(match.span())
        try:
            code = normalise_receipt_code(candidate, today)
        except InvalidReceiptCode as error:
            if malformed is None:
                malformed, reason = candidate.strip(), error.reason
            continue
        if code not in codes:
            codes.append(code)
    if malformed is None:
        inside = 0  # spans and matches both come in text order: one pass, linear in the number of each
        for match in _LOOSE.finditer(cleaned):
            while inside < len(spans) and spans[inside][1] <= match.start():
                inside += 1
            if inside < len(spans) and spans[inside][0] <= match.start():
                continue
            if not re.search(r"[A-Za-z.]", match.group(0).split("-")[0]):
                continue
            try:
                normalise_receipt_code(match.group(0), today)
            except InvalidReceiptCode as error:
                malformed, reason = match.group(0).strip(), error.reason
                break
    return CodeSearch(tuple(codes), malformed, reason)


def extract_receipt_code(text: str, today: Optional[date] = None) -> Optional[str]:
    """The first valid receipt code in free text, canonical; None when there is none."""
    return find_receipt_codes(text, today).code
