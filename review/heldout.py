"""The texts of the held-out evaluation sets (tests/eval_sets/README.md), which must never become training data.

Compared by `analytics.misses.question_key` (folded, punctuation-free), so a reviewed question that is a held-out
question typed with or without diacritics is caught.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Iterable

import yaml

from base.settings import PROJECT_ROOT
from analytics.misses import question_key

HELD_OUT_FILES: tuple[str, ...] = (
    "tests/e2e/questions.yml",
    "tests/e2e/questions_commune.yml",
    "tests/knowledge/search_queries.yml",
    "tests/nlu/test_nlu.yml",
)
_ANNOTATION = re.compile(r"\[([^\]]*)\]\([^)]*\)|\[([^\]]*)\]\{[^}]*\}")


def strip_annotations(example: str) -> str:
    """`[sổ đỏ](procedure)` → `sổ đỏ`."""
    return _ANNOTATION.sub(lambda m: m.group(1) if m.group(1) is not None else m.group(2), example)


def nlu_examples(data: dict) -> Iterable[tuple[str, str]]:
    """(intent, text without annotations) of a Rasa NLU file's examples."""
    for item in (data or {}).get("nlu") or []:
        if isinstance(item, dict) and item.get("intent") and isinstance(item.get("examples"), str):
            for line in item["examples"].splitlines():
                line = line.strip()
                if line.startswith("- "):
                    yield str(item["intent"]), strip_annotations(line[2:].strip())


def held_out_texts(data: dict) -> Iterable[str]:
    for name in ("questions", "queries"):
        for item in (data or {}).get(name) or []:
            if isinstance(item, dict) and isinstance(item.get("text"), str):
                yield item["text"]
    for _, text in nlu_examples(data):
        yield text


def held_out_keys(root: Path = PROJECT_ROOT, files: Iterable[str] = HELD_OUT_FILES) -> dict[str, str]:
    """Folded key → the file it comes from, for every held-out text that exists under `root`."""
    keys: dict[str, str] = {}
    for name in files:
        path = root / name
        if not path.exists():
            continue
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for text in held_out_texts(data):
            keys.setdefault(question_key(text), name)
    return keys
