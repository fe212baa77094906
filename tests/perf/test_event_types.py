"""Event classes are looked up in a table with Rasa's own answers."""
from __future__ import annotations

import pytest
from rasa.shared.core import events as rasa_events
from rasa.shared.core.events import Event
from rasa.shared.utils.common import all_subclasses

from bot.perf import event_types


def rasa_resolve(type_name, default=None):
    """Rasa 3.6's `Event.resolve_by_type`, verbatim in behaviour."""
    for cls in all_subclasses(Event):
        if cls.type_name == type_name:
            return cls
    if type_name == "topic":
        return None
    if default is not None:
        return default
    raise ValueError(f"Unknown event name '{type_name}'.")


@pytest.mark.parametrize("type_name", sorted({cls.type_name for cls in all_subclasses(Event)}))
def test_same_class_as_rasa_for_every_event_name(type_name):
    assert event_types.resolve_by_type(type_name) is rasa_resolve(type_name)


def test_unknown_names_behave_like_rasa():
    assert event_types.resolve_by_type("topic") is None
    assert event_types.resolve_by_type("no_such_event", rasa_events.SlotSet) is rasa_events.SlotSet
    with pytest.raises(ValueError, match="Unknown event name 'no_such_event'"):
        event_types.resolve_by_type("no_such_event")


def test_an_event_class_defined_later_is_found():
    event_types.resolve_by_type("slot")  # table built

    class LateEvent(rasa_events.SlotSet):
        type_name = "thutuc_late_event_for_test"

    assert event_types.resolve_by_type("thutuc_late_event_for_test") is LateEvent


def test_installed_lookup_deserialises_events():
    event_types.install()
    event = Event.from_parameters({"event": "slot", "name": "procedure_code", "value": "1.001193"})
    assert isinstance(event, rasa_events.SlotSet) and event.value == "1.001193"
