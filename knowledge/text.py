"""Vietnamese text normalisation shared by search, the loader and the NLU component.

Citizens type with or without diacritics, in NFC or NFD (some phone keyboards), so every comparison of user text
goes through `fold`: one definition of "the same words" for the whole project.
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_SPACES = re.compile(r"\s+")
_NON_WORD = re.compile(r"[^0-9a-z]+")
# A syllable that ends in "y" right after a consonant is spelled with "i" just as often ("ký"/"kí", "lý"/"lí").
_CONSONANT_Y = re.compile(r"^([bcdghklmnpqrstvx]+)y$")


def nfc(text: str) -> str:
    """Compose diacritics so NFD input from phone keyboards compares equal to NFC text."""
    return unicodedata.normalize("NFC", text)


def _build_strip_table() -> dict[int, str]:
    """Precomposed Latin letters → base letter, so folding is one `str.translate` instead of a per-character loop."""
    table: dict[int, str] = {ord("đ"): "d", ord("Đ"): "d"}
    for code in range(0x00C0, 0x1EFF + 1):
        char = chr(code)
        base = "".join(c for c in unicodedata.normalize("NFD", char) if not unicodedata.combining(c))
        if base != char and len(base) == 1 and base.isascii():
            table[code] = base
    for code in range(0x0300, 0x0370):  # combining marks left over from unusual NFD input
        table[code] = ""
    return table


_STRIP_TABLE = _build_strip_table()


def fold(text: str) -> str:
    """Accent-fold Vietnamese text: NFC, lowercase, no diacritics, đ→d, single spaces, trimmed.

    >>> fold("  Đăng KÝ   khai sinh ")
    'dang ky khai sinh'
    """
    text = unicodedata.normalize("NFC", text or "").lower().translate(_STRIP_TABLE)
    return _SPACES.sub(" ", text).strip()


@lru_cache(maxsize=65536)
def normalize_syllable(token: str) -> str:
    """Map spelling variants of one folded syllable to one form (ky→ki, ly→li) so both spellings match."""
    match = _CONSONANT_Y.match(token)
    if match:
        return match.group(1) + "i"
    return token


def search_tokens(text: str) -> list[str]:
    """Folded, punctuation-free syllables with spelling variants unified: the unit of the search index."""
    words = _NON_WORD.sub(" ", fold(text)).split()
    return [normalize_syllable(word) for word in words]


def search_key(text: str) -> str:
    """The folded, tokenised form of a phrase joined by spaces, used for phrase (substring) matching."""
    return " ".join(search_tokens(text))
