"""Validate action-server responses against Rasa's schema with validators built once, event by event.

Rasa 3.6 validates every action-server response with `jsonschema.validate()`, which first re-checks the response
*schema* against its meta-schema — on every custom action call. Profiling at 20 concurrent users put 44 % of the
server's busy time there (docs/benchmarks.md, "Load"). Checking with a validator built once removed that; what
remained (about 2 ms per call) was the `oneOf` over Rasa's 23 event types, which tries every type on every event.

Every alternative of that `oneOf` pins a different `event` name, so an event can only ever match the alternative
named by its own `event` field: the fast path validates each event against the base rules plus that one
alternative, and the rest of the response against the schema without its event items. It accepts exactly the
responses the full schema accepts; anything it does not accept goes through the full validator, which raises
Rasa's own error with Rasa's message.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Dict, Optional, Text


@lru_cache(maxsize=1)
def action_response_validator() -> Any:
    """A validator of Rasa's action-response schema; the schema itself is checked once, here."""
    from jsonschema.validators import validator_for
    from rasa.core.actions.action import RemoteAction

    schema = RemoteAction.action_response_format_spec()
    validator_class = validator_for(schema)
    validator_class.check_schema(schema)  # once, instead of once per response
    return validator_class(schema)


@dataclass(frozen=True)
class _FastPath:
    envelope: Any  # the response schema with any event item allowed
    by_event: Dict[Text, Any]  # event name → validator for one event of that type


@lru_cache(maxsize=1)
def fast_path() -> Optional[_FastPath]:
    """Validators of the fast path, or None when Rasa's schema is not of the shape that makes it exact."""
    import copy

    full = action_response_validator()
    schema = full.schema
    try:
        item = schema["properties"]["events"]["items"]
        alternatives = item["oneOf"]
        names = [alternative["properties"]["event"]["const"] for alternative in alternatives]
    except (KeyError, TypeError):
        return None
    if "$ref" in repr(schema) or len(set(names)) != len(names) or not all(isinstance(n, str) for n in names):
        return None
    validator_class = type(full)
    base = {key: value for key, value in item.items() if key != "oneOf"}
    by_event = {name: validator_class({**base, "allOf": [alternative]})
                for name, alternative in zip(names, alternatives)}
    envelope = copy.deepcopy(schema)
    envelope["properties"]["events"]["items"] = {}
    return _FastPath(validator_class(envelope), by_event)


def passes_fast_path(result: Any) -> bool:
    """True only for responses the full schema accepts; False means "ask the full validator"."""
    path = fast_path()
    if path is None or not path.envelope.is_valid(result):
        return False
    for event in result.get("events", []) if isinstance(result, dict) else []:
        validator = path.by_event.get(event.get("event")) if isinstance(event, dict) else None
        if validator is None or not validator.is_valid(event):
            return False
    return True


def validate_action_result(self: Any, result: Dict[Text, Any]) -> bool:
    from jsonschema.exceptions import best_match
    from rasa.shared.constants import DOCS_BASE_URL

    if passes_fast_path(result):
        return True

    error = best_match(action_response_validator().iter_errors(result))
    if error is not None:
        error.message += (
            f". Failed to validate Action server response from API, "
            f"make sure your response from the Action endpoint is valid. "
            f"For more information about the format visit "
            f"{DOCS_BASE_URL}/custom-actions"
        )
        raise error
    return True


def install() -> None:
    from rasa.core.actions.action import RemoteAction

    RemoteAction._validate_action_result = validate_action_result
