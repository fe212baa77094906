"""How one process notices that a dependency (Redis, a database, the action server) is down, and says so once.

Every store with a fallback asks its `OutageLog` whether to try the dependency, and reports each call's outcome: the
first failure logs one warning, the first success after it one info line, and nothing in between, however many calls
fail. While the dependency is down it is tried again at most every `retry_after_s` seconds; the calls in between go
straight to their fallback, so a dependency that hangs instead of refusing costs one timeout per interval, not one
per message.
"""
from __future__ import annotations

import logging
import threading
import time
from typing import Callable, Optional

logger = logging.getLogger(__name__)


class OutageLog:
    def __init__(self, name: str, consequence: str, retry_after_s: float = 5.0,
                 clock: Callable[[], float] = time.monotonic, log: Optional[logging.Logger] = None) -> None:
        """`name` says what is down ("Redis at 127.0.0.1:6379"), `consequence` what this process does meanwhile."""
        self.name = name
        self.consequence = consequence
        self.retry_after_s = retry_after_s
        self._clock = clock
        self._log = log or logger
        self._lock = threading.Lock()  # stores also report from the blocking-call pool
        self._down_since: Optional[float] = None
        self._recovered_at: Optional[float] = None
        self._next_try = 0.0

    @property
    def down(self) -> bool:
        return self._down_since is not None

    def should_try(self) -> bool:
        """True when the caller should use the dependency now (always while it is up; one probe per interval while
        it is down)."""
        if self._down_since is None:
            return True
        with self._lock:
            now = self._clock()
            if now < self._next_try:
                return False
            self._next_try = now + self.retry_after_s
            return True

    def failed(self, error: BaseException) -> None:
        with self._lock:
            now = self._clock()
            self._next_try = now + self.retry_after_s
            if self._down_since is not None:
                return
            self._down_since = now
        self._log.warning("%s unreachable (%s); %s", self.name, type(error).__name__, self.consequence)

    def succeeded(self) -> None:
        if self._down_since is None:
            return
        with self._lock:
            if self._down_since is None:
                return
            now = self._clock()
            lasted = now - self._down_since
            self._down_since, self._recovered_at = None, now
        self._log.info("%s answers again after %.0f s of outage", self.name, lasted)

    def recently_down(self, within_s: float) -> bool:
        """True while down, and for `within_s` seconds after it answered again."""
        if self._down_since is not None:
            return True
        return self._recovered_at is not None and self._clock() - self._recovered_at < within_s
