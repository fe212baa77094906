"""Performance fixes for Rasa 3.6's message path, installed by the Rasa server entry point (bot/rasa_server.py).

Each module replaces one Rasa internal with an equivalent that does less work per message; each is measured in
docs/benchmarks.md ("Load") and tested for the same behaviour as Rasa's original (tests/perf/).

`THUTUC_PERF_OFF` (comma-separated module names, or `all`) leaves fixes out, to compare with Rasa's own code or to
rule a fix out when looking for a fault. `action_http` is not among them: besides its connection pool it bounds the
calls to the action server and carries the secret that server checks. The fixes written against Rasa's internals of
`PINNED_RASA` only (`VERSION_BOUND`) are left out, with a warning, under any other Rasa version.
"""
from __future__ import annotations

import importlib
import logging
from typing import List

logger = logging.getLogger(__name__)

PINNED_RASA = "3.6.21"  # requirements.in and constraints.txt pin it; tests/perf/test_switches.py checks they agree
# In the order they are installed.
SWITCHABLE = ("action_validation", "event_types", "graph_runner", "tracker_states", "sentence_features",
              "domain_empty", "rule_scan", "gc_after_load")
VERSION_BOUND = frozenset({"sentence_features", "domain_empty", "rule_scan"})
SWITCH = "THUTUC_PERF_OFF"


def switched_off() -> frozenset[str]:
    """The fixes THUTUC_PERF_OFF names (base/settings.py, `perf_off`); unknown names are reported and ignored."""
    from base.settings import get_settings

    names = {n.strip() for n in get_settings().perf_off.split(",") if n.strip()}
    if "all" in names:
        return frozenset(SWITCHABLE)
    unknown = names - set(SWITCHABLE)
    if unknown:
        logger.warning("%s: no such performance fix: %s (known: %s)", SWITCH, ", ".join(sorted(unknown)),
                       ", ".join(SWITCHABLE))
    return frozenset(names & set(SWITCHABLE))


def selected() -> List[str]:
    """The fixes install_all() installs, in order: all but those switched off or bound to another Rasa version."""
    import rasa

    off = switched_off()
    names = [n for n in SWITCHABLE if n not in off]
    if rasa.__version__ != PINNED_RASA:
        left_out = [n for n in names if n in VERSION_BOUND]
        if left_out:
            logger.warning("Rasa %s is not the pinned %s: leaving out %s", rasa.__version__, PINNED_RASA,
                           ", ".join(left_out))
        names = [n for n in names if n not in VERSION_BOUND]
    return names


def install_all() -> None:
    from bot.perf import action_http

    action_http.install()
    for name in selected():
        importlib.import_module(f"bot.perf.{name}").install()
