"""VietnameseTokenizer: offsets always point into the text exactly as Rasa holds it."""
from __future__ import annotations

import unicodedata

import pytest
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.tokenizer import VietnameseTokenizer, lemma_of


@pytest.fixture(scope="module")
def tokenizer() -> VietnameseTokenizer:
    return VietnameseTokenizer(VietnameseTokenizer.get_default_config())


def tokenize(tokenizer: VietnameseTokenizer, text: str):
    tokens = tokenizer.tokenize(Message.build(text=text), "text")
    for token in tokens:
        assert text[token.start:token.end] == token.text, f"offsets drift for {token.text!r} in {text!r}"
    return tokens


def texts(tokens) -> list[str]:
    return [t.text for t in tokens]


def test_compound_words_kept_together(tokenizer):
    tokens = tokenize(tokenizer, "Làm giấy khai sinh cần gì?")
    assert texts(tokens) == ["Làm", "giấy", "khai sinh", "cần", "gì"]
    assert [t.lemma for t in tokens] == ["lam", "giay", "khai sinh", "can", "gi"]


def test_nfd_input_offsets_match_original_text(tokenizer):
    nfd = unicodedata.normalize("NFD", "Đăng ký kết hôn ở đâu ạ")
    assert nfd != unicodedata.normalize("NFC", nfd)
    tokens = tokenize(tokenizer, nfd)
    assert [unicodedata.normalize("NFC", t) for t in texts(tokens)] == ["Đăng ký", "kết hôn", "ở", "đâu", "ạ"]
    # lemmas are the same as for NFC input
    assert [t.lemma for t in tokens] == [t.lemma for t in tokenize(tokenizer, "Đăng ký kết hôn ở đâu ạ")]


def test_receipt_codes_stay_one_token_with_a_placeholder_lemma(tokenizer):
    for code in ["H15.50-251203-2035", "38.98.H29-210519-0013", "000.00.12.H29-250701-0042", "h15.50 251203 2035"]:
        tokens = tokenize(tokenizer, f"hồ sơ {code} của tôi sao rồi")
        assert code in texts(tokens)
        assert next(t for t in tokens if t.text == code).lemma == "mahoso"


def test_urls_emoji_and_numbers(tokenizer):
    tokens = tokenize(tokenizer, "xem https://dichvucong.gov.vn/p/1 nhé 😀 phí 50.000đ, mã 1.001193")
    words = texts(tokens)
    assert "https://dichvucong.gov.vn/p/1" in words
    assert "😀" in words
    assert "50.000" in words and "1.001193" in words


def test_punctuation_dropped_but_offsets_continue(tokenizer):
    tokens = tokenize(tokenizer, "ad ơi!!! cho e hỏi, được không?")
    assert not any(t.text in {"!", ",", "?"} for t in tokens)
    assert " ".join(t.lemma for t in tokens) == "ad oi cho e hoi duoc khong"


def test_without_diacritics_and_mixed_case(tokenizer):
    plain = tokenize(tokenizer, "lam giay khai sinh can gi")
    upper = tokenize(tokenizer, "THỦ TỤC KẾT HÔN")
    assert " ".join(t.lemma for t in plain) == "lam giay khai sinh can gi"
    assert [t.lemma for t in upper] == ["thu tuc", "ket hon"]


def test_spelling_rewrites_by_underthesea_do_not_shift_offsets(tokenizer):
    # underthesea rewrites "hoà" to "hòa"; the token must still be the original spelling
    tokens = tokenize(tokenizer, "thủ tục hoà giải tranh chấp")
    assert "hoà" in "".join(texts(tokens))


def test_extra_whitespace_and_empty_input(tokenizer):
    tokens = tokenize(tokenizer, "  khai   sinh \n cho  con ")
    assert " ".join(t.lemma for t in tokens).split() == ["khai", "sinh", "cho", "con"]
    assert tokenize(tokenizer, "") == []
    assert tokenize(tokenizer, "   ") == []


def test_only_punctuation_gives_one_token(tokenizer):
    assert texts(tokenize(tokenizer, " ??? ")) == ["???"]


def test_huge_input_is_cut_to_the_first_characters(tokenizer):
    text = ("sổ đỏ " * 2000) + "<script>alert(1)</script>" + "a" * 50000
    tokens = tokenize(tokenizer, text)
    assert 300 < len(tokens) and tokens[-1].end <= 2000


@pytest.mark.parametrize("variant", ["Kí", "ký", "KÝ", "ki"])
def test_lemma_unifies_y_i_spellings(variant):
    assert lemma_of(variant) == "ki"
