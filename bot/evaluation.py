"""Evaluate a trained model's NLU on a held-out Rasa NLU file, split by whether the text carries diacritics.

Used by the threshold test (tests/nlu/test_nlu_quality.py) and the benchmark (bench/bench_nlu.py), so both report
the same numbers.
"""
from __future__ import annotations

import asyncio
import re
import statistics
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Optional

from sklearn.metrics import f1_score

FALLBACK_INTENT = "nlu_fallback"
_NON_ASCII_LETTER = re.compile(r"[^\x00-\x7f]")


def has_diacritics(text: str) -> bool:
    return bool(_NON_ASCII_LETTER.search(text))


@dataclass
class Prediction:
    text: str
    gold_intent: str
    top_intent: str  # the classifier's best intent, before the fallback threshold
    final_intent: str  # what the bot acts on (nlu_fallback when confidence is low)
    confidence: float
    gold_entities: set[tuple[str, int, int]]
    predicted_entities: set[tuple[str, int, int]]
    seconds: float


@dataclass
class SplitScores:
    count: int
    accuracy: float  # classifier top-1
    macro_f1: float
    answered_correctly: float  # final intent right (a fallback counts as not answered)
    fallback_rate: float
    entity_precision: float
    entity_recall: float
    entity_f1: float


@dataclass
class Evaluation:
    predictions: list[Prediction] = field(default_factory=list)

    def split(self, diacritics: Optional[bool]) -> SplitScores:
        chosen = [p for p in self.predictions if diacritics is None or has_diacritics(p.text) == diacritics]
        gold = [p.gold_intent for p in chosen]
        top = [p.top_intent for p in chosen]
        tp = sum(len(p.gold_entities & p.predicted_entities) for p in chosen)
        predicted = sum(len(p.predicted_entities) for p in chosen)
        expected = sum(len(p.gold_entities) for p in chosen)
        precision = tp / predicted if predicted else 0.0
        recall = tp / expected if expected else 0.0
        return SplitScores(
            count=len(chosen),
            accuracy=_mean(g == t for g, t in zip(gold, top)),
            macro_f1=float(f1_score(gold, top, average="macro", zero_division=0)) if chosen else 0.0,
            answered_correctly=_mean(p.final_intent == p.gold_intent for p in chosen),
            fallback_rate=_mean(p.final_intent == FALLBACK_INTENT for p in chosen),
            entity_precision=precision,
            entity_recall=recall,
            entity_f1=2 * precision * recall / (precision + recall) if precision + recall else 0.0,
        )

    def errors(self) -> list[Prediction]:
        return [p for p in self.predictions if p.top_intent != p.gold_intent]

    def confusions(self, top: int = 10) -> list[tuple[tuple[str, str], int]]:
        return Counter((p.gold_intent, p.top_intent) for p in self.errors()).most_common(top)

    def latency_ms(self) -> dict[str, float]:
        values = sorted(p.seconds * 1000 for p in self.predictions)
        return {"p50": statistics.median(values), "p95": values[int(0.95 * (len(values) - 1))]}


def _mean(values: Iterable[bool]) -> float:
    values = list(values)
    return sum(values) / len(values) if values else 0.0


def evaluate_model(model_path: Path, test_file: Path) -> Evaluation:
    """Parse every held-out example with the trained model (NLU part only), as the server would."""
    from rasa.core.agent import Agent
    from rasa.shared.nlu.training_data.loading import load_data

    agent = Agent.load(str(model_path))
    examples = load_data(str(test_file)).nlu_examples
    return asyncio.run(_evaluate(agent, examples))


async def _evaluate(agent: Any, examples: list) -> Evaluation:
    evaluation = Evaluation()
    for example in examples:
        text = example.get("text")
        started = time.perf_counter()
        parsed = await agent.parse_message(text)
        seconds = time.perf_counter() - started
        ranking = [r for r in parsed.get("intent_ranking", []) if r["name"] != FALLBACK_INTENT]
        final = parsed["intent"]["name"]
        top = ranking[0]["name"] if ranking else final
        evaluation.predictions.append(Prediction(
            text=text,
            gold_intent=example.get("intent"),
            top_intent=top,
            final_intent=final,
            confidence=float(parsed["intent"].get("confidence") or 0.0),
            gold_entities={(e["entity"], e["start"], e["end"]) for e in example.get("entities") or []},
            predicted_entities={(e["entity"], e["start"], e["end"]) for e in parsed.get("entities", [])},
            seconds=seconds,
        ))
    return evaluation
