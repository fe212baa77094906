"""Compute a tracker's past states once per tracker state and arguments instead of once per policy call.

Each policy turns the conversation into "states" (`DialogueStateTracker.past_states`), which replays every event of
the conversation. For one prediction RulePolicy asks twice with the same arguments and MemoizationPolicy once with
its own (it leaves out rule-only turns), and a message needs two predictions: the cache saves RulePolicy's second
replay, a third of them. The states are kept on the tracker, keyed by the arguments and by the
events they were computed from (count and identity of the last event: trackers only ever append events), and every
caller gets its own copy, because featurizers edit the last state in place (two dict levels, which is a deep copy
for states whose features are tuples and strings, as Rasa's are; `copy.deepcopy` otherwise).
"""
from __future__ import annotations

import copy
import json
from typing import Any, Callable, Dict, List, Optional, Text

_ATTRIBUTE = "_thutuc_past_states"
_MAX_ENTRIES = 8
_rasa_past_states: Optional[Callable[..., List[Any]]] = None


def _key(tracker: Any, domain: Any, omit_unset_slots: bool, ignore_rule_only_turns: bool,
         rule_only_data: Optional[Dict[Text, Any]]) -> tuple:
    events = tracker.events
    return (id(domain), omit_unset_slots, ignore_rule_only_turns,
            json.dumps(rule_only_data, sort_keys=True, default=str) if rule_only_data else None,
            len(events), id(events[-1]) if events else None)


def past_states(self: Any, domain: Any, omit_unset_slots: bool = False, ignore_rule_only_turns: bool = False,
                rule_only_data: Optional[Dict[Text, Any]] = None) -> List[Any]:
    """Same result as Rasa's `DialogueStateTracker.past_states`, computed once per tracker state."""
    assert _rasa_past_states is not None, "install() first"
    cache: Dict[tuple, tuple] = self.__dict__.setdefault(_ATTRIBUTE, {})
    key = _key(self, domain, omit_unset_slots, ignore_rule_only_turns, rule_only_data)
    if key not in cache:
        if len(cache) >= _MAX_ENTRIES:
            cache.clear()
        states = _rasa_past_states(self, domain, omit_unset_slots=omit_unset_slots,
                                   ignore_rule_only_turns=ignore_rule_only_turns, rule_only_data=rule_only_data)
        # The entry holds the last event and the domain, so the ids in its key cannot be reused while it exists.
        cache[key] = (self.events[-1] if self.events else None, domain, states, _two_levels_suffice(states))
    _, _, states, shallow = cache[key]
    if shallow:
        return [{part: dict(features) for part, features in state.items()} for state in states]
    return copy.deepcopy(states)


_IMMUTABLE = (str, int, float, bool, type(None), frozenset)


def _immutable(value: Any) -> bool:
    return isinstance(value, _IMMUTABLE) or (isinstance(value, tuple) and all(_immutable(v) for v in value))


def _two_levels_suffice(states: List[Any]) -> bool:
    """Rasa's states are lists of {part: {feature: tuple or string}}: copying two levels is then a deep copy."""
    return all(
        isinstance(state, dict) and all(
            isinstance(features, dict) and all(_immutable(v) for v in features.values())
            for features in state.values()
        )
        for state in states
    )


def install() -> None:
    global _rasa_past_states
    from rasa.shared.core.trackers import DialogueStateTracker

    if _rasa_past_states is None:
        _rasa_past_states = DialogueStateTracker.past_states
    DialogueStateTracker.past_states = past_states
