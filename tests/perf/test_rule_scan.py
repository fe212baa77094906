"""RulePolicy with kept rule verdicts finds the same rules, in the same order, and predicts as Rasa's scan does.

Every point of every story and rule of data/ and tests/stories (the conversations the model is tested on) is
predicted with the loaded model's RulePolicy, with and without the kept verdicts, twice (cold and warm).
"""
from __future__ import annotations

from pathlib import Path

import pytest
from rasa.core.agent import Agent
from rasa.core.policies.rule_policy import RulePolicy
from rasa.shared.core.generator import TrainingDataGenerator
from rasa.shared.core.training_data.story_reader.yaml_story_reader import YAMLStoryReader
from rasa.shared.core.training_data.structures import StoryGraph

from base.settings import PROJECT_ROOT
from bot.perf import rule_scan

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def loaded():
    from bot.training import ensure_model

    rule_scan.install()
    agent = Agent.load(str(ensure_model(quiet=True)))
    policies = [n._component for n in agent.processor.graph_runner._instantiated_nodes.values()
                if type(n._component) is RulePolicy]
    assert len(policies) == 1 and isinstance(getattr(policies[0], rule_scan.MARK), dict)
    return agent, policies[0]


def _prior_trackers(domain):
    files = sorted((PROJECT_ROOT / "tests" / "stories").glob("*.yml")) + sorted(
        (PROJECT_ROOT / "data" / "stories").glob("*.yml")) + sorted((PROJECT_ROOT / "data" / "rules").glob("*.yml"))
    steps = [step for path in files for step in YAMLStoryReader(domain).read_from_file(str(path))]
    trackers = TrainingDataGenerator(StoryGraph(steps), domain, remove_duplicates=True, augmentation_factor=0,
                                     use_story_concatenation=False).generate()
    return [prior.copy() for tracker in trackers for prior, _ in tracker.generate_all_prior_trackers()]


def _rasa_prediction(policy, tracker, domain):
    kept = getattr(policy, rule_scan.MARK)
    delattr(policy, rule_scan.MARK)
    try:
        return policy.predict_action_probabilities(tracker, domain)
    finally:
        setattr(policy, rule_scan.MARK, kept)


def _summary(prediction):
    return (prediction.probabilities, prediction.events, prediction.optional_events, prediction.policy_name,
            prediction.is_end_to_end_prediction, prediction.is_no_user_prediction, prediction.action_metadata)


def test_same_rules_in_the_same_order_and_same_predictions(loaded):
    agent, policy = loaded
    domain = agent.domain
    trackers = _prior_trackers(domain)
    assert len(trackers) > 200
    getattr(policy, rule_scan.MARK).clear()
    for _ in range(2):  # cold, then with the verdicts kept
        for tracker in trackers:
            for use_text in (False, True):
                states = policy._prediction_states(tracker, domain, use_text,
                                                   rule_only_data=policy._get_rule_only_data())
                for table in policy.lookup.values():
                    if isinstance(table, dict) and table:
                        assert list(rule_scan.possible_keys(policy, table, states)) == list(
                            rule_scan._rasa_possible_keys(policy, table, states))
            assert _summary(policy.predict_action_probabilities(tracker, domain)) == _summary(
                _rasa_prediction(policy, tracker, domain))
    assert getattr(policy, rule_scan.MARK)  # verdicts were kept and used on the second pass


def test_verdicts_are_looked_up_not_recomputed(loaded, monkeypatch):
    agent, policy = loaded
    tracker = _prior_trackers(agent.domain)[5]
    states = policy._prediction_states(tracker, agent.domain, False, rule_only_data=policy._get_rule_only_data())
    table = policy.lookup["rules"]
    first = rule_scan.possible_keys(policy, table, states)
    calls = []
    original = RulePolicy._is_rule_applicable
    monkeypatch.setattr(RulePolicy, "_is_rule_applicable", lambda *a: calls.append(a) or original(*a))
    assert rule_scan.possible_keys(policy, table, states) == first and not calls


def test_state_keys():
    assert rule_scan.state_key({"user": {"intent": "greet"}}) == rule_scan.state_key({"user": {"intent": "greet"}})
    assert rule_scan.state_key({"user": {"intent": "greet"}}) != rule_scan.state_key({"user": {"intent": "bye"}})
    assert rule_scan.state_key({"user": {"entities": ("a", "b")}}) != rule_scan.state_key(
        {"user": {"entities": ("b", "a")}})
    assert rule_scan.state_key({"slots": {"x": [1.0]}}) is None  # unhashable: Rasa's check runs instead
    assert rule_scan.state_key({"user": "not a dict"}) is None


def test_unmarked_policy_runs_rasa_scan(loaded, monkeypatch):
    agent, policy = loaded
    calls = []
    monkeypatch.setattr(rule_scan, "_rasa_possible_keys", lambda *a: calls.append(a) or set())
    fresh = object.__new__(RulePolicy)
    assert rule_scan.possible_keys(fresh, {"k": "v"}, []) == set() and calls
