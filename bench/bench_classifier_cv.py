"""Intent classifier comparison: repeated 5-fold stratified cross-validation on the training data, held-out as a check.

Every alternative sees the features the product pipeline computes: config.yml's tokenizer, regex featurizer and both
CountVectorsFeaturizers (Rasa's own components, configured as config.yml sets them), trained inside each fold on that
fold's training part only, then `bot.nlu.classifier.build_pipeline` (TF-IDF and the linear model the component
deploys) fitted on the same rows. Folds are stratified by intent and grouped by accent-folded text, so a sentence
written once with and once without diacritics never sits on both sides; the 5-fold split is repeated with 3 seeds
(`--repeats`), because the alternatives differ by less than one split's noise. Each fold's test texts are scored as
written and with their diacritics stripped (`knowledge.text.fold`). Finally each alternative is trained on all the
training data and scored on the held-out tests/nlu/test_nlu.yml (never trained on), split as bench/bench_nlu.py does.
`--write` replaces the "Classifier comparison" section of docs/benchmarks.md.

    PYTHONPATH=. .venv/bin/python bench/bench_classifier_cv.py            # print the table
    PYTHONPATH=. .venv/bin/python bench/bench_classifier_cv.py --write    # and put it into docs/benchmarks.md

The procedure lookup table is exported from the knowledge base into var/bench/cv/ (data/ is left as it is).
"""
from __future__ import annotations

import os

for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")  # one core: the machine is shared, and timings compare like with like

import argparse
import statistics
import sys
import tempfile
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

import numpy as np
import yaml

from base.settings import PROJECT_ROOT
from bench.bench_nlu import _now, load_average, machine_description, update_section
from bot.training import GENERATED_LOOKUP, export_procedure_lookup

CONFIG = PROJECT_ROOT / "config.yml"
NLU_DIR = PROJECT_ROOT / "data" / "nlu"
HELD_OUT = PROJECT_ROOT / "tests" / "nlu" / "test_nlu.yml"
WORK_DIR = PROJECT_ROOT / "var" / "bench" / "cv"
SECTION = "## Classifier comparison"
REFERENCE = "logreg C=300"  # the model before this comparison: the Δ column is relative to it
CLASSIFIER = "bot.nlu.classifier.TfidfLinearClassifier"
FALLBACK_THRESHOLD, AMBIGUITY_THRESHOLD = 0.3, 0.05  # overwritten from config.yml's FallbackClassifier

# The alternatives: (label, overrides of config.yml's classifier settings).
CANDIDATES: list[tuple[str, dict]] = (
    [(f"logreg C={c:g}", {"model": "logreg", "C": c}) for c in (30, 100, 300, 1000, 3000)]
    + [("logreg C=300 balanced", {"model": "logreg", "C": 300, "class_weight": "balanced"})]
    + [(f"linearsvc C={c:g}", {"model": "linearsvc", "C": c}) for c in (0.3, 1, 3, 10, 30)]
    + [(f"sgd hinge alpha={a:g}", {"model": "sgd", "loss": "hinge", "alpha": a}) for a in (3e-6, 1e-5, 3e-5, 1e-4)]
)


@dataclass
class Scores:
    accuracy: list[float] = field(default_factory=list)
    macro_f1: list[float] = field(default_factory=list)
    accuracy_folded: list[float] = field(default_factory=list)
    macro_f1_folded: list[float] = field(default_factory=list)
    fallback: list[float] = field(default_factory=list)
    fit_seconds: list[float] = field(default_factory=list)
    held_out: dict = field(default_factory=dict)


# ----------------------------------------------------------------------------------------------------------------
# Featurisation with the pipeline's own components

def _pipeline() -> list[dict]:
    return yaml.safe_load(CONFIG.read_text(encoding="utf-8"))["pipeline"]


def _component_classes() -> dict:
    from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import CountVectorsFeaturizer
    from rasa.nlu.featurizers.sparse_featurizer.regex_featurizer import RegexFeaturizer

    from bot.nlu.folded_regex import FoldedRegexFeaturizer

    return {"RegexFeaturizer": RegexFeaturizer, "bot.nlu.folded_regex.FoldedRegexFeaturizer": FoldedRegexFeaturizer,
            "CountVectorsFeaturizer": CountVectorsFeaturizer}


def _featurizer_specs() -> list[dict]:
    """config.yml's featurizers, in order; anything else between tokenizer and classifier is refused."""
    specs, names = [], [c["name"] for c in _pipeline()]
    start, end = names.index(next(n for n in names if n.endswith("Tokenizer"))), names.index(CLASSIFIER)
    for entry in _pipeline()[start + 1:end]:
        if entry["name"] not in _component_classes():
            raise SystemExit(f"bench_classifier_cv does not know how to run {entry['name']}")
        specs.append(entry)
    return specs


def _classifier_config() -> dict:
    from bot.nlu.classifier import TfidfLinearClassifier

    entry = next(c for c in _pipeline() if c["name"] == CLASSIFIER)
    return {**TfidfLinearClassifier.get_default_config(), **{k: v for k, v in entry.items() if k != "name"}}


def _fallback_thresholds() -> tuple[float, float]:
    entry = next((c for c in _pipeline() if c["name"] == "FallbackClassifier"), {})
    return float(entry.get("threshold", 0.3)), float(entry.get("ambiguity_threshold", 0.1))


def _tokenizer():
    from bot.nlu.tokenizer import VietnameseTokenizer

    entry = next(c for c in _pipeline() if c["name"].endswith("Tokenizer"))
    if entry["name"] != "bot.nlu.tokenizer.VietnameseTokenizer":
        raise SystemExit(f"bench_classifier_cv expects bot.nlu.tokenizer.VietnameseTokenizer, not {entry['name']}")
    config = {**VietnameseTokenizer.get_default_config(), **{k: v for k, v in entry.items() if k != "name"}}
    return VietnameseTokenizer(config)


def load_training_data(lookup: Path):
    """data/nlu as Rasa loads it for training, with a freshly exported procedure lookup table."""
    from rasa.shared.nlu.training_data.loading import load_data

    files = sorted(p for p in NLU_DIR.glob("*.y*ml") if p.resolve() != GENERATED_LOOKUP.resolve())
    data = load_data(str(files[0]))
    return data.merge(*[load_data(str(p)) for p in files[1:]], load_data(str(lookup)))


def _messages(texts: list[str], intents: list[str]) -> list:
    from rasa.shared.nlu.constants import INTENT, TEXT
    from rasa.shared.nlu.training_data.message import Message

    return [Message(data={TEXT: t, INTENT: i}) for t, i in zip(texts, intents)]


class Featurizer:
    """Trains config.yml's featurizers on some messages and writes sentence features onto others."""

    def __init__(self, training_data: Any) -> None:
        self.lookup_tables = training_data.lookup_tables
        self.regex_features = training_data.regex_features
        self.storage_dir = Path(tempfile.mkdtemp(prefix="cv-storage-", dir=WORK_DIR))

    def fit_transform(self, train: list, others: list[list]) -> None:
        from rasa.engine.graph import ExecutionContext, GraphSchema
        from rasa.engine.storage.local_model_storage import LocalModelStorage
        from rasa.engine.storage.resource import Resource
        from rasa.shared.nlu.training_data.training_data import TrainingData

        for message in train + [m for group in others for m in group]:
            message.features = []  # features of the previous fold
        data = TrainingData(training_examples=train, lookup_tables=self.lookup_tables,
                            regex_features=self.regex_features)
        storage = LocalModelStorage(Path(tempfile.mkdtemp(dir=self.storage_dir)))
        for index, spec in enumerate(_featurizer_specs()):
            cls = _component_classes()[spec["name"]]
            config = {**cls.get_default_config(), **{k: v for k, v in spec.items() if k != "name"}}
            name = f"featurizer{index}"
            component = cls.create(config, storage, Resource(name), ExecutionContext(GraphSchema({}), node_name=name))
            component.train(data)
            component.process_training_data(data)
            for group in others:
                component.process(group)


def feature_matrix(messages: list):
    """The classifier's input rows, built exactly as the component builds them."""
    from bot.nlu.classifier import TfidfLinearClassifier

    return TfidfLinearClassifier._create_X(TfidfLinearClassifier.__new__(TfidfLinearClassifier), messages)


# ----------------------------------------------------------------------------------------------------------------
# Fitting and scoring

def _fit(config: dict, X, y):
    from bot.nlu.classifier import build_pipeline

    model = build_pipeline(config)
    started = time.process_time()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence warnings are visible in the scores
        model.fit(X, y)
    return model, time.process_time() - started


def _score(model, X, y) -> tuple[float, float, float]:
    """Accuracy, macro-F1 and the share of messages the FallbackClassifier would turn into nlu_fallback."""
    from sklearn.metrics import f1_score

    probabilities = model.predict_proba(X)
    predicted = model.classes_[probabilities.argmax(axis=1)]
    top2 = -np.sort(-probabilities, axis=1)[:, :2]
    fallback = (top2[:, 0] < FALLBACK_THRESHOLD) | (top2[:, 0] - top2[:, 1] < AMBIGUITY_THRESHOLD)
    return (float(np.mean(predicted == y)), float(f1_score(y, predicted, average="macro", zero_division=0)),
            float(np.mean(fallback)))


def run(folds: int, repeats: int, seed: int, candidates: list[tuple[str, dict]]) -> tuple[dict[str, Scores], dict]:
    from rasa.shared.nlu.constants import TEXT
    from sklearn.model_selection import StratifiedGroupKFold

    from bot.evaluation import has_diacritics
    from knowledge.text import fold, search_tokens
    from rasa.shared.nlu.training_data.loading import load_data

    global FALLBACK_THRESHOLD, AMBIGUITY_THRESHOLD
    FALLBACK_THRESHOLD, AMBIGUITY_THRESHOLD = _fallback_thresholds()
    WORK_DIR.mkdir(parents=True, exist_ok=True)
    lookup = WORK_DIR / "lookup_procedures.yml"
    export_procedure_lookup(lookup)
    training_data = load_training_data(lookup)
    examples = [e for e in training_data.intent_examples if e.get("intent") and e.get(TEXT)]
    texts = [e.get(TEXT) for e in examples]
    y = np.array([e.get("intent") for e in examples])
    held_out = [e for e in load_data(str(HELD_OUT)).nlu_examples if e.get("intent")]
    held_texts, held_y = [e.get(TEXT) for e in held_out], np.array([e.get("intent") for e in held_out])
    held_accented = np.array([has_diacritics(t) for t in held_texts])

    print(f"{len(texts)} training examples, {len(set(y))} intents; held-out {len(held_texts)}", flush=True)
    started = time.perf_counter()
    tokenizer = _tokenizer()
    original = _messages(texts, list(y))
    folded = _messages([fold(t) for t in texts], list(y))
    held = _messages(held_texts, list(held_y))
    for group in (original, folded, held):
        tokenizer.process(group)
    print(f"tokenised in {time.perf_counter() - started:.0f} s", flush=True)

    base = _classifier_config()
    results = {label: Scores() for label, _ in candidates}
    featurizer = Featurizer(training_data)
    groups = [" ".join(search_tokens(t)) for t in texts]
    splits = [split for repeat in range(repeats) for split in StratifiedGroupKFold(
        n_splits=folds, shuffle=True, random_state=seed + repeat).split(np.zeros(len(y)), y, groups)]
    for number, (train, test) in enumerate(splits, start=1):
        train_messages = [original[i] for i in train]
        test_messages, test_folded = [original[i] for i in test], [folded[i] for i in test]
        featurizer.fit_transform(train_messages, [test_messages, test_folded])
        X_train, X_test, X_folded = (feature_matrix(m) for m in (train_messages, test_messages, test_folded))
        for label, overrides in candidates:
            model, seconds = _fit({**base, **overrides}, X_train, y[train])
            scores = results[label]
            accuracy, macro_f1, fallback = _score(model, X_test, y[test])
            accuracy_folded, macro_f1_folded, _ = _score(model, X_folded, y[test])
            scores.accuracy.append(accuracy)
            scores.macro_f1.append(macro_f1)
            scores.accuracy_folded.append(accuracy_folded)
            scores.macro_f1_folded.append(macro_f1_folded)
            scores.fallback.append(fallback)
            scores.fit_seconds.append(seconds)
        print(f"fold {number}/{len(splits)} done ({time.perf_counter() - started:.0f} s)", flush=True)

    featurizer.fit_transform(original, [held])
    X_all, X_held = feature_matrix(original), feature_matrix(held)
    for label, overrides in candidates:
        model, _ = _fit({**base, **overrides}, X_all, y)
        accuracy_with, macro_with, _ = _score(model, X_held[held_accented], held_y[held_accented])
        accuracy_without, macro_without, _ = _score(model, X_held[~held_accented], held_y[~held_accented])
        accuracy, macro_f1, fallback = _score(model, X_held, held_y)
        results[label].held_out = {
            "accuracy_with": accuracy_with, "accuracy_without": accuracy_without, "macro_f1": macro_f1,
            "fallback": fallback,
        }
    print(f"held-out scored ({time.perf_counter() - started:.0f} s)", flush=True)
    info = {
        "examples": len(texts), "intents": len(set(y)), "held_out": len(held_texts),
        "held_with": int(held_accented.sum()), "held_without": int((~held_accented).sum()),
        "accented_share": float(np.mean([has_diacritics(t) for t in texts])), "base": base,
    }
    return results, info


# ----------------------------------------------------------------------------------------------------------------
# Report

def _pct(values: list[float]) -> str:
    return f"{100 * statistics.mean(values):.1f}"


def _pct_sd(values: list[float]) -> str:
    return f"{100 * statistics.mean(values):.1f} ± {100 * statistics.stdev(values):.1f}"


def _per_fold(scores: Scores) -> list[float]:
    """What decides, fold by fold: the mean of the four figures (macro-F1 and accuracy, as written and stripped)."""
    return [statistics.mean(four) for four in
            zip(scores.macro_f1, scores.accuracy, scores.macro_f1_folded, scores.accuracy_folded)]


def _key(scores: Scores) -> tuple[float, float]:
    return statistics.mean(_per_fold(scores)), statistics.mean(scores.macro_f1)


def _paired(scores: Scores, reference: Optional[Scores]) -> str:
    """Difference to the reference model on the same folds: mean ± standard deviation, and folds where it is ahead."""
    if reference is None or scores is reference:
        return "—"
    differences = [a - b for a, b in zip(_per_fold(scores), _per_fold(reference))]
    ahead = sum(d > 0 for d in differences)
    mean, sd = 100 * statistics.mean(differences), 100 * statistics.stdev(differences)
    return f"{mean:+.2f} ± {sd:.2f} ({ahead}/{len(differences)})"


def render(results: dict[str, Scores], info: dict, command: str, folds: int, repeats: int, seed: int,
           started_load: str) -> str:
    current = info["base"]
    current_label = next((label for label, o in CANDIDATES if all(current.get(k) == v for k, v in o.items())
                          and current.get("class_weight") == o.get("class_weight", None)), None)
    best = max(results, key=lambda label: _key(results[label]))
    seeds = f"seeds {seed}–{seed + repeats - 1}" if repeats > 1 else f"seed {seed}"
    lines = [
        f"Command: `{command}` · machine: {machine_description()}, `nproc` {len(os.sched_getaffinity(0))} · {_now()}",
        "",
        f"Training data: data/nlu of this checkout, {info['examples']} examples over {info['intents']} intents "
        f"({100 * info['accented_share']:.0f} % written with diacritics), with the procedure lookup exported from "
        f"the knowledge base. {folds}-fold cross-validation repeated {repeats} times with different splits "
        f"({folds * repeats} folds; stratified by intent and grouped by accent-folded text; {seeds}); in every fold "
        "config.yml's RegexFeaturizer and both CountVectorsFeaturizers are trained "
        "on the fold's training part only, and the alternative is `bot.nlu.classifier.build_pipeline` (sublinear "
        "TF-IDF and the model) fitted on the same rows. *As written*: the fold's test texts as they are; *stripped*: "
        "the same texts through `knowledge.text.fold`. Figures are means over the folds (± standard deviation "
        f"across folds). *Fallback*: share of the fold's test texts (as written) that the FallbackClassifier "
        f"(threshold {FALLBACK_THRESHOLD}, ambiguity {AMBIGUITY_THRESHOLD}) would turn into `nlu_fallback`. "
        f"*Held-out*: trained on all the training data, scored on tests/nlu/test_nlu.yml ({info['held_out']} texts: "
        f"{info['held_with']} with and {info['held_without']} without diacritics; top intent of the classifier, as "
        "in the NLU section). Fit time: CPU seconds of one fit on a fold (one thread; the margin models include "
        f"their 3 calibration fits). *Δ {REFERENCE}*: the mean of the four CV figures minus that of {REFERENCE} "
        "(the model before this comparison), paired "
        "on the same folds (mean ± standard deviation over the folds, and in how many folds it is ahead), in points.",
        "",
        "| model | CV accuracy, as written | CV macro-F1, as written | CV accuracy, stripped | CV macro-F1, stripped "
        f"| Δ {REFERENCE} | CV fallback | held-out accuracy with / without diacritics | held-out macro-F1 | fit |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    reference = results.get(REFERENCE)
    for label, scores in results.items():
        marks = (" (config.yml)" if label == current_label else "") + (" **best**" if label == best else "")
        held = scores.held_out
        lines.append(
            f"| {label}{marks} | {_pct_sd(scores.accuracy)} | {_pct_sd(scores.macro_f1)} "
            f"| {_pct_sd(scores.accuracy_folded)} | {_pct_sd(scores.macro_f1_folded)} | {_paired(scores, reference)} "
            f"| {_pct(scores.fallback)} "
            f"| {100 * held['accuracy_with']:.1f} / {100 * held['accuracy_without']:.1f} "
            f"| {100 * held['macro_f1']:.1f} | {statistics.mean(scores.fit_seconds):.1f} s |"
        )
    lines += [
        "",
        f"Best by the mean of the four cross-validated figures: **{best}**. Load average (1/5/15 min) at the start "
        f"{started_load}, at the end {load_average()}.",
    ]
    return "\n".join(lines)


def main(argv: Optional[list[str]] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--write", action="store_true", help="put the table into docs/benchmarks.md")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=3, help="repetitions of the k-fold split, each shuffled anew")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--only", help="comma-separated substrings of the candidate labels to run (a quick look)")
    args = parser.parse_args(argv)
    candidates = CANDIDATES
    if args.only:
        wanted = [w.strip() for w in args.only.split(",")]
        candidates = [c for c in CANDIDATES if any(w in c[0] for w in wanted)]
    started_load = load_average()
    results, info = run(args.folds, args.repeats, args.seed, candidates)
    arguments = " ".join(argv if argv is not None else sys.argv[1:])
    command = f"PYTHONPATH=. .venv/bin/python bench/bench_classifier_cv.py {arguments}".rstrip()
    report = render(results, info, command, args.folds, args.repeats, args.seed, started_load)
    print(report)
    if args.write:
        if args.only or args.folds != 5 or args.repeats < 1:
            raise SystemExit("--write needs the full comparison (no --only, 5 folds)")
        update_section(SECTION, report)
        print(f"\nupdated the {SECTION[3:]} section of docs/benchmarks.md")


if __name__ == "__main__":
    main()
