"""Procedure questions the intent classifier would refuse or not answer, from the words that ask a facet.

Runs after the intent classifier and the procedure mention extractor, before the FallbackClassifier:
- out of scope is overruled only when the message names a procedure (a `procedure` entity from the knowledge base's
  aliases and colloquial names): a bank, a university or an employer mentioned as the reason does not make a question
  about a ward procedure out of scope; without a procedure mention nothing changes;
- a message classified as feedback or thanks that asks a facet in so many words (a strong cue: "… bị sai, điều
  chỉnh thì cần gì") is a procedure question;
- a message the classifier is too unsure about to answer (below the FallbackClassifier's threshold, or torn between
  two procedure intents within its ambiguity threshold) gets the facet its words ask (knowledge/facets.py) when it
  is a procedure question or names a procedure.
A confident facet is left alone here: which facet to *answer* is decided by the action with the same cues
(actions/guidance.py), so the intent stays what the classifier learned. Other intents (greetings, dossier status,
office hours…) are never touched. An overruled intent gets confidence 1.0 so the FallbackClassifier does not
second-guess the rule.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from knowledge.facets import FACETS, INTENT_OF_FACET, facet_cues

INTENT_BY_FACET: dict[str, str] = {facet: INTENT_OF_FACET[facet] for facet in FACETS}  # overview: OVERVIEW_INTENTS
FACET_BY_INTENT = {intent: facet for facet, intent in INTENT_BY_FACET.items()}
OVERVIEW_INTENTS = ("ask_procedure", "inform")
PROCEDURE_INTENTS = frozenset(INTENT_BY_FACET.values()) | frozenset(OVERVIEW_INTENTS)
OUT_OF_SCOPE = "out_of_scope"
# intents that never ask about a procedure themselves; with a procedure mention and a strong facet cue the message is
# a procedure question whatever its other words resemble
ASKS_NOTHING = frozenset({"feedback", "thank"})
OTHERS_SCALE = 0.5


def decide(intent: str, confidence: float, ranking: List[Dict[Text, Any]], text: str,
           mention_spans: List[tuple[int, int]], unsure_below: float, ambiguity: float = 0.05) -> Optional[str]:
    """The intent the message should have, or None to keep the classifier's. Pure, so it is tested directly."""
    if intent in PROCEDURE_INTENTS:
        runner_up = ranking[1] if len(ranking) > 1 else {}
        torn = (runner_up.get("name") in PROCEDURE_INTENTS
                and confidence - float(runner_up.get("confidence") or 0.0) < ambiguity)
        if confidence >= unsure_below and not torn:
            return None
        chosen = facet_cues(text, mention_spans).choose(FACET_BY_INTENT.get(intent))
        if chosen:
            return INTENT_BY_FACET[chosen]
        # torn between two procedure intents: a procedure question either way, answer the classifier's first
        return intent if torn and confidence >= unsure_below else None
    cues = facet_cues(text, mention_spans)
    if intent in ASKS_NOTHING and confidence >= unsure_below:
        # "sổ BHXH sai ngày sinh, điều chỉnh thì cần gì" reads like a complaint ("sai"), but it asks a facet in so
        # many words: a procedure question (1 of the 103 feedback training examples has such a cue, and it asks the
        # fee too: "tôi hỏi lệ phí chứ không hỏi giấy tờ")
        return INTENT_BY_FACET[cues.strong[-1][1]] if cues.strong else None
    if not mention_spans or (intent != OUT_OF_SCOPE and confidence >= unsure_below):
        return None
    chosen = cues.choose(None)
    if chosen is not None:
        return INTENT_BY_FACET[chosen]
    for ranked in ranking:
        if ranked.get("name") in PROCEDURE_INTENTS:
            return ranked["name"]
    return "ask_procedure"


def rerank(ranking: List[Dict[Text, Any]], wanted: str) -> List[Dict[Text, Any]]:
    """The overruling intent first with confidence 1.0, the classifier's others after it at half their confidence,
    so the FallbackClassifier's ambiguity check (top two within a few points) sees a clear winner."""
    others = [{**r, "confidence": float(r.get("confidence") or 0.0) * OTHERS_SCALE}
              for r in ranking if r.get("name") != wanted]
    return [{"name": wanted, "confidence": 1.0}] + others


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class FacetCueIntentOverride(GraphComponent, IntentClassifier):
    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        # below this confidence the FallbackClassifier would not answer: keep it in step with its threshold
        return {"unsure_below": 0.3, "ambiguity": 0.05, "entity": "procedure"}

    @classmethod
    def required_components(cls) -> List[type]:
        return [IntentClassifier]

    def __init__(self, config: Dict[Text, Any]) -> None:
        self._config = config

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "FacetCueIntentOverride":
        return cls({**cls.get_default_config(), **config})

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            intent = message.get(INTENT) or {}
            name = intent.get("name")
            if not name:
                continue
            spans = [(e["start"], e["end"]) for e in message.get(ENTITIES) or []
                     if e.get("entity") == self._config["entity"] and "start" in e and "end" in e]
            ranking = message.get(INTENT_RANKING_KEY) or []
            wanted = decide(name, float(intent.get("confidence") or 0.0), ranking, message.get(TEXT) or "", spans,
                            float(self._config["unsure_below"]), float(self._config["ambiguity"]))
            if wanted is None:
                continue
            message.set(INTENT, {"name": wanted, "confidence": 1.0}, add_to_output=True)
            message.set(INTENT_RANKING_KEY, rerank(ranking, wanted), add_to_output=True)
        return messages
