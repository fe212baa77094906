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


def strip_marks(text: str) -> str:
    """Diacritics removed character by character (đ→d, a combining mark → nothing), case and spacing kept: a
    precomposed letter stays one character, so offsets into NFC text still hold."""
    return (text or "").translate(_STRIP_TABLE)


def fold(text: str) -> str:
    """Accent-fold Vietnamese text: NFC, lowercase, no diacritics, đ→d, single spaces, trimmed.

    >>> fold("  Đăng KÝ   khai sinh ")
    'dang ky khai sinh'
    """
    text = unicodedata.normalize("NFC", text or "").lower().translate(_STRIP_TABLE)
    return _SPACES.sub(" ", text).strip()


def _unify_y(token: str) -> str:
    match = _CONSONANT_Y.match(token)
    return match.group(1) + "i" if match else token


# A folded Vietnamese syllable: onset, then an open rhyme or a nucleus with a final consonant. Loose on purpose (it
# accepts a few non-words); it only has to tell typing accidents ("thur", "khaii", "khaisinh") from real syllables.
_ONSET = r"(?:ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|[bcdghklmnprstvx])?"
_OPEN = (r"(?:a|ai|ao|au|ay|e|eo|eu|i|ia|iu|ieu|o|oa|oai|oay|oe|oeo|oi|u|ua|uai|uay|ue|ui|uu|uoi|uou|uy|uya|uyu"
         r"|y|yeu)")
_CLOSED = r"(?:a|e|i|o|u|oa|oe|uy|ie|ye|uo|uye|ua|ue|oo)(?:ch|nh|ng|c|m|n|p|t)"
_SYLLABLE = re.compile(rf"^{_ONSET}(?:{_OPEN}|{_CLOSED})$")
_TELEX_TONE_KEYS = "sfrxj"  # a tone typed as a letter the keyboard did not turn into a mark: "thur" for "thủ"
_TELEX_VOWELS = (("uow", "uo"), ("aa", "a"), ("aw", "a"), ("ee", "e"), ("oo", "o"), ("ow", "o"), ("uw", "u"))
_REPEATS = re.compile(r"([a-z])\1+")


def is_syllable(token: str) -> bool:
    """Whether a folded token can be one Vietnamese syllable."""
    return bool(_SYLLABLE.match(token))


def _untelex(token: str) -> str:
    """Telex leftovers removed: "dd" → "d", doubled or w-marked vowels → the vowel, a trailing tone key dropped."""
    if token.startswith("dd"):
        token = token[1:]
    for typed, letter in _TELEX_VOWELS:
        token = token.replace(typed, letter)
    if len(token) > 1 and token[-1] in _TELEX_TONE_KEYS:
        token = token[:-1]
    return token


def _split_fused(token: str) -> list[str]:
    """Two syllables typed without the space between them ("khaisinh", "lephi"), or [] when no split is clear. Of
    several splits the one whose second syllable starts with the longest consonant wins ("le phi", not "lep hi")."""
    best: tuple[int, int] = (-1, 0)
    for cut in range(1, len(token)):
        left, right = token[:cut], token[cut:]
        if not (is_syllable(left) and is_syllable(right)):
            continue
        onset = len(re.match(_ONSET, right).group())
        if onset > best[0]:
            best = (onset, cut)
    return [token[:best[1]], token[best[1]:]] if best[0] >= 0 else []


@lru_cache(maxsize=65536)
def repair_syllable(token: str) -> str:
    """A folded token that cannot be a syllable, as the syllable(s) the citizen meant, space-separated: telex
    leftovers ("thur tucj" → "thu tuc"), held-down keys ("khaii" → "khai"), a missing space ("khaisinh" →
    "khai sinh"). Real syllables, numbers, codes and abbreviations ("cccd", "vneid", "online") are left alone."""
    if not token.isalpha() or not token.isascii() or is_syllable(token):
        return token
    for repaired in (_untelex(token), _REPEATS.sub(r"\1", token), _untelex(_REPEATS.sub(r"\1", token))):
        if repaired != token and is_syllable(repaired):
            return repaired
    if len(token) >= 4:
        parts = _split_fused(token)
        if parts:
            return " ".join(parts)
    return token


@lru_cache(maxsize=65536)
def normalize_syllable(token: str) -> str:
    """Map spelling variants of one folded syllable to one form (ky→ki, ly→li) so both spellings match, after
    repairing typing accidents (`repair_syllable`); the result may be two syllables separated by a space."""
    return " ".join(_unify_y(part) for part in repair_syllable(token).split(" "))


def search_tokens(text: str) -> list[str]:
    """Folded, punctuation-free syllables with spelling variants unified: the unit of the search index."""
    words = _NON_WORD.sub(" ", fold(text)).split()
    return [part for word in words for part in normalize_syllable(word).split(" ")]


def search_key(text: str) -> str:
    """The folded, tokenised form of a phrase joined by spaces, used for phrase (substring) matching."""
    return " ".join(search_tokens(text))


_WORD = re.compile(r"\w+", re.UNICODE)
_ACCENTED_CONSONANT_Y = re.compile(r"^([bcdghklmnpqrstvxđ]+)([yýỳỷỹỵ])$")


def _accented_syllable(word: str) -> str:
    """One spelling per accented word: its toneless letters (ký/kí unified) followed by its tone mark, so the two
    tone placements in use ("xoá"/"xóa", "hoà"/"hòa", "thuỷ"/"thủy", "khoẻ"/"khỏe") are the same word."""
    tones = [c for c in unicodedata.normalize("NFD", word) if c in _TONE_MARKS]
    return letters_without_tone(word) + "".join(tones[-1:])


@lru_cache(maxsize=16384)
def cue_tokens(text: str) -> tuple[tuple[str, str], ...]:
    """(folded, accented) per word, for matching phrases that differ only by diacritics ("sửa" fix, "sữa" milk).

    The accented form is the lower-cased NFC word with ký/kí-style spelling unified, or "" when the word was typed
    without any diacritic (then only its folded form can be compared)."""
    tokens = []
    for word in _WORD.findall(unicodedata.normalize("NFC", text or "").lower()):
        stripped = word.translate(_STRIP_TABLE)
        for folded, typed in _repaired_parts(word, stripped):
            if not _NON_WORD.sub("", folded):
                continue
            tokens.append((folded, "" if stripped == word else _accented_syllable(typed)))
    return tuple(tokens)


def _repaired_parts(word: str, stripped: str) -> list[tuple[str, str]]:
    """(normalised folded syllable, the typed letters it came from) per syllable of one typed word: usually one; two
    for a missing space ("khaisinh", "đăngký"), split at the same place in the typed word."""
    parts = normalize_syllable(stripped).split(" ")
    if len(parts) == 1:
        return [(parts[0], word)]
    repaired = repair_syllable(stripped)
    if repaired.replace(" ", "") != stripped:  # repaired and split: the typed letters do not map
        return [(part, part) for part in parts]
    cut = len(repaired.split(" ")[0])
    return [(parts[0], word[:cut]), (parts[1], word[cut:])]


def contains_phrase(text_tokens: tuple[tuple[str, str], ...], phrase_tokens: tuple[tuple[str, str], ...]) -> bool:
    """Whether the phrase occurs in the text: folded words equal, and wherever the text carries diacritics they
    must be the phrase's own (a word typed without diacritics matches any accented form)."""
    size = len(phrase_tokens)
    if not size:
        return False
    for start in range(len(text_tokens) - size + 1):
        for (folded, accented), (want_folded, want_accented) in zip(text_tokens[start:start + size], phrase_tokens):
            if folded != want_folded or (accented and want_accented and accented != want_accented):
                break
        else:
            return True
    return False


_TONE_MARKS = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}  # huyền, sắc, ngã, hỏi, nặng


@lru_cache(maxsize=65536)
def letters_without_tone(word: str) -> str:
    """A lower-cased word without its tone mark but with its letters (ă â ê ô ơ ư đ), ký/kí-style spelling unified.

    Two words typed with diacritics are different words when these differ ("đi" go / "di" as in di chúc, "mất" /
    "mặt"); a different tone alone is often a typo ("chứng thưc") or a regional spelling, so it does not count."""
    decomposed = unicodedata.normalize("NFD", word.lower())
    kept = unicodedata.normalize("NFC", "".join(c for c in decomposed if c not in _TONE_MARKS))
    match = _ACCENTED_CONSONANT_Y.match(kept)
    return match.group(1) + "i" if match else kept


def typed_letters(text: str) -> dict[str, set[str]]:
    """Folded word → the toneless letters it was typed with, for words every occurrence of which carries diacritics
    (a word typed once without them could be anything)."""
    seen: dict[str, set[str]] = {}
    plain: set[str] = set()
    for word in _WORD.findall(unicodedata.normalize("NFC", text or "").lower()):
        stripped = word.translate(_STRIP_TABLE)
        for folded, typed in _repaired_parts(word, stripped):
            if not folded.isalnum():
                continue
            if stripped == word:
                plain.add(folded)
            else:
                seen.setdefault(folded, set()).add(letters_without_tone(typed))
    return {folded: letters for folded, letters in seen.items() if folded not in plain}
