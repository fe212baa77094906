"""Vietnamese word segmentation for Rasa, with offsets into the exact text Rasa holds.

underthesea segments compound words ("khai sinh") but returns NFC text and may rewrite spellings ("hoà" → "hòa"),
so its tokens are re-aligned to the original message (which may be NFD, carry emoji, URLs or receipt codes).
Each token's `lemma` is its accent-folded syllables ("khai sinh"), so featurizers that read lemmas see the same
input whether or not the citizen typed diacritics.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any, Dict, Iterator, List, Optional, Text

from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.tokenizers.tokenizer import Token, Tokenizer
from rasa.shared.nlu.training_data.message import Message

from knowledge.text import fold, normalize_syllable

# Spans that must stay whole and must not reach underthesea, which would split or merge them. Linear-time on any input
# (tests/security/test_linear_time.py): unbounded runs start only where the run starts (lookbehinds).
_PROTECTED = re.compile(
    r"""
      (?P<url>(?<![\w.])(?:https?://|www\.)[^\s<>"']+[^\s<>"'.,;:!?)\]])
    | (?P<email>(?<![\w.+-])[\w.+-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63})+)
    | (?P<receipt>(?<![\w.])(?:[A-Za-z0-9]{1,4}\.){1,4}[A-Za-z0-9]{1,4}(?:\ ?-\ ?|\ )\d{6}(?:\ ?-\ ?|\ )\d{3,6}(?![\w-]))
    | (?P<number>(?<![\w.])\d+(?:[.,/:-]\d+)*(?![\d]))
    | (?P<emoji>[\U0001F000-\U0001FAFF\u2600-\u27BF\uFE0F\u200D]+)
    """,
    re.VERBOSE,
)
_WORD_CHAR = re.compile(r"\w", re.UNICODE)
# The characters of a receipt code, URL or e-mail address say nothing about what the citizen wants, only that one is
# there: featurizers see a placeholder, so "H15.50-251203-2035 xong chưa" and "mã của tôi là …" differ by their words.
_PLACEHOLDER_LEMMA = {"receipt": "mahoso", "url": "duonglink", "email": "diachiemail"}


@dataclass(frozen=True)
class _Cluster:
    """One NFC character and the span of original text it came from."""

    char: str
    start: int
    end: int


def _nfc_clusters(text: str) -> List[_Cluster]:
    """Map each NFC character back to its original span (a base letter plus its combining marks in NFD input)."""
    clusters: List[_Cluster] = []
    i = 0
    while i < len(text):
        j = i + 1
        while j < len(text) and unicodedata.combining(text[j]):
            j += 1
        for char in unicodedata.normalize("NFC", text[i:j]):
            clusters.append(_Cluster(char, i, j))
        i = j
    return clusters


def _segments(text: str) -> Iterator[tuple[int, int, Optional[str]]]:
    """Split the text into (start, end, kind) runs; kind is the protected span's kind, or None for plain text."""
    cursor = 0
    for match in _PROTECTED.finditer(text):
        if match.start() > cursor:
            yield cursor, match.start(), None
        yield match.start(), match.end(), match.lastgroup
        cursor = match.end()
    if cursor < len(text):
        yield cursor, len(text), None


def lemma_of(token_text: str) -> str:
    """Accent-folded, spelling-normalised syllables of a token: the form featurizers read."""
    syllables = [normalize_syllable(s) for s in fold(token_text).split()]
    return " ".join(syllables) or token_text.lower()


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=False)
class VietnameseTokenizer(Tokenizer):
    """Rasa tokenizer wrapping `underthesea.word_tokenize` with exact offsets and folded lemmas."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            "intent_tokenization_flag": False,
            "intent_split_symbol": "_",
            "token_pattern": None,
            # Keep punctuation-only tokens? Rasa's own tokenizers drop them.
            "keep_punctuation": False,
            # Only the first characters are segmented: chat messages are short (Zalo caps them at 2,000), and a
            # hostile megabyte must not stall the server.
            "max_chars": 2000,
        }

    @staticmethod
    def required_packages() -> List[Text]:
        return ["underthesea"]

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "VietnameseTokenizer":
        return cls(config)

    def __init__(self, config: Dict[Text, Any]) -> None:
        super().__init__(config)
        self._keep_punctuation = bool(config.get("keep_punctuation", False))
        self._max_chars = int(config.get("max_chars", 2000))

    def tokenize(self, message: Message, attribute: Text) -> List[Token]:
        text: str = message.get(attribute) or ""
        tokens = list(self._tokens(text))
        if not tokens and text.strip():
            stripped_start = len(text) - len(text.lstrip())
            whole = text.strip()
            tokens = [Token(whole, stripped_start, lemma=lemma_of(whole))]
        return self._apply_token_pattern(tokens)

    def _tokens(self, text: str) -> Iterator[Token]:
        for start, end, kind in _segments(text[: self._max_chars]):
            if kind:
                piece = text[start:end]
                yield Token(piece, start, end, lemma=_PLACEHOLDER_LEMMA.get(kind) or lemma_of(piece))
            else:
                yield from self._segment_words(text, start, end)

    def segment(self, nfc_text: str) -> List[str]:
        """Words of an NFC run, compounds joined by spaces: underthesea here, another segmenter in a subclass."""
        from underthesea import word_tokenize  # heavy import, deferred to first use

        return word_tokenize(nfc_text)

    def _segment_words(self, text: str, start: int, end: int) -> Iterator[Token]:
        """Segment one unprotected run and align its words back onto the original text."""
        clusters = _nfc_clusters(text[start:end])
        if not clusters:
            return
        nfc_text = "".join(c.char for c in clusters)
        folded_chars = [_fold_char(c) for c in nfc_text]
        cursor = 0
        for word in self.segment(nfc_text):
            span = _find_word(word, folded_chars, cursor)
            if span is None:
                continue
            first, last = span
            cursor = last
            original_start = start + clusters[first].start
            original_end = start + clusters[last - 1].end
            piece = text[original_start:original_end]
            if not self._keep_punctuation and not _WORD_CHAR.search(piece):
                continue
            yield Token(piece, original_start, original_end, lemma=lemma_of(piece))


def _fold_char(char: str) -> str:
    folded = fold(char)
    return folded if len(folded) == 1 else (folded[:1] or " ")


def _find_word(word: str, folded_chars: List[str], cursor: int) -> Optional[tuple[int, int]]:
    """Locate `word` (NFC, maybe respelled by underthesea) in the folded text from `cursor`, ignoring whitespace.

    Matching on folded characters tolerates underthesea's spelling rewrites (hoà/hòa fold alike); runs of
    whitespace inside a compound word may differ from the original.
    """
    target = [ch for ch in (_fold_char(c) for c in word) if not ch.isspace()]
    if not target:
        return None
    n = len(folded_chars)
    begin = cursor
    while begin < n:
        while begin < n and folded_chars[begin].isspace():
            begin += 1
        if begin >= n:
            return None
        position, matched = begin, 0
        while position < n and matched < len(target):
            if folded_chars[position].isspace():
                position += 1
                continue
            if folded_chars[position] != target[matched]:
                break
            position += 1
            matched += 1
        if matched == len(target):
            return begin, position
        begin += 1
    return None
