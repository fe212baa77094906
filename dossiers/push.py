"""Which citizen channels can receive a message the citizen did not ask for at that moment (a push).

- `zalo`: the OA message API (`/v3.0/oa/message/cs`), within Zalo's interaction window;
- `webchat`: the outbox (base/outbox.py) the page fetches by long poll, live or when the citizen comes back.
The loopback REST channel answers only in the HTTP response to the client's own message, so nothing can reach it
later: a subscription is not offered there.
"""
from __future__ import annotations

from typing import Optional

PUSH_CHANNELS = frozenset({"zalo", "webchat"})


def can_push(channel: Optional[str]) -> bool:
    return channel in PUSH_CHANNELS
