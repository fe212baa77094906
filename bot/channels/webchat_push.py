"""Waking the web chat's long polls when a clerk answers, within this process.

The messages themselves wait in the outbox (base/outbox.py), shared by every replica; a poll that another replica
should wake checks the outbox again every `RECHECK_S` seconds, so a reply reaches the page within that delay even
when the clerk's request landed elsewhere, and at once when it landed here.
"""
from __future__ import annotations

import asyncio
from collections import defaultdict
from typing import DefaultDict, Set

RECHECK_S = 2.0


class PushNotifier:
    def __init__(self) -> None:
        self._waiting: DefaultDict[str, Set[asyncio.Event]] = defaultdict(set)

    async def wait(self, recipient: str, timeout_s: float) -> bool:
        """True when `notify(recipient)` was called within `timeout_s`."""
        event = asyncio.Event()
        self._waiting[recipient].add(event)
        try:
            await asyncio.wait_for(event.wait(), timeout=max(0.0, timeout_s))
            return True
        except asyncio.TimeoutError:
            return False
        finally:
            waiting = self._waiting.get(recipient)
            if waiting is not None:
                waiting.discard(event)
                if not waiting:
                    self._waiting.pop(recipient, None)

    def notify(self, recipient: str) -> None:
        for event in list(self._waiting.get(recipient, ())):
            event.set()

    def waiting(self, recipient: str) -> int:
        return len(self._waiting.get(recipient, ()))


# One per process: the clerk channel notifies, the web chat channel waits.
NOTIFIER = PushNotifier()
