"""Best-effort parsing of national-portal procedure records (../shared/reference/dvcqg/README.md).

The portal flattens its tables into run-on strings. Each parser returns what it could read plus warnings for what it
could not; it never guesses a number it is not sure of (an ambiguous time or fee becomes "unknown" with a warning).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Optional

from knowledge.curated_schema import ChannelSpec, DocumentSpec

NO_INFO = "Không có thông tin"

# ------------------------------------------------------------------------------------------------------ channels

_CHANNEL_HEADER = "Hình thức nộpThời gianPhí, lệ phíMô tả"
_CHANNEL_SPLIT = re.compile(r"(Trực tiếp|Trực tuyến|Dịch vụ bưu chính)(?=\s*(?:\d|Không có thông tin))")
_CHANNEL_TYPES = {"Trực tiếp": "in_person", "Trực tuyến": "online", "Dịch vụ bưu chính": "post"}
_TIME = re.compile(r"\s*(?:(Không có thông tin)|(\d+(?:[.,]\d+)*)\s*(Ngày làm việc|Ngày|Giờ|Tháng)?)")
_UNITS = {"Ngày làm việc": "working_day", "Ngày": "day", "Giờ": "hour", "Tháng": "month"}
_CURRENCY = re.compile(r"\s*(Việt Nam Đồng|VNĐ|Đồng|đồng|vnđ)")
_AMOUNT = re.compile(r"\s*(\d[\d.,]*)\s*(Việt Nam Đồng|VNĐ|Đồng|đồng|vnđ)")
_PROVINCE = re.compile(r"Hội đồng nhân dân (?:cấp )?tỉnh|HĐND(?: cấp)? tỉnh|HĐND", re.IGNORECASE)
_STEP_UNIT = {"ngày làm việc": "working_day", "ngày": "day", "giờ": "hour"}


@dataclass
class ParsedRecord:
    code: str
    name: str
    official_name: str
    field: str
    level: Optional[str]
    applicants: Optional[str]
    conditions: Optional[str]
    steps: list[str]
    results: list[str]
    legal_basis: list[dict]
    documents: list[DocumentSpec]
    channels: list[ChannelSpec]
    decision: Optional[str]
    url: Optional[str]
    warnings: list[str] = field(default_factory=list)
    review_flags: list[str] = field(default_factory=list)


def _clean(text: Optional[str]) -> Optional[str]:
    if text is None:
        return None
    text = re.sub(r"\s+", " ", text).strip()
    return None if not text or text == NO_INFO else text


def _balanced_parenthesis(text: str) -> tuple[Optional[str], str]:
    """Split "(…)rest" into ("…", "rest") honouring nested parentheses."""
    if not text.startswith("("):
        return None, text
    depth = 0
    for index, char in enumerate(text):
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth == 0:
                return text[1:index], text[index + 1 :]
    return text[1:], ""


def _unit_from_steps(value: str, steps_text: str) -> Optional[str]:
    """A bare time column ("5") sometimes only gets its unit in the steps text ("05 ngày làm việc")."""
    number = int(value)
    pattern = re.compile(r"(?<!\d)0*" + str(number) + r"\s*(?:\([^)]{0,20}\)\s*)?(ngày làm việc|ngày|giờ)", re.IGNORECASE)
    units = {_STEP_UNIT[m.group(1).lower()] for m in pattern.finditer(steps_text or "")}
    return units.pop() if len(units) == 1 else None


def _number(text: str) -> Optional[float]:
    try:
        return float(text.replace(",", "."))
    except ValueError:
        return None


def _amount(text: str) -> Optional[int]:
    digits = re.sub(r"[.,]", "", text)
    return int(digits) if digits.isdigit() and int(digits) > 0 else None


def parse_channels(text: str, steps_text: str = "") -> tuple[list[ChannelSpec], list[str], list[str]]:
    """Channels table → (channels, warnings, review flags)."""
    warnings: list[str] = []
    flags: list[str] = []
    body = (text or "").replace(_CHANNEL_HEADER, "", 1)
    parts = _CHANNEL_SPLIT.split(body)
    channels: list[ChannelSpec] = []
    for index in range(1, len(parts), 2):
        label, rest = parts[index], parts[index + 1]
        kind = _CHANNEL_TYPES[label]
        time_value = time_unit = None
        match = _TIME.match(rest)
        fee_kind, fee_amount = "unknown", None
        if match and match.group(2) is not None:
            raw_value, raw_unit = match.group(2), match.group(3)
            after = rest[match.end():]
            if raw_unit is None and (_CURRENCY.match(after) or "," in raw_value):
                # "120,000 VNĐ": a bare time fused with a fee amount; neither can be told apart safely.
                warnings.append(f"{label}: thời hạn và lệ phí dính liền ('{raw_value}'), không tách được")
                rest = _CURRENCY.sub("", after, count=1)
                fee_kind = "unknown"
                fee_done = True
            else:
                fee_done = False
                time_value = _number(raw_value)
                time_unit = _UNITS.get(raw_unit) if raw_unit else _unit_from_steps(raw_value, steps_text)
                if time_unit is None:
                    warnings.append(f"{label}: thời hạn '{raw_value}' không rõ đơn vị")
                rest = after
        else:
            fee_done = False
            if match and match.group(1):
                rest = rest[match.end():]
            warnings.append(f"{label}: không có thông tin thời hạn")
        if not fee_done:
            stripped = rest.lstrip()
            amount_match = _AMOUNT.match(stripped)
            if stripped.startswith("Miễn phí"):
                fee_kind, rest = "free", stripped[len("Miễn phí"):]
            elif stripped.startswith(NO_INFO):
                fee_kind, rest = "unknown", stripped[len(NO_INFO):]
            elif amount_match:
                fee_amount = _amount(amount_match.group(1))
                fee_kind = "fixed" if fee_amount else "unknown"
                rest = stripped[amount_match.end():]
            else:
                warnings.append(f"{label}: không đọc được lệ phí")
                rest = stripped
        note, rest = _balanced_parenthesis(rest.lstrip())
        note, description = _clean(note), _clean(rest)
        mentions_province = bool(_PROVINCE.search(note or "") or _PROVINCE.search(description or ""))
        if mentions_province:
            # "Miễn phí" in the column while the text says the province sets it: say it is province-set.
            fee_kind, fee_amount = "province", None
        if fee_kind == "fixed" and fee_amount and fee_amount < 1000:
            warnings.append(f"{label}: lệ phí {fee_amount} đồng có vẻ sai đơn vị, coi là chưa rõ")
            fee_kind, fee_amount = "unknown", None
        channels.append(
            ChannelSpec(
                type=kind,
                portals=["national_portal"] if kind == "online" else [],
                requires_vneid_level2=False,
                time_value=time_value if time_unit else None,
                time_unit=time_unit,
                time_rule=None,
                fee_kind=fee_kind,
                fee_amount=fee_amount,
                fee_note=note,
                description=description,
            )
        )
    if not channels:
        warnings.append("không đọc được cách thức thực hiện")
    limits = {(c.time_value, c.time_unit) for c in channels if c.time_value is not None}
    if len(limits) > 1:
        shown = "/".join(
            f"{int(v) if float(v).is_integer() else v}" for v, _ in sorted(limits, key=lambda item: item[0])
        )
        flags.append(f"thời hạn khác nhau theo cách nộp ({shown})")
    return channels, warnings, flags


# ----------------------------------------------------------------------------------------------------- documents

_TABLE_HEADER = "Tên giấy tờMẫu đơn, tờ khaiSố lượng"
_GROUP_HEADERS = (
    (re.compile(r"\*\s*Giấy tờ phải nộp\s*:?"), "submit"),
    (re.compile(r"\*\s*Giấy tờ phải xuất trình\s*:?"), "present"),
    (re.compile(r"\*\s*Lưu ý\s*:?"), "note"),
)
_QUANTITY = re.compile(r"(\d+)\s*bản chính(?:\s*,\s*(\d+)\s*bản sao)?|(\d+)\s*bản sao")
_FORM_FILE = re.compile(r"\.(?:docx?|pdf|xlsx?|rtf|odt)\s*$", re.IGNORECASE)


def _quantity(run: str) -> tuple[int, str, bool]:
    """Digits before "bản chính" → (quantity, digits that belong to the item text, was it ambiguous)."""
    if len(run) == 1:
        return int(run), "", False
    if len(run) == 2 and run.startswith("0"):
        return int(run), "", False  # "01 bản chính"
    # A form or year number fused with the quantity ("Mẫu số 18" + "1" → "181"): the quantity is the last digit.
    return int(run[-1]), run[:-1], True


def _split_form(name: str) -> tuple[str, Optional[str]]:
    if not _FORM_FILE.search(name):
        return name, None
    window_start = max(0, len(name) - 120)
    cut = -1
    for separator in (";", ")", ":", "]"):
        cut = max(cut, name.rfind(separator, window_start))
    for match in re.finditer(r"\.(?=\S)", name[window_start:]):
        position = window_start + match.start()
        if not _FORM_FILE.match(name[position:]):
            cut = max(cut, position)
    if cut < 0:
        return name, None
    form = name[cut + 1 :].strip()
    return name[: cut + 1].strip(), form or None


def parse_documents(text: str) -> tuple[list[DocumentSpec], list[str]]:
    warnings: list[str] = []
    text = text or ""
    documents: list[DocumentSpec] = []
    group, case = "submit", None
    position = 0
    for match in _QUANTITY.finditer(text):
        segment = text[position : match.start()]
        position = match.end()
        for pattern, name in _GROUP_HEADERS:
            found = list(pattern.finditer(segment))
            if found:
                group = name
                segment = segment[found[-1].end():]
                case = None
        if _TABLE_HEADER in segment:
            before, segment = segment.rsplit(_TABLE_HEADER, 1)
            before = _clean(before.strip(" -"))
            case = before if before else case
        if match.group(1) is not None:
            originals, extra, ambiguous = _quantity(match.group(1))
            copies = int(match.group(2)) if match.group(2) else 0
        else:
            originals = 0
            copies, extra, ambiguous = _quantity(match.group(3))
        segment = (segment + extra).strip()
        segment = re.sub(r"^[-–•\s]+", "", segment)
        name, form = _split_form(segment)
        name = _clean(name) or ""
        if not name:
            continue
        if ambiguous:
            warnings.append(f"số lượng dính với số hiệu mẫu: '{name[-30:]}' → {originals or copies}")
        item_group = "note" if originals == 0 and copies == 0 else group
        documents.append(
            DocumentSpec(
                group=item_group, name=name, form=form, originals=originals, copies=copies, case=case, notes=None
            )
        )
    leftover = _clean(text[position:].replace(_TABLE_HEADER, " ").strip(" -"))
    if leftover:
        warnings.append("phần cuối thành phần hồ sơ không có số lượng")
        documents.append(DocumentSpec("note", leftover, None, 0, 0, case, None))
    if not documents and _clean(text):
        warnings.append("không tách được thành phần hồ sơ")
    return documents, warnings


# ------------------------------------------------------------------------------------------------ other columns

_LEGAL_HEADER = "Tên văn bản pháp lýMã văn bản"
_LEGAL_CODE = re.compile(r"(?:Luật\s*(?:số\s*)?)?\d+(?:\.\d+)?/(?:\d{4}/)?[A-ZĐ]+(?:-[A-ZĐ]+)*\d*")


def parse_legal_basis(text: str) -> list[dict]:
    body = (text or "").replace(_LEGAL_HEADER, "", 1)
    refs: list[dict] = []
    position = 0
    for match in _LEGAL_CODE.finditer(body):
        if match.start() < position:
            continue
        end = match.end()
        # "…NĐ-CPNghị định…": the capital that starts the next title was swallowed by the code.
        if end < len(body) and body[end].islower() and body[end - 1].isupper():
            end -= 1
        if end < len(body) and not (body[end].isupper() or body[end] in "Đ"):
            continue  # a code quoted inside a title ("Nghị định số 123/2015/NĐ-CP ngày …"), not the code column
        start = match.start()
        if start > 0 and body[start - 1] == "/" and re.match(r"\d{5,}/", body[start:end]):
            start += 4  # "…ngày 15/11/2015" fused with "123/2015/NĐ-CP"
        code = body[start:end].strip()
        title = _clean(body[position:start].strip(" ;,")) or ""
        position = end
        if not title and refs and refs[-1]["code"] == code:
            continue
        refs.append({"code": code, "title": title or code})
    return refs


def parse_results(text: str) -> list[str]:
    body = (text or "").split("Từ khóa", 1)[0]
    pieces = re.split(r"Mã:\s*KQ[.\w]*", body)
    return [piece for piece in (_clean(p) for p in pieces) if piece]


def parse_steps(text: str) -> list[str]:
    return [line for line in (_clean(l) for l in (text or "").splitlines()) if line]


def display_name(official: str) -> str:
    name = re.sub(r"^\s*Thủ tục\s+", "", official or "").strip()
    return name[:1].upper() + name[1:] if name else (official or "").strip()


def parse_record(record: dict) -> ParsedRecord:
    """One portal record → a ParsedRecord. Raises ValueError only when code or name are missing."""
    code = (record.get("ma_thu_tuc") or "").strip()
    official = _clean(record.get("ten_thu_tuc")) or ""
    if not code or not official:
        raise ValueError("thiếu mã hoặc tên thủ tục")
    steps_text = record.get("trinh_tu_thuc_hien") or ""
    channels, channel_warnings, flags = parse_channels(record.get("cach_thuc_thuc_hien") or "", steps_text)
    documents, document_warnings = parse_documents(record.get("thanh_phan_ho_so") or "")
    return ParsedRecord(
        code=code,
        name=display_name(official),
        official_name=official,
        field=_clean(record.get("linh_vuc")) or "",
        level=_clean(record.get("cap_thuc_hien")),
        applicants=_clean(record.get("doi_tuong_thuc_hien")),
        conditions=_clean(record.get("yeu_cau_dieu_kien")),
        steps=parse_steps(steps_text),
        results=parse_results(record.get("ket_qua_xu_ly") or ""),
        legal_basis=parse_legal_basis(record.get("can_cu_phap_ly") or ""),
        documents=documents,
        channels=channels,
        decision=_clean(record.get("so_quyet_dinh")),
        url=_clean(record.get("detail_url")),
        warnings=channel_warnings + document_warnings,
        review_flags=flags,
    )
