"""Performance fixes for Rasa 3.6's message path, installed by the Rasa server entry point (bot/rasa_server.py).

Each module replaces one Rasa internal with an equivalent that does less work per message; each is measured in
docs/benchmarks.md ("Load") and tested for the same behaviour as Rasa's original (tests/perf/).
"""
from __future__ import annotations


def install_all() -> None:
    from bot.perf import action_http, action_validation, event_types, gc_after_load, graph_runner, tracker_states

    action_validation.install()
    event_types.install()
    action_http.install()
    graph_runner.install()
    tracker_states.install()
    gc_after_load.install()
