"""Count-vector featurizers that build only sentence features give the trained model's parse exactly as Rasa's.

Two agents from the same model: one loaded with Rasa's loader (its featurizers keep Rasa's `process`), one with
bot/perf/sentence_features.py's (marked sentence-only, since config.yml's graph reads no sequence features).
"""
from __future__ import annotations

import asyncio
from pathlib import Path

import numpy as np
import pytest
import yaml
from rasa.core.agent import Agent
from rasa.core.channels.channel import UserMessage
from rasa.engine.graph import GraphSchema, SchemaNode, TrainingType
from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import CountVectorsFeaturizer
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, FEATURE_TYPE_SEQUENCE
from rasa.shared.nlu.training_data.loading import load_data

from base.settings import PROJECT_ROOT
from bot.perf import loaded_graph, sentence_features

pytestmark = pytest.mark.slow

EDGE_CASES = ["", "   ", "👍", "a" * 3000, "/greet", "H15.50-251203-2035", "?!", "xin chào " * 50]


def _texts() -> list[str]:
    held_out = [m.get("text") for m in load_data(str(PROJECT_ROOT / "tests" / "nlu" / "test_nlu.yml")).training_examples]
    training = [m.get("text") for m in load_data(str(PROJECT_ROOT / "data" / "nlu")).training_examples][::4]
    questions = [q["text"] for path in sorted((PROJECT_ROOT / "tests" / "eval_sets").glob("*.yml"))
                 for q in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("questions", [])]
    return held_out + questions + training + EDGE_CASES


TEXTS = _texts()


@pytest.fixture(scope="module")
def agents():
    import rasa.engine.loader

    from bot.training import ensure_model

    sentence_features.install()
    model = str(ensure_model(quiet=True))
    ours = Agent.load(model)
    patched = rasa.engine.loader.load_predict_graph_runner
    rasa.engine.loader.load_predict_graph_runner = loaded_graph.rasa_loader()
    try:
        rasa_agent = Agent.load(model)
    finally:
        rasa.engine.loader.load_predict_graph_runner = patched
    assert _featurizers(ours) and all(getattr(f, sentence_features.MARK, False) for f in _featurizers(ours))
    assert not any(getattr(f, sentence_features.MARK, False) for f in _featurizers(rasa_agent))
    return rasa_agent, ours


def _featurizers(agent):
    return [node._component for node in agent.processor.graph_runner._instantiated_nodes.values()
            if type(node._component) is CountVectorsFeaturizer]


def _parsed_message(agent, text):
    processor = agent.processor
    results = processor.graph_runner.run({"__message__": [UserMessage(text)]}, targets=[processor.model_metadata.nlu_target])
    return results[processor.model_metadata.nlu_target][0]


def _features(message, kind):
    return [(f.type, f.attribute, f.origin, f.features.format, f.features.dtype, f.features.shape,
             f.features.toarray().tobytes()) for f in message.features if f.type == kind]


def test_same_parse_for_every_text(agents):
    rasa_agent, ours = agents
    differences = []
    for text in TEXTS:
        expected = asyncio.run(rasa_agent.parse_message(text))
        got = asyncio.run(ours.parse_message(text))
        expected.pop("message_id", None), got.pop("message_id", None)
        if got != expected:
            differences.append((text, expected, got))
    assert not differences, differences[:3]
    assert len(TEXTS) > 1000


def test_same_sentence_features_and_no_count_sequence_features(agents):
    rasa_agent, ours = agents
    for text in TEXTS[:300] + EDGE_CASES:
        expected, got = _parsed_message(rasa_agent, text), _parsed_message(ours, text)
        assert _features(got, FEATURE_TYPE_SENTENCE) == _features(expected, FEATURE_TYPE_SENTENCE), text
        # the regex featurizer's sequence features are kept; the count vectors' ones are not built
        count_origins = {f.origin for f in expected.features if "CountVectorsFeaturizer" in f.origin}
        assert len(count_origins) == (2 if text.strip() and not text.startswith("/") else 0), text
        assert _features(got, FEATURE_TYPE_SEQUENCE) == [
            f for f in _features(expected, FEATURE_TYPE_SEQUENCE) if f[2] not in count_origins], text
        assert got.as_dict(only_output_properties=True) == expected.as_dict(only_output_properties=True)


def test_real_messages_have_features_to_compare(agents):
    _, ours = agents
    message = _parsed_message(ours, "làm giấy khai sinh cần gì")
    sentence = [f for f in message.features if f.type == FEATURE_TYPE_SENTENCE]
    assert len(sentence) == 3 and all(f.features.nnz for f in sentence[1:])


def _schema(*classes) -> GraphSchema:
    return GraphSchema({f"node{i}": SchemaNode(needs={}, uses=cls, constructor_name="load", fn="process", config={})
                        for i, cls in enumerate(classes)})


def test_a_graph_with_a_sequence_reader_keeps_rasa_behaviour():
    from rasa.core.policies.ted_policy import TEDPolicy
    from rasa.nlu.classifiers.diet_classifier import DIETClassifier
    from rasa.nlu.extractors.crf_entity_extractor import CRFEntityExtractor

    for reader in (DIETClassifier, CRFEntityExtractor, TEDPolicy):
        schema = _schema(CountVectorsFeaturizer, reader)
        assert sentence_features.unread_by(schema) == [f"{reader.__module__}.{reader.__qualname__}"]

        class Runner:
            _instantiated_nodes = {"node0": type("Node", (), {"_component": object.__new__(CountVectorsFeaturizer)})()}

        assert sentence_features.mark_sentence_only(Runner(), schema) == 0
        assert not getattr(Runner._instantiated_nodes["node0"]._component, sentence_features.MARK, False)


def test_a_subclass_is_not_trusted_for_its_base():
    class CustomReader(CountVectorsFeaturizer):
        pass

    assert sentence_features.unread_by(_schema(CountVectorsFeaturizer, CustomReader))


def test_stock_model_graph_is_not_sentence_only():
    """The stock `rasa init` pipeline (DIET, ResponseSelector, TED) keeps Rasa's featurizer."""
    from rasa.engine.recipes.default_recipe import DefaultV1Recipe
    from rasa.shared.importers.importer import TrainingDataImporter

    config = PROJECT_ROOT / "bench" / "configs" / "stock.yml"
    importer = TrainingDataImporter.load_from_config(str(config), str(PROJECT_ROOT / "domain.yml"),
                                                     [str(PROJECT_ROOT / "data")])
    recipe = DefaultV1Recipe()
    schemas = recipe.graph_config_for_recipe(importer.get_config(), {}, training_type=TrainingType.BOTH)
    unread = sentence_features.unread_by(schemas.predict_schema)
    assert any("DIETClassifier" in name for name in unread) and any("TEDPolicy" in name for name in unread)
