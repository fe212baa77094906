"""Look up Rasa event classes by type name in a table instead of walking the class tree for every event.

`Event.resolve_by_type` calls `all_subclasses(Event)` — a recursive walk with an `inspect.isabstract` check per
class — for each event it deserialises. Loading and storing a conversation deserialises every event of it, so this
walk was the largest single cost of the tracker store (about 9 % of the server's time for one user). The table keeps
Rasa's answer for each name (the first matching class in `all_subclasses` order) and is rebuilt once when a name is
missing, so event classes imported later are still found.
"""
from __future__ import annotations

from typing import Dict, Optional, Text, Type

_table: Optional[Dict[Text, type]] = None


def _build_table() -> Dict[Text, type]:
    from rasa.shared.core.events import Event
    from rasa.shared.utils.common import all_subclasses

    table: Dict[Text, type] = {}
    for cls in all_subclasses(Event):
        table.setdefault(cls.type_name, cls)
    return table


def event_class(type_name: Text) -> Optional[type]:
    """Rasa's event class for `type_name`, or None when no event class has that name."""
    global _table
    if _table is None or type_name not in _table:
        _table = _build_table()
    return _table.get(type_name)


def resolve_by_type(type_name: Text, default: Optional[Type] = None) -> Optional[Type]:
    """Same contract as `rasa.shared.core.events.Event.resolve_by_type`."""
    cls = event_class(type_name)
    if cls is not None:
        return cls
    if type_name == "topic":
        return None  # Rasa: backwards compatibility with old TopicSet events
    if default is not None:
        return default
    raise ValueError(f"Unknown event name '{type_name}'.")


def install() -> None:
    from rasa.shared.core.events import Event

    Event.resolve_by_type = staticmethod(resolve_by_type)
