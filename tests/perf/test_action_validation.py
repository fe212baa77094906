"""The Rasa server's action-response check: same verdicts and errors as Rasa's, schema checked only once."""
from __future__ import annotations

import pytest
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction

from bot.rasa_server import _validate_action_result


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
    from bot import rasa_server

    rasa_server._action_response_validator.cache_clear()
    calls = []
    original = rasa_server._action_response_validator.__wrapped__

    def counting():
        calls.append(1)
        return original()

    monkeypatch.setattr(rasa_server, "_action_response_validator", rasa_server.lru_cache(maxsize=1)(counting))
    for _ in range(5):
        _validate_action_result(remote_action(), {"events": []})
    assert len(calls) == 1
