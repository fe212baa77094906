"""Read a /metrics page into samples with prometheus_client's own parser."""
from __future__ import annotations

from typing import Dict, FrozenSet, Tuple

import requests
from prometheus_client.parser import text_string_to_metric_families

Samples = Dict[Tuple[str, FrozenSet[Tuple[str, str]]], float]


def parse(text: str) -> Samples:
    return {(sample.name, frozenset(sample.labels.items())): sample.value
            for family in text_string_to_metric_families(text) for sample in family.samples}


def scrape(url: str) -> Samples:
    response = requests.get(url, timeout=10)
    response.raise_for_status()
    return parse(response.text)


def value(samples: Samples, name: str, **labels: str) -> float:
    """A sample's value; 0 for a labelled series that has not appeared yet (a counter before its first event)."""
    return samples.get((name, frozenset(labels.items())), 0.0)


def names(samples: Samples) -> set:
    return {name for name, _ in samples}
