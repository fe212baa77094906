"""Regex and lookup-table features on accent-stripped text, so a question typed without diacritics gets the same
features as the same question typed with them.

Rasa's `RegexFeaturizer` matches its patterns (the `regex:` entries and every lookup table, here the ~2,700 curated
procedure names) on the raw text: "đăng ký kết hôn" fired the `procedure` feature, "dang ky ket hon" did not, and
the classifier learnt from features that only accented questions carry. This featurizer strips diacritics from both
the patterns and the text (one character for one character, so token offsets still hold, NFD included) and matches
case-insensitively. Patterns whose meaning depends on diacritics — `feedback_value` tells "tệ" (bad) from the "tế"
of "y tế" — are listed in `skip_patterns`: they stay with the RegexEntityExtractor, not the classifier's features.
"""
from __future__ import annotations

import re
from typing import Any, Dict, List, Optional, Text, Tuple

import numpy as np
import scipy.sparse
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.constants import TOKENS_NAMES
from rasa.nlu.featurizers.sparse_featurizer.regex_featurizer import RegexFeaturizer
from rasa.shared.nlu.constants import ACTION_TEXT, RESPONSE, TEXT
from rasa.shared.nlu.training_data.message import Message

from knowledge.text import strip_marks


def stripped_with_origins(text: str) -> tuple[str, list[int]]:
    """The text without diacritics and, per character of it, the index of the original character it came from
    (combining marks of NFD input vanish, every other character maps to exactly one)."""
    chars: list[str] = []
    origins: list[int] = []
    for index, char in enumerate(text):
        stripped = strip_marks(char)
        if stripped:
            chars.append(stripped)
            origins.append(index)
    return "".join(chars), origins


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=True)
class FoldedRegexFeaturizer(RegexFeaturizer):
    """`RegexFeaturizer` whose patterns and text are compared without diacritics (module docstring)."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {**RegexFeaturizer.get_default_config(), "case_sensitive": False, "skip_patterns": []}

    def _compiled(self) -> list[Optional[re.Pattern]]:
        key = tuple(p["pattern"] for p in self.known_patterns)
        if getattr(self, "_compiled_key", None) != key:
            skip = set(self._config.get("skip_patterns") or [])
            flags = 0 if self._config.get("case_sensitive") else re.IGNORECASE
            self._compiled_patterns = [None if p["name"] in skip else re.compile(strip_marks(p["pattern"]), flags)
                                       for p in self.known_patterns]
            self._compiled_key = key
        return self._compiled_patterns

    def _features_for_patterns(
        self, message: Message, attribute: Text
    ) -> Tuple[Optional[scipy.sparse.coo_matrix], Optional[scipy.sparse.coo_matrix]]:
        text = message.get(attribute)
        tokens = message.get(TOKENS_NAMES[attribute], []) if text else []
        if not text or not tokens:
            return None, None
        stripped, origins = stripped_with_origins(text)
        patterns = self._compiled()
        sequence_features = np.zeros([len(tokens), len(patterns)])
        sentence_features = np.zeros([1, len(patterns)])
        for pattern_index, (pattern, compiled) in enumerate(zip(self.known_patterns, patterns)):
            spans = [] if compiled is None else [
                (origins[m.start()], origins[m.end() - 1] + 1) for m in compiled.finditer(stripped) if m.end() > m.start()]
            for token_index, token in enumerate(tokens):
                marks = token.get("pattern", default={})
                marks[pattern["name"]] = False
                for start, end in spans:
                    if token.start < end and token.end > start:
                        marks[pattern["name"]] = True
                        sequence_features[token_index][pattern_index] = 1.0
                        if attribute in (RESPONSE, TEXT, ACTION_TEXT):
                            sentence_features[0][pattern_index] = 1.0
                token.set("pattern", marks)
        return scipy.sparse.coo_matrix(sequence_features), scipy.sparse.coo_matrix(sentence_features)
