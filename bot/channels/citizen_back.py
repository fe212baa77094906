""""This citizen just wrote to us": what waits for them can be tried again at once.

Zalo refuses a push to a user who has not interacted with the OA recently (-230); a dossier notification refused
that way waits with backoff (dossiers/notify.py). When the citizen writes again, the window is open: the Zalo
channel calls `CITIZEN_BACK.announce(sender)` and the notification loop of this process (bot/channels/notifications.py,
a listener) makes that citizen's pending notifications due now.
"""
from __future__ import annotations

import asyncio
import logging
from typing import Awaitable, Callable, List, Set

logger = logging.getLogger(__name__)

Listener = Callable[[str], Awaitable[None]]


class CitizenBack:
    def __init__(self) -> None:
        self._listeners: List[Listener] = []
        self._tasks: Set[asyncio.Task] = set()

    def listen(self, listener: Listener) -> None:
        if listener not in self._listeners:
            self._listeners.append(listener)

    def forget(self, listener: Listener) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    def announce(self, sender_id: str) -> None:
        """Never blocks nor raises: the listeners run in the background."""
        for listener in list(self._listeners):
            task = asyncio.get_running_loop().create_task(self._run(listener, sender_id))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    @staticmethod
    async def _run(listener: Listener, sender_id: str) -> None:
        try:
            await listener(sender_id)
        except Exception as error:  # noqa: BLE001 - a retry that cannot start now happens at its backoff time
            logger.warning("citizen back: a listener failed: %s", type(error).__name__)

    async def settle(self) -> None:
        """Test helper: wait for the listeners started so far."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)


# One per process: the Zalo channel announces, the notification loop listens.
CITIZEN_BACK = CitizenBack()
