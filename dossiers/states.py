"""The ten national dossier states used when provincial one-stop systems sync with the national portal.

"Quá hạn" (overdue) is not a state: it is derived from the due date (see `is_overdue_applicable`).
"""
from __future__ import annotations

import unicodedata
from enum import IntEnum
from typing import Optional


class DossierState(IntEnum):
    NEW = 1  # Mới đăng ký
    RECEIVED = 2  # Được tiếp nhận
    REJECTED = 3  # Không được tiếp nhận
    PROCESSING = 4  # Đang xử lý
    NEEDS_SUPPLEMENT = 5  # Yêu cầu bổ sung giấy tờ
    NEEDS_PAYMENT = 6  # Yêu cầu thực hiện nghĩa vụ tài chính
    WITHDRAWN = 7  # Công dân yêu cầu rút hồ sơ
    STOPPED = 8  # Dừng xử lý
    DONE = 9  # Đã xử lý xong
    RETURNED = 10  # Đã trả kết quả


OFFICIAL_LABELS: dict[DossierState, str] = {
    DossierState.NEW: "Mới đăng ký",
    DossierState.RECEIVED: "Được tiếp nhận",
    DossierState.REJECTED: "Không được tiếp nhận",
    DossierState.PROCESSING: "Đang xử lý",
    DossierState.NEEDS_SUPPLEMENT: "Yêu cầu bổ sung giấy tờ",
    DossierState.NEEDS_PAYMENT: "Yêu cầu thực hiện nghĩa vụ tài chính",
    DossierState.WITHDRAWN: "Công dân yêu cầu rút hồ sơ",
    DossierState.STOPPED: "Dừng xử lý",
    DossierState.DONE: "Đã xử lý xong",
    DossierState.RETURNED: "Đã trả kết quả",
}

# States in which the agency still owes the citizen a result: only then can a dossier be "late".
OVERDUE_APPLICABLE = frozenset({DossierState.NEW, DossierState.RECEIVED, DossierState.PROCESSING})


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFD", text.strip().lower()).replace("đ", "d")
    return "".join(ch for ch in text if unicodedata.category(ch) != "Mn").replace("đ", "d")


_BY_FOLDED_LABEL = {_fold(label): state for state, label in OFFICIAL_LABELS.items()}
_BY_NAME = {state.name.lower(): state for state in DossierState}


def parse_state(value: object) -> Optional[DossierState]:
    """A state from a feed: its number (1–10, as int or text), its official Vietnamese label (any accents/case),
    or its English name (`processing`). None when unrecognised."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return DossierState(value) if 1 <= value <= 10 else None
    text = str(value).strip()
    if text.isdigit():
        return parse_state(int(text))
    return _BY_FOLDED_LABEL.get(_fold(text)) or _BY_NAME.get(text.lower())
