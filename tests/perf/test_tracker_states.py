"""Past states are computed once per tracker state and are the states Rasa computes."""
from __future__ import annotations

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, ActiveLoop, BotUttered, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.perf import tracker_states

DOMAIN = Domain.load("domain.yml")
tracker_states.install()
RASA = tracker_states._rasa_past_states

OPTIONS = [
    {},
    {"omit_unset_slots": True},
    {"ignore_rule_only_turns": True, "rule_only_data": {"slots": ["requested_slot"], "active_loops": ["dossier_form"]}},
    {"rule_only_data": {"slots": [], "active_loops": []}},
]


def _tracker() -> DialogueStateTracker:
    return DialogueStateTracker.from_events("states-test", [
        ActionExecuted("action_listen"),
        UserUttered("lam khai sinh can gi", {"name": "ask_documents", "confidence": 0.9},
                    [{"entity": "procedure", "value": "khai sinh", "start": 4, "end": 13}]),
        ActionExecuted("action_answer_procedure"), SlotSet("procedure_code", "1.001193"),
        BotUttered("Đăng ký khai sinh (mã 1.001193)"), ActionExecuted("action_listen"),
        UserUttered("tra ho so", {"name": "check_dossier_status", "confidence": 0.8}),
        ActionExecuted("dossier_form"), ActiveLoop("dossier_form"), SlotSet("requested_slot", "receipt_code"),
        ActionExecuted("action_listen"),
    ], DOMAIN.slots)


@pytest.mark.parametrize("options", OPTIONS)
def test_same_states_as_rasa(options):
    tracker = _tracker()
    expected = RASA(_tracker(), DOMAIN, **options)
    assert tracker.past_states(DOMAIN, **options) == expected
    assert tracker.past_states(DOMAIN, **options) == expected  # from the cache


def test_computed_once_and_callers_get_their_own_copy(monkeypatch):
    calls = []
    monkeypatch.setattr(tracker_states, "_rasa_past_states", lambda *a, **k: calls.append(1) or RASA(*a, **k))
    tracker = _tracker()
    first = tracker.past_states(DOMAIN)
    first[-1].clear()  # featurizers edit the last state in place
    second = tracker.past_states(DOMAIN)
    assert len(calls) == 1 and second[-1] and second == RASA(_tracker(), DOMAIN)


def test_new_events_are_seen():
    tracker = _tracker()
    before = tracker.past_states(DOMAIN)
    tracker.update(UserUttered("le phi", {"name": "ask_fee", "confidence": 0.9}))
    after = tracker.past_states(DOMAIN)
    assert after != before and after == RASA(tracker, DOMAIN)


def test_copies_share_nothing_mutable():
    tracker = _tracker()
    first, second = tracker.past_states(DOMAIN), tracker.past_states(DOMAIN)
    assert first == second
    for a, b in zip(first, second):
        assert a is not b
        for part in a:
            assert a[part] is not b[part]
            a[part]["edited"] = True
            assert "edited" not in b[part]


def test_states_with_mutable_features_are_deep_copied(monkeypatch):
    nested = [{"user": {"intent": "greet", "extra": ["mutable"]}}]
    monkeypatch.setattr(tracker_states, "_rasa_past_states", lambda *a, **k: nested)
    tracker = _tracker()
    copy_ = tracker.past_states(DOMAIN)
    copy_[0]["user"]["extra"].append("edited")
    assert tracker.past_states(DOMAIN) == [{"user": {"intent": "greet", "extra": ["mutable"]}}]


@pytest.mark.parametrize("options", OPTIONS)
def test_rasa_states_take_the_two_level_copy(options):
    assert tracker_states._two_levels_suffice(RASA(_tracker(), DOMAIN, **options))
