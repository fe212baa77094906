"""The Rasa server's action-response check: same verdicts and errors as Rasa's, schema checked only once."""
from __future__ import annotations

import functools

import pytest
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction

from bot.perf.action_validation import validate_action_result as _validate_action_result


def remote_action() -> RemoteAction:
    return RemoteAction("action_answer_procedure", None)


@pytest.mark.parametrize("response", [
    {"events": [{"event": "slot", "name": "procedure_code", "value": "1.001193"}], "responses": [{"text": "Xin chào"}]},
    {"events": [], "responses": []},
    {},
])
def test_valid_responses_pass_like_rasa(response):
    assert remote_action()._validate_action_result(response) is True  # Rasa's own check
    assert _validate_action_result(remote_action(), response) is True


@pytest.mark.parametrize("response", [
    {"events": "not a list"},
    {"events": [{"no_event_key": 1}]},
    {"responses": "hello"},
])
def test_invalid_responses_fail_like_rasa(response):
    with pytest.raises(ValidationError) as rasa_error:
        remote_action()._validate_action_result(response)
    with pytest.raises(ValidationError) as ours:
        _validate_action_result(remote_action(), response)
    assert ours.value.message == rasa_error.value.message
    assert "Failed to validate Action server response" in ours.value.message


def test_schema_is_checked_once(monkeypatch):
    from jsonschema.validators import validator_for

    from bot.perf import action_validation

    validator_class = validator_for(RemoteAction.action_response_format_spec())
    calls = []
    original = validator_class.check_schema
    monkeypatch.setattr(validator_class, "check_schema", classmethod(lambda cls, schema: calls.append(1) or original(schema)))
    action_validation.action_response_validator.cache_clear()
    action_validation.fast_path.cache_clear()
    for _ in range(5):
        _validate_action_result(remote_action(), {"events": []})
        with pytest.raises(ValidationError):
            _validate_action_result(remote_action(), {"events": "not a list"})
    assert len(calls) == 1


# --- the fast path: one event type's rules per event, exact -------------------------------------------------------

def _event_names() -> list[str]:
    item = RemoteAction.action_response_format_spec()["properties"]["events"]["items"]
    return [alternative["properties"]["event"]["const"] for alternative in item["oneOf"]]


def _responses() -> list:
    """Valid and invalid responses of many shapes: every event type, wrong field types, unknown events."""
    samples: list = [{}, {"events": []}, {"responses": []}, None, [], "text", {"events": None},
                     {"events": [None]}, {"events": [{}]}, {"events": [{"event": 3}]}, {"events": [{"event": "nope"}]},
                     {"responses": [{"text": "Xin chào", "buttons": [{"title": "Lệ phí", "payload": "/ask_fee"}]}]},
                     {"responses": [{"text": 5}]}, {"events": [], "responses": "hello"}]
    for name in _event_names():
        samples += [
            {"events": [{"event": name}]},
            {"events": [{"event": name, "timestamp": None}]},
            {"events": [{"event": name, "timestamp": "yesterday"}]},
            {"events": [{"event": name, "name": "procedure_code", "value": "1.001193"}]},
            {"events": [{"event": name, "name": 5, "value": None, "text": 7, "intent": "x"}]},
            {"events": [{"event": name, "metadata": []}], "responses": [{"text": "ok"}]},
        ]
    samples.append({"events": [{"event": "slot", "name": "a", "value": 1}, {"event": "bot", "text": "Chào"},
                               {"event": "action", "name": "action_listen"}, {"event": "followup", "name": "x"}]})
    return samples


def test_every_event_type_is_covered_by_the_fast_path():
    from bot.perf.action_validation import fast_path

    path = fast_path()
    assert path is not None and sorted(path.by_event) == sorted(_event_names())


@pytest.mark.parametrize("response", _responses())
def test_fast_path_accepts_exactly_what_the_schema_accepts(response):
    from bot.perf.action_validation import action_response_validator, passes_fast_path

    assert passes_fast_path(response) == action_response_validator().is_valid(response)


def test_invalid_response_still_gets_rasas_error_after_the_fast_path():
    response = {"events": [{"event": "slot", "name": 5}]}
    with pytest.raises(ValidationError) as rasa_error:
        remote_action()._validate_action_result(response)
    with pytest.raises(ValidationError) as ours:
        _validate_action_result(remote_action(), response)
    assert ours.value.message == rasa_error.value.message
