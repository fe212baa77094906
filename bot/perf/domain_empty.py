"""Compare a domain with the empty one without building an empty domain for every message.

Rasa 3.6 checks every parsed message against the domain (`MessageProcessor._check_for_unseen_features`), which
first asks `Domain.is_empty()`: `self.as_dict() == Domain.empty().as_dict()`, and `Domain.empty()` builds a whole
`Domain` from `{}` (default actions, slots, session config) each time, about 0.2 ms per message. The empty domain's
dictionary depends only on Rasa's code, so it is built once and kept (a private deep copy nobody can edit); the
comparison is the same.
"""
from __future__ import annotations

import copy
from typing import Any, Callable, Dict, Optional

_rasa_is_empty: Optional[Callable[[Any], bool]] = None
_empty: Optional[Dict[str, Any]] = None


def empty_domain_dict() -> Dict[str, Any]:
    global _empty
    if _empty is None:
        from rasa.shared.core.domain import Domain

        _empty = copy.deepcopy(Domain.empty().as_dict())
    return _empty


def is_empty(self: Any) -> bool:
    """Same result as Rasa's `Domain.is_empty`."""
    return self.as_dict() == empty_domain_dict()


def install() -> None:
    global _rasa_is_empty
    from rasa.shared.core.domain import Domain

    if _rasa_is_empty is None:
        _rasa_is_empty = Domain.is_empty
    Domain.is_empty = is_empty
