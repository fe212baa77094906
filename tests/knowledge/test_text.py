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


def test_letters_without_tone_keep_the_letters_that_make_a_different_word():
    from knowledge.text import letters_without_tone

    assert letters_without_tone("đi") != letters_without_tone("di")  # go / (di chúc)
    assert letters_without_tone("mất") != letters_without_tone("mặt")
    assert letters_without_tone("thực") == letters_without_tone("thưc")  # a mistyped tone is the same word
    assert letters_without_tone("Ký") == letters_without_tone("kí") == "ki"


def test_typed_letters_only_constrain_words_always_typed_with_diacritics():
    from knowledge.text import typed_letters

    letters = typed_letters("đi công chứng, cong chung lại")
    assert letters["di"] == {"đi"}
    assert "cong" not in letters and "chung" not in letters  # typed once without diacritics: could be anything


def test_contains_phrase_compares_diacritics_only_where_they_were_typed():
    from knowledge.text import contains_phrase, cue_tokens

    fix = cue_tokens("sửa")
    assert contains_phrase(cue_tokens("muốn sửa lại"), fix)
    assert contains_phrase(cue_tokens("muon sua lai"), fix)
    assert not contains_phrase(cue_tokens("trà sữa"), fix)
    assert contains_phrase(cue_tokens("đăng kí lại"), cue_tokens("đăng ký lại"))


def test_plain_ky_spelling_is_a_word_typed_without_diacritics():
    from knowledge.text import contains_phrase, cue_tokens, typed_letters

    assert cue_tokens("dang ky lai") == (("dang", ""), ("ki", ""), ("lai", ""))
    assert contains_phrase(cue_tokens("xa can dang ky lai viec khai tu"), cue_tokens("đăng ký lại"))
    assert "ki" not in typed_letters("dang ky")


@pytest.mark.parametrize("old_style, new_style", [
    ("xoá", "xóa"), ("hoà", "hòa"), ("thoả", "thỏa"), ("khoẻ", "khỏe"), ("tuỳ", "tùy"), ("thuỷ", "thủy"),
    ("huỷ", "hủy"), ("hoạ", "họa"),
])
def test_both_tone_placements_are_one_accented_word(old_style, new_style):
    """Keyboards put the tone of "oa/oe/uy" on either vowel ("xoá" / "xóa"): both are the same word to a cue,
    while a different tone or letter stays a different word."""
    from knowledge.text import contains_phrase, cue_tokens

    assert cue_tokens(old_style) == cue_tokens(new_style)
    assert contains_phrase(cue_tokens(f"muốn {old_style} luôn"), cue_tokens(new_style))
    assert contains_phrase(cue_tokens(f"muốn {new_style} luôn"), cue_tokens(old_style))
    assert not contains_phrase(cue_tokens("trà sữa"), cue_tokens("sửa"))
