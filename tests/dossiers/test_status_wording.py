"""Every one of the ten states gets its own plain-Vietnamese answer, dates in dd/mm/yyyy, next steps, overdue."""
from __future__ import annotations

from datetime import datetime

import pytest

from dossiers.directory import EmptyDirectory
from dossiers.messages import STATE_WORDING, status_message
from dossiers.service import DossierView
from dossiers.states import OFFICIAL_LABELS, DossierState
from tests.dossiers.conftest import FakeDirectory

NOW = datetime(2026, 1, 20, 10, 0)


def view(state: DossierState, **overrides) -> DossierView:
    values = dict(receipt_code="H15.50-251203-2035", procedure_code="1.001193", state=state,
                  received_at=datetime(2025, 12, 3, 8, 30), due_at=datetime(2026, 1, 25), completed_at=None,
                  returned_at=None, pickup_from=None, supplement=None, fee_due=None, fee_note=None,
                  site="tru-so-chinh")
    values.update(overrides)
    return DossierView(**values)


EXPECTED_NEXT = {
    DossierState.NEW: "Bạn chưa cần làm gì thêm",
    DossierState.RECEIVED: "Bạn chưa cần làm gì thêm",
    DossierState.REJECTED: "liên hệ Trụ sở chính (Số 1 Đường Mẫu) để biết lý do",
    DossierState.PROCESSING: "Bạn chưa cần làm gì thêm",
    DossierState.NEEDS_SUPPLEMENT: "Việc cần làm: bổ sung Bản sao giấy chứng sinh. Nơi nộp bổ sung: Trụ sở chính (Số 1 Đường Mẫu).",
    DossierState.NEEDS_PAYMENT: "Việc cần làm: nộp phí, lệ phí 1.500.000 đồng (lệ phí trước bạ) tại Trụ sở chính",
    DossierState.WITHDRAWN: None,
    DossierState.STOPPED: "liên hệ Trụ sở chính (Số 1 Đường Mẫu) để biết lý do",
    DossierState.DONE: "Việc cần làm: đến nhận kết quả tại Trụ sở chính (Số 1 Đường Mẫu) từ 14:00 ngày 22/01/2026.",
    DossierState.RETURNED: None,
}


@pytest.mark.parametrize("state", list(DossierState))
def test_every_state_has_its_own_wording_and_next_step(state):
    text = status_message(view(state, supplement="Bản sao giấy chứng sinh", fee_due=1_500_000,
                               fee_note="lệ phí trước bạ", pickup_from=datetime(2026, 1, 22, 14, 0),
                               returned_at=datetime(2026, 1, 23, 9, 15) if state is DossierState.RETURNED else None),
                          FakeDirectory(), NOW)
    assert text.startswith("Hồ sơ H15.50-251203-2035 — Đăng ký khai sinh (mã 1.001193)\n")
    assert f"Trạng thái: {OFFICIAL_LABELS[state]}. {STATE_WORDING[state]}" in text
    assert "Ngày tiếp nhận: 08:30 ngày 03/12/2025" in text and "Hẹn trả kết quả: 25/01/2026" in text
    others = [STATE_WORDING[s] for s in DossierState if s is not state]
    assert not any(other in text for other in others)
    expected = EXPECTED_NEXT[state]
    if expected:
        assert expected in text
    else:
        assert "Việc cần làm" not in text and "chưa cần làm" not in text
    if state is DossierState.RETURNED:
        assert "Ngày trả kết quả: 09:15 ngày 23/01/2026" in text
    assert len(text) <= 2000


def test_all_ten_wordings_are_distinct():
    assert len(set(STATE_WORDING.values())) == 10 == len(STATE_WORDING)


@pytest.mark.parametrize("state", [DossierState.NEW, DossierState.RECEIVED, DossierState.PROCESSING])
def test_overdue_notice_when_past_the_due_date(state):
    text = status_message(view(state, due_at=datetime(2026, 1, 15, 17, 0)), FakeDirectory(), NOW)
    assert "⚠️ Hồ sơ đã quá hạn hẹn trả 5 ngày" in text


@pytest.mark.parametrize("state", [DossierState.DONE, DossierState.RETURNED, DossierState.NEEDS_SUPPLEMENT,
                                   DossierState.WITHDRAWN])
def test_no_overdue_notice_when_the_agency_owes_nothing(state):
    assert "quá hạn" not in status_message(view(state, due_at=datetime(2026, 1, 15)), FakeDirectory(), NOW)


def test_due_later_today_is_not_overdue():
    assert "quá hạn" not in status_message(view(DossierState.PROCESSING, due_at=datetime(2026, 1, 20, 16, 0)),
                                           FakeDirectory(), NOW)


def test_missing_knowledge_base_falls_back_to_codes_and_the_centre():
    text = status_message(view(DossierState.DONE, site="unknown-site"), EmptyDirectory(), NOW)
    assert text.startswith("Hồ sơ H15.50-251203-2035 — thủ tục mã 1.001193\n")
    assert "đến nhận kết quả tại Trung tâm Phục vụ hành chính công phường." in text


def test_supplement_without_details_points_to_the_centre():
    text = status_message(view(DossierState.NEEDS_SUPPLEMENT), FakeDirectory(), NOW)
    assert "liên hệ Trung tâm để biết cụ thể" in text and "0000 000 000" in text
