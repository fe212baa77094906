"""The sequential graph runner gives the trained model's answers exactly as Rasa's dask runner does."""
from __future__ import annotations

import asyncio

import pytest
from rasa.core.agent import Agent
from rasa.engine.exceptions import GraphRunError
from rasa.engine.runner.dask import DaskGraphRunner
from rasa.shared.core.events import ActionExecuted, SessionStarted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.perf.graph_runner import SequentialGraphRunner

pytestmark = pytest.mark.slow

MESSAGES = [
    "xin chào", "lam khai sinh can gi", "Lệ phí đăng ký kết hôn là bao nhiêu ạ?", "hồ sơ H15.50-251203-2035 xong chưa",
    "ủy ban làm việc mấy giờ", "👍", "gặp cán bộ", "", "a" * 3000, "tach ho o dau vay ad",
]


def _load(runner_class, model):
    import rasa.core.processor

    original = rasa.core.processor.DaskGraphRunner
    rasa.core.processor.DaskGraphRunner = runner_class
    try:
        return Agent.load(str(model))
    finally:
        rasa.core.processor.DaskGraphRunner = original


@pytest.fixture(scope="module")
def agents():
    from bot.training import ensure_model

    model = ensure_model(quiet=True)
    rasa_agent, ours = _load(DaskGraphRunner, model), _load(SequentialGraphRunner, model)
    assert type(ours.processor.graph_runner) is SequentialGraphRunner
    assert type(rasa_agent.processor.graph_runner) is DaskGraphRunner
    return rasa_agent, ours


def _without_timing(parsed):
    return {key: value for key, value in parsed.items() if key != "message_id"}


@pytest.mark.parametrize("text", MESSAGES)
def test_same_parse(agents, text):
    rasa_agent, ours = agents
    expected = asyncio.run(rasa_agent.parse_message(text))
    assert _without_timing(asyncio.run(ours.parse_message(text))) == _without_timing(expected)


@pytest.mark.parametrize("text", MESSAGES[:6])
def test_same_next_action(agents, text):
    rasa_agent, ours = agents

    def predict(agent):
        parsed = asyncio.run(agent.parse_message(text))
        tracker = DialogueStateTracker.from_events("runner-test", [
            ActionExecuted("action_session_start"), SessionStarted(), ActionExecuted("action_listen"),
            UserUttered(text, parsed["intent"], parsed["entities"], parse_data=parsed),
        ], agent.domain.slots)
        prediction = agent.processor._predict_next_with_tracker(tracker)
        return agent.domain.action_names_or_texts[prediction.max_confidence_index], prediction.policy_name

    assert predict(ours) == predict(rasa_agent)


def test_plan_is_computed_once_per_target_set(agents):
    _, ours = agents
    runner = ours.processor.graph_runner
    runner._plan.cache_clear()
    for text in MESSAGES[:3]:
        asyncio.run(ours.parse_message(text))
    info = runner._plan.cache_info()
    assert info.misses == 1 and info.hits == 2


def test_input_named_like_a_node_is_refused(agents):
    _, ours = agents
    runner = ours.processor.graph_runner
    node = next(iter(runner._graph_schema.nodes))
    with pytest.raises(GraphRunError, match="clashes with a node name"):
        runner.run(inputs={"__message__": node}, targets=[node])


@pytest.mark.parametrize("text", ["", "   ", "\n\t"])
def test_blank_message_falls_back_instead_of_failing(agents, text):
    _, ours = agents
    parsed = asyncio.run(ours.parse_message(text))
    assert parsed["intent"]["name"] == "nlu_fallback"
