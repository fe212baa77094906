"""Objects of the loaded model are frozen for the garbage collector, after the agent has loaded."""
from __future__ import annotations

import asyncio
import gc

import rasa.core.run

from bot.perf import gc_after_load


def test_freezes_after_the_agent_loads_and_returns_it(monkeypatch):
    frozen_during_load = []

    async def fake_load(*args, **kwargs):
        frozen_during_load.append(gc.get_freeze_count())
        return ("agent", args, kwargs)

    monkeypatch.setattr(rasa.core.run, "load_agent_on_start", fake_load)
    gc.unfreeze()
    gc_after_load.install()
    gc_after_load.install()  # idempotent: wraps once
    patched = rasa.core.run.load_agent_on_start
    assert patched.__wrapped__ is fake_load
    try:
        model_objects = [{"weights": [i]} for i in range(1000)]  # tracked by the collector, like the model's
        assert asyncio.run(patched("model.tar.gz", app=None)) == ("agent", ("model.tar.gz",), {"app": None})
        assert frozen_during_load == [0]
        assert gc.get_freeze_count() >= len(model_objects) > 0
    finally:
        gc.unfreeze()
