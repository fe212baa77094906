"""Finds procedure mentions by matching the knowledge base's aliases on accent-folded tokens.

The `procedure` lookup table (generated from the knowledge base by `thutuc kb export-nlu`) lists every alias.
Matching folded syllables means "so do", "sổ đỏ" and NFD "sổ đỏ" are the same mention; the longest alias wins and
the entity's offsets come from the tokenizer, so they point into the text exactly as typed.
"""
from __future__ import annotations

import re
from typing import Any, Dict, List, Optional, Text, Tuple

import rasa.shared.utils.io
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.nlu.tokenizers.tokenizer import Tokenizer
from rasa.nlu.constants import TOKENS_NAMES
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu.tokenizer import lemma_of

_PHRASES_FILE = "procedure_phrases.json"
_SYLLABLE = re.compile(r"\S+")
# Generic leading words of official names; "kết hôn" names "đăng ký kết hôn" as surely as the full name does.
_GENERIC_PREFIXES = (("thu", "tuc"), ("dang", "ki"), ("cap",), ("lam",), ("xin",))


def short_forms(syllables: tuple[str, ...]) -> set[tuple[str, ...]]:
    """The phrase plus its forms without generic leading words, when at least two syllables remain."""
    forms = {syllables}
    current = syllables
    changed = True
    while changed:
        changed = False
        for prefix in _GENERIC_PREFIXES:
            if current[: len(prefix)] == prefix and len(current) - len(prefix) >= 2:
                current = current[len(prefix):]
                forms.add(current)
                changed = True
    return forms


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=True
)
class ProcedureMentionExtractor(GraphComponent, EntityExtractorMixin):
    """Entity extractor for `procedure` mentions from a folded lookup table."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {"entity": "procedure", "lookup_table": "procedure", "min_syllables": 1}

    @staticmethod
    def required_components() -> List[type]:
        return [Tokenizer]

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "ProcedureMentionExtractor":
        return cls({**cls.get_default_config(), **config}, model_storage, resource)

    def __init__(
        self,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        phrases: Optional[List[Tuple[str, ...]]] = None,
    ) -> None:
        self._config = config
        self._model_storage = model_storage
        self._resource = resource
        self._phrases = set(phrases or [])
        self._longest = max((len(p) for p in self._phrases), default=0)

    def train(self, training_data: TrainingData) -> Resource:
        wanted = self._config["lookup_table"]
        phrases = set()
        for table in training_data.lookup_tables:
            if table.get("name") != wanted:
                continue
            for element in table.get("elements", []):
                syllables = tuple(lemma_of(element).split())
                if len(syllables) >= self._config["min_syllables"]:
                    phrases.update(short_forms(syllables))
        if not phrases:
            rasa.shared.utils.io.raise_warning(
                f"No lookup table named '{wanted}' in the training data: procedure mentions will not be extracted. "
                f"Generate it with `thutuc kb export-nlu`."
            )
        self._phrases = phrases
        self._longest = max((len(p) for p in phrases), default=0)
        with self._model_storage.write_to(self._resource) as directory:
            rasa.shared.utils.io.dump_obj_as_json_to_file(
                directory / _PHRASES_FILE, sorted(" ".join(p) for p in phrases)
            )
        return self._resource

    @classmethod
    def load(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> "ProcedureMentionExtractor":
        try:
            with model_storage.read_from(resource) as directory:
                stored = rasa.shared.utils.io.read_json_file(directory / _PHRASES_FILE)
        except (ValueError, FileNotFoundError):
            stored = []
        phrases = [tuple(p.split()) for p in stored]
        return cls({**cls.get_default_config(), **config}, model_storage, resource, phrases)

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            found = self.add_extractor_name(self.extract(message))
            if found:
                message.set(ENTITIES, message.get(ENTITIES, []) + found, add_to_output=True)
        return messages

    def extract(self, message: Message) -> List[Dict[Text, Any]]:
        """Longest match over syllables, not tokens: word segmentation of text typed without diacritics is unreliable
        ("lam so do" → "lam so" + "do"), but syllables survive it."""
        tokens = message.get(TOKENS_NAMES[TEXT]) or []
        if not tokens or not self._phrases:
            return []
        syllables = [
            (lemma_of(m.group()), token.start + m.start(), token.start + m.end())
            for token in tokens
            for m in _SYLLABLE.finditer(token.text)
        ]
        folded = [s[0] for s in syllables]
        text = message.get(TEXT) or ""
        entities: List[Dict[Text, Any]] = []
        i = 0
        while i < len(syllables):
            end = self._longest_match(folded, i)
            if end is None:
                i += 1
                continue
            start_char, end_char = syllables[i][1], syllables[end - 1][2]
            entities.append(
                {
                    "entity": self._config["entity"],
                    "start": start_char,
                    "end": end_char,
                    "value": text[start_char:end_char],
                    "confidence_entity": 1.0,
                }
            )
            i = end
        return entities

    def _longest_match(self, folded: List[str], first: int) -> Optional[int]:
        best: Optional[int] = None
        for end in range(first + 1, min(len(folded), first + self._longest) + 1):
            if tuple(folded[first:end]) in self._phrases:
                best = end
        return best
