"""Search-quality measurement shared by the test and bench/bench_search.py."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from knowledge.text import fold

QUERIES_FILE = Path(__file__).resolve().parent / "search_queries.yml"


@dataclass
class Quality:
    total: int = 0
    top1: int = 0
    top3: int = 0
    misses: list[tuple[str, str, list[str]]] = field(default_factory=list)

    def add(self, text: str, expected: str, ranked: list[str]) -> None:
        self.total += 1
        self.top1 += bool(ranked[:1] == [expected])
        self.top3 += expected in ranked[:3]
        if ranked[:1] != [expected]:
            self.misses.append((text, expected, ranked[:3]))

    @property
    def top1_rate(self) -> float:
        return self.top1 / self.total if self.total else 0.0

    @property
    def top3_rate(self) -> float:
        return self.top3 / self.total if self.total else 0.0


def load_queries(path: Path = QUERIES_FILE) -> list[dict]:
    with open(path, encoding="utf-8") as handle:
        return list(yaml.safe_load(handle)["queries"])


def has_diacritics(text: str) -> bool:
    return fold(text) != text.lower().strip()


def measure(search, queries: list[dict]) -> dict[str, Quality]:
    """Top-1/top-3 over all queries and split by whether the query was typed with diacritics."""
    results = {"all": Quality(), "with_diacritics": Quality(), "without_diacritics": Quality()}
    for query in queries:
        ranked = [hit.code for hit in search(query["text"], 3)]
        results["all"].add(query["text"], str(query["code"]), ranked)
        split = "with_diacritics" if has_diacritics(query["text"]) else "without_diacritics"
        results[split].add(query["text"], str(query["code"]), ranked)
    return results
