from datetime import date

import pytest

from dossiers.codes import InvalidReceiptCode, extract_receipt_code, find_receipt_codes, normalise_receipt_code


@pytest.mark.parametrize("raw, expected", [
    ("H15.50-251203-2035", "H15.50-251203-2035"),
    ("h15.50-251203-2035", "H15.50-251203-2035"),
    ("  H15.50 - 251203 - 2035 ", "H15.50-251203-2035"),
    ("h15.50 251203 2035", "H15.50-251203-2035"),
    ("H15.50-2512032035", "H15.50-251203-2035"),
    ("H15.502512032035", "H15.50-251203-2035"),
    ("38.98.H29-210519-0013", "38.98.H29-210519-0013"),
    ("38.98.h292105190013", "38.98.H29-210519-0013"),
    ("000.00.12.H29-210519-0013", "000.00.12.H29-210519-0013"),
    ("000.00.12.H29_210519_0013", "000.00.12.H29-210519-0013"),
    ("H15.50–251203–2035", "H15.50-251203-2035"),  # en dashes from a phone keyboard
    ("Ｈ１５.５０-２５１２０３-２０３５", "H15.50-251203-2035"),  # full-width characters
])
def test_normalise_accepts_what_people_type(raw, expected):
    assert normalise_receipt_code(raw) == expected


@pytest.mark.parametrize("raw, reason_part", [
    ("H15.50-251303-2035", "251303"),  # month 13
    ("H15.50-250230-2035", "250230"),  # 30 February
    ("H15.50-25120-2035", "dạng"),  # 5-digit date
    ("H15.50-251203-203", "dạng"),  # 3-digit sequence
    ("HH15.50-251203-2035", "dạng"),  # agency segment with two letters
    ("", "chưa có"),
    ("0912345678", "dạng"),
])
def test_malformed_codes_are_rejected_with_a_reason(raw, reason_part):
    with pytest.raises(InvalidReceiptCode) as error:
        normalise_receipt_code(raw)
    assert reason_part in error.value.reason


def test_a_receipt_date_in_the_future_is_rejected_when_today_is_known():
    with pytest.raises(InvalidReceiptCode, match="tương lai"):
        normalise_receipt_code("H15.50-270101-0001", today=date(2026, 1, 20))
    assert normalise_receipt_code("H15.50-260121-0001", today=date(2026, 1, 20)) == "H15.50-260121-0001"


@pytest.mark.parametrize("text, expected", [
    ("hồ sơ H15.50-251203-2035 của tôi sao rồi", "H15.50-251203-2035"),
    ("ho so h15.50 251203 2035 cua toi sao roi", "H15.50-251203-2035"),
    ("mã hồ sơ: 000.00.12.H29-210519-0013.", "000.00.12.H29-210519-0013"),
    ("(38.98.H29-210519-0013) xong chưa ad", "38.98.H29-210519-0013"),
    ("ho so " + "H15.50-251203-2035".lower() + ", sdt 0912345678", "H15.50-251203-2035"),
    ("hồ sơ H15.50-251203-2035 của tôi sao rồi".encode().decode() and
     __import__("unicodedata").normalize("NFD", "hồ sơ H15.50-251203-2035 của tôi sao rồi"), "H15.50-251203-2035"),
])
def test_extract_from_free_text(text, expected):
    assert extract_receipt_code(text) == expected


@pytest.mark.parametrize("text", [
    "hồ sơ của tôi sao rồi",
    "số điện thoại 0912345678, cccd 079188012345",
    "thủ tục 1.001193 cần gì",
    "",
])
def test_no_code_in_text_without_one(text):
    search = find_receipt_codes(text)
    assert search.code is None and search.malformed is None


def test_malformed_code_in_text_is_reported_not_ignored():
    search = find_receipt_codes("hồ sơ H15.50-251303-2035 đâu rồi")
    assert search.code is None
    assert search.malformed == "H15.50-251303-2035"
    assert "251303" in search.reason


def test_several_codes_keep_their_order():
    assert find_receipt_codes("H15.50-251203-2035 và 38.98.H29-210519-0013").codes == (
        "H15.50-251203-2035", "38.98.H29-210519-0013")
