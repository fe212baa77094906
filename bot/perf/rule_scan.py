"""RulePolicy's scan of its rules, with each rule's verdict on a conversation state kept instead of recomputed.

To predict, Rasa 3.6's `RulePolicy._get_possible_keys` walks the conversation's states from the newest back and at
each step keeps the rules still applicable there (`_is_rule_applicable(rule, step, state)`): about 200 rule checks
per call in our model, two or three calls per prediction, two or three predictions per message, and the same few
states (greeting, a question right after `action_listen`, …) come back in every conversation. The verdict is a pure
function of the rule, the step and the state's contents (the check reads the state with `get`, `==`, `!=` and
truth values only, and the rules are fixed once the policy is loaded), so it is kept per (rule table, step, state)
and looked up. Once no rule is left, or every rule left is shorter than
the step reached (then applicable whatever the state, Rasa's first check), the older states are not looked at. The
surviving rules are gathered exactly as Rasa does — a new set filled from the previous set in its
iteration order — so the set, even its iteration order (which decides `max(rule_keys, key=len)` among rules of
equal length), is Rasa's. A state with a value that cannot be a dictionary key is checked by Rasa's code. Only a
RulePolicy of a loaded prediction graph is marked; training keeps Rasa's scan.
"""
from __future__ import annotations

from typing import Any, Callable, Dict, Hashable, List, Optional, Set

from rasa.core.policies.rule_policy import RulePolicy

MARK = "_thutuc_rule_verdicts"
MAX_STATES = 20_000  # kept (rule table, step, state) entries per policy; cleared when full

_rasa_possible_keys: Optional[Callable[..., Set[str]]] = None


def state_key(state: Dict[str, Any]) -> Optional[Hashable]:
    """A key equal for two states exactly when they are equal (`==`), or None when a value is unhashable."""
    try:
        parts = []
        for part, features in state.items():
            if not isinstance(features, dict):
                return None
            parts.append((part, frozenset(features.items())))
        key = frozenset(parts)
        hash(key)
        return key
    except TypeError:
        return None


def possible_keys(self: RulePolicy, lookup: Dict[str, str], states: List[Dict[str, Any]]) -> Set[str]:
    """Same set as Rasa's `_get_possible_keys`, built in the same order, with kept verdicts."""
    assert _rasa_possible_keys is not None, "install() first"
    verdicts_by_state: Optional[Dict[Hashable, Any]] = getattr(self, MARK, None)
    if verdicts_by_state is None:
        return _rasa_possible_keys(self, lookup, states)
    keys = set(lookup.keys())
    lengths = _rule_lengths(self, lookup, verdicts_by_state)
    for index, state in enumerate(reversed(states)):
        if not keys:
            break  # Rasa goes on filtering the empty set: still empty
        if index >= max(lengths[rule] for rule in keys):
            # Every rule left is shorter than this step, so applicable (Rasa's first check): rebuild the set as
            # Rasa's filter does, without looking at the state.
            keys = set(filter(_applicable, keys))
            continue
        key = state_key(state)
        if key is None:
            keys = set(filter(lambda rule: self._is_rule_applicable(rule, index, state), keys))
            continue
        entry = (id(lookup), index, key)
        if entry not in verdicts_by_state:
            if len(verdicts_by_state) >= MAX_STATES:
                verdicts_by_state.clear()
            verdicts_by_state[entry] = (lookup, {})  # the table is held, so its id cannot be reused meanwhile
        verdicts = verdicts_by_state[entry][1]
        keys = set(filter(lambda rule: _verdict(self, verdicts, rule, index, state), keys))
    return keys


def _applicable(rule: str) -> bool:
    return True


def _rule_lengths(self: RulePolicy, lookup: Dict[str, str], kept: Dict[Hashable, Any]) -> Dict[str, int]:
    """How many states each rule of the table has (kept with the verdicts, the table held so its id stays)."""
    entry = ("lengths", id(lookup))
    if entry not in kept:
        kept[entry] = (lookup, {rule: len(self._rule_key_to_state(rule)) for rule in lookup})
    return kept[entry][1]


def _verdict(self: RulePolicy, verdicts: Dict[str, bool], rule: str, index: int, state: Dict[str, Any]) -> bool:
    verdict = verdicts.get(rule)
    if verdict is None:
        verdict = verdicts[rule] = bool(self._is_rule_applicable(rule, index, state))
    return verdict


def mark_loaded_policies(runner: Any) -> int:
    marked = 0
    for node in getattr(runner, "_instantiated_nodes", {}).values():
        component = getattr(node, "_component", None)
        if type(component) is RulePolicy:
            setattr(component, MARK, {})
            marked += 1
    return marked


def mark_loaded_graph(metadata: Any, runner: Any) -> None:
    """After a prediction graph is loaded: its RulePolicy keeps its verdicts (bot/perf/loaded_graph.py)."""
    mark_loaded_policies(runner)


def install() -> None:
    global _rasa_possible_keys
    from bot.perf import loaded_graph

    if _rasa_possible_keys is None:
        _rasa_possible_keys = RulePolicy._get_possible_keys
    RulePolicy._get_possible_keys = possible_keys
    loaded_graph.after_load(mark_loaded_graph)
