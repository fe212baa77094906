"""Accent folding is the one definition of "the same words" for search and NLU."""
from __future__ import annotations

import unicodedata

import pytest

from knowledge.text import fold, search_key, search_tokens


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Đăng ký khai sinh", "dang ky khai sinh"),
        ("  ĐĂNG   KÝ\tKẾT HÔN ", "dang ky ket hon"),
        (unicodedata.normalize("NFD", "Giấy chứng tử"), "giay chung tu"),
        ("sổ đỏ", "so do"),
        ("Hộ khẩu", "ho khau"),
        ("", ""),
    ],
)
def test_fold(text, expected):
    assert fold(text) == expected


def test_fold_nfc_and_nfd_agree():
    text = "Xác nhận tình trạng hôn nhân ở phường"
    assert fold(unicodedata.normalize("NFD", text)) == fold(unicodedata.normalize("NFC", text))


def test_search_tokens_unify_i_and_y_and_drop_punctuation():
    assert search_tokens("Đăng kí, đăng ký!") == ["dang", "ki", "dang", "ki"]
    assert search_tokens("lý lịch tư pháp?") == ["li", "lich", "tu", "phap"]
    assert search_tokens("tuổi") == ["tuoi"]
    assert search_key("Khai   sinh.") == "khai sinh"
