"""Benchmark-only tokenizer: the product tokenizer with pyvi instead of underthesea as the word segmenter.

Only the segmenter changes. Protected spans (URLs, receipt codes, numbers, emoji), the re-alignment onto the exact
message text and the accent-folded lemmas all come from `bot.nlu.tokenizer`, so a benchmark difference between the
two pipelines measures the segmentation alone. Not part of the product: used by bench/bench_nlu.py only.
"""
from __future__ import annotations

from typing import List, Text

from rasa.engine.recipes.default_recipe import DefaultV1Recipe

from bot.nlu.tokenizer import VietnameseTokenizer


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

    def segment(self, nfc_text: str) -> List[str]:
        return pyvi_words(nfc_text)
