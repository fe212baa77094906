"""Build only the sentence features of Rasa's CountVectorsFeaturizer when nothing in the model reads the others.

For every message and attribute Rasa 3.6's `CountVectorsFeaturizer.process` runs its vectorizer twice: once over the
list of tokens (the *sequence* features, one row per token, for DIET, TED, CRF and the like) and once over the joined
text (the *sentence* features), and turns both into COO matrices. In config.yml nothing reads sequence features: the
classifier (bot/nlu/classifier.py) takes the sentence rows only, the extractors read the text and tokens, the
policies the tracker. When the model's prediction graph consists only of components known not to read them
(`SENTENCE_ONLY_GRAPH`, exact classes, checked when the model is loaded), each featurizer of that graph builds its
sentence features alone, with Rasa's own code for them; the message is then the same except for the missing
sequence `Features`. Any other component in the graph (DIET, TED, a response selector, an unknown custom one) and
the featurizer keeps Rasa's behaviour. Training never goes through this: only the loaded prediction graph is marked.
"""
from __future__ import annotations

from typing import Any, Callable, List, Optional

from rasa.engine.graph import GraphSchema
from rasa.nlu.constants import DENSE_FEATURIZABLE_ATTRIBUTES
from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import CountVectorsFeaturizer
from rasa.shared.nlu.training_data.message import Message

MARK = "_thutuc_sentence_only"

# Components that read neither the sequence features nor anything derived from them (checked in their Rasa 3.6.21
# and bot/nlu sources: they read the text, tokens, intent, entities or the tracker, and sentence features only).
SENTENCE_ONLY_GRAPH = frozenset({
    "rasa.graph_components.converters.nlu_message_converter.NLUMessageConverter",
    "rasa.graph_components.providers.domain_provider.DomainProvider",
    "rasa.graph_components.providers.rule_only_provider.RuleOnlyDataProvider",
    "rasa.nlu.tokenizers.whitespace_tokenizer.WhitespaceTokenizer",
    "rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer.CountVectorsFeaturizer",
    "rasa.nlu.featurizers.sparse_featurizer.regex_featurizer.RegexFeaturizer",
    "rasa.nlu.extractors.regex_entity_extractor.RegexEntityExtractor",
    "rasa.nlu.extractors.entity_synonyms.EntitySynonymMapper",
    "rasa.nlu.classifiers.fallback_classifier.FallbackClassifier",
    "rasa.nlu.classifiers.regex_message_handler.RegexMessageHandler",
    "rasa.core.policies.memoization.MemoizationPolicy",
    "rasa.core.policies.rule_policy.RulePolicy",
    "rasa.core.policies.ensemble.DefaultPolicyPredictionEnsemble",
    "bot.nlu.tokenizer.VietnameseTokenizer",
    "bot.nlu.folded_regex.FoldedRegexFeaturizer",
    "bot.nlu.classifier.TfidfLinearClassifier",  # its `_create_X` takes sentence features only
    "bot.nlu.procedure_extractor.ProcedureMentionExtractor",
    "bot.nlu.facet_cues.FacetCueIntentOverride",
})

_rasa_process: Optional[Callable[..., List[Message]]] = None


def _class_name(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def unread_by(schema: GraphSchema) -> List[str]:
    """The classes of the graph that may read sequence features (empty: the cut is safe for this graph)."""
    return sorted({_class_name(node.uses) for node in schema.nodes.values()} - SENTENCE_ONLY_GRAPH)


def mark_sentence_only(runner: Any, schema: GraphSchema) -> int:
    """Mark the graph's CountVectorsFeaturizers sentence-only if nothing in it reads sequence features; how many."""
    if unread_by(schema):
        return 0
    marked = 0
    for node in getattr(runner, "_instantiated_nodes", {}).values():
        component = getattr(node, "_component", None)
        if type(component) is CountVectorsFeaturizer:
            setattr(component, MARK, True)
            marked += 1
    return marked


def process(self: CountVectorsFeaturizer, messages: List[Message]) -> List[Message]:
    """Rasa's `process`, without the sequence features on a featurizer marked sentence-only."""
    assert _rasa_process is not None, "install() first"
    if not getattr(self, MARK, False) or self.vectorizers is None:
        return _rasa_process(self, messages)
    for message in messages:
        for attribute in self._attributes:
            tokens = self._get_processed_message_tokens_by_attribute(message, attribute)
            if attribute not in DENSE_FEATURIZABLE_ATTRIBUTES:  # no sentence features there: Rasa's own
                sequence, sentence = self._create_features(attribute, [tokens])
                self.add_features_to_message(sequence[0], sentence[0], attribute, message)
                continue
            self.add_features_to_message(None, _sentence_features(self, attribute, tokens), attribute, message)
    return messages


def _sentence_features(self: CountVectorsFeaturizer, attribute: str, tokens: List[str]) -> Any:
    """The sentence half of Rasa's `_create_features`, the same calls in the same order."""
    vectorizer = self.vectorizers.get(attribute)
    if not vectorizer or not tokens:
        return None
    sentence = vectorizer.transform([" ".join(tokens)])
    sentence.sort_indices()
    return sentence.tocoo()


def mark_loaded_graph(metadata: Any, runner: Any) -> None:
    """After a prediction graph is loaded: mark its featurizers if that is safe (bot/perf/loaded_graph.py)."""
    mark_sentence_only(runner, metadata.predict_schema)


def install() -> None:
    global _rasa_process
    from bot.perf import loaded_graph

    if _rasa_process is None:
        _rasa_process = CountVectorsFeaturizer.process
    CountVectorsFeaturizer.process = process
    loaded_graph.after_load(mark_loaded_graph)
