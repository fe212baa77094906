"""Benchmark-only tokenizer: the product tokenizer with pyvi instead of underthesea as the word segmenter.

Only the segmenter changes. Protected spans (URLs, receipt codes, numbers, emoji), the re-alignment onto the exact
message text and the accent-folded lemmas all come from `bot.nlu.tokenizer`, so a benchmark difference between the
two pipelines measures the segmentation alone. Not part of the product: used by bench/bench_nlu.py only.
"""
from __future__ import annotations

from typing import Iterator, List, Text

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.tokenizers.tokenizer import Token

from bot.nlu.tokenizer import _WORD_CHAR, VietnameseTokenizer, _find_word, _fold_char, _nfc_clusters, lemma_of


def pyvi_words(text: str) -> List[str]:
    """pyvi's segmentation of NFC text; compound words come back joined by '_' and are returned with spaces."""
    from pyvi import ViTokenizer  # deferred: loads pyvi's CRF model

    return [word.replace("_", " ") for word in ViTokenizer.tokenize(text).split()]


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=False)
class PyviTokenizer(VietnameseTokenizer):
    """`VietnameseTokenizer` whose word segmentation is done by `pyvi.ViTokenizer`."""

    @staticmethod
    def required_packages() -> List[Text]:
        return ["pyvi"]

    def _segment_words(self, text: str, start: int, end: int) -> Iterator[Token]:
        clusters = _nfc_clusters(text[start:end])
        if not clusters:
            return
        nfc_text = "".join(c.char for c in clusters)
        folded_chars = [_fold_char(c) for c in nfc_text]
        cursor = 0
        for word in pyvi_words(nfc_text):
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
