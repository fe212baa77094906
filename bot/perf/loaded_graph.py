"""One wrapper of Rasa's `load_predict_graph_runner` for the fixes that prepare a freshly loaded prediction graph.

Some fixes mark components of the loaded graph (the featurizers that may skip sequence features, the RulePolicy that
keeps its verdicts). Only a graph loaded for predicting passes here, never one being trained. Each fix registers a
function of (metadata, runner) with `after_load`; the loader is wrapped once, however many fixes register, and the
registered functions run in registration order.
"""
from __future__ import annotations

from typing import Any, Callable, List, Optional, Tuple

AfterLoad = Callable[[Any, Any], None]

_rasa_loader: Optional[Callable[..., Tuple[Any, Any]]] = None
_after_load: List[AfterLoad] = []


def rasa_loader() -> Callable[..., Tuple[Any, Any]]:
    """Rasa's own loader (before the wrapper), for tests that compare with it."""
    import rasa.engine.loader

    return _rasa_loader or rasa.engine.loader.load_predict_graph_runner


def load_predict_graph_runner(*args: Any, **kwargs: Any) -> Tuple[Any, Any]:
    """Rasa's loader; then every registered function sees the loaded graph."""
    assert _rasa_loader is not None, "after_load() first"
    metadata, runner = _rasa_loader(*args, **kwargs)
    for prepare in _after_load:
        prepare(metadata, runner)
    return metadata, runner


def after_load(prepare: AfterLoad) -> None:
    """Run `prepare(metadata, runner)` on every prediction graph loaded from now on (registered once)."""
    global _rasa_loader
    import rasa.engine.loader

    if _rasa_loader is None:
        _rasa_loader = rasa.engine.loader.load_predict_graph_runner
        rasa.engine.loader.load_predict_graph_runner = load_predict_graph_runner
    if prepare not in _after_load:
        _after_load.append(prepare)
