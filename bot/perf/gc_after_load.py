"""Move everything the model load created out of the garbage collector's way.

Loading the model (TensorFlow, spaCy, underthesea, the graph) leaves millions of long-lived objects that the cyclic
garbage collector would otherwise keep traversing while it serves messages. Once the agent is loaded they are
frozen (`gc.freeze()`: never collected, never traversed). Nothing is freed later from that set anyway: it lives as
long as the model.
"""
from __future__ import annotations

import functools
import gc
from typing import Any


def install() -> None:
    import rasa.core.run

    original = rasa.core.run.load_agent_on_start
    if getattr(original, "_thutuc_freezes", False):
        return

    @functools.wraps(original)
    async def load_agent_then_freeze(*args: Any, **kwargs: Any) -> Any:
        agent = await original(*args, **kwargs)
        gc.collect()
        gc.freeze()
        return agent

    load_agent_then_freeze._thutuc_freezes = True  # type: ignore[attr-defined]
    rasa.core.run.load_agent_on_start = load_agent_then_freeze
