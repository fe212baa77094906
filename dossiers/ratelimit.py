"""The limits of the dossier lookup, all counted by `base.ratelimit` (shared database or Redis: every replica sees
them).

| limit | counts | default | when reached |
|---|---|---|---|
| sender | unknown codes and wrong second factors of one sender id | 5 / 15 min | that sender waits |
| client | wrong second factors of one client (IP address, Zalo user) | 20 / h | that client waits |
| enumeration | unknown receipt codes of one client | 10 / h | that client waits |
| code | wrong second factors for one receipt code, any sender or channel | 5 / 24 h | the code is locked for chat |
| budget | every failure of every client | 200 / h | every lookup is slowed; one warning per window |

Sender ids are chosen by the client, so only the last four hold against an attacker who changes sender (or address)
for every guess. Each attempt is recorded before it is judged and discarded when it turns out not to be a failure
(a found code, the right digits, a refused request), so racing replicas can only over-count.
"""
from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Callable, Optional

from base.ratelimit import Attempt, Limit, SlidingWindowCounter, WindowState, event_store_from_settings

logger = logging.getLogger(__name__)

BUDGET_SUBJECT = "all"
LOCK_READ_CAP = 10_000  # events read for the clerk's view of a lock (exact failure count and start)


@dataclass(frozen=True)
class LookupLimitConfig:
    sender: Limit
    client_failures: Limit
    client_unknown: Limit
    code: Limit
    budget: Limit
    slowdown_s: float = 3.0

    @classmethod
    def from_settings(cls, settings) -> "LookupLimitConfig":
        return cls(
            sender=Limit("dossier-sender", settings.lookup_attempts_limit, settings.lookup_window_s),
            client_failures=Limit("dossier-client", settings.dossier_client_failure_limit,
                                  settings.dossier_client_window_s),
            client_unknown=Limit("dossier-unknown", settings.dossier_client_unknown_limit,
                                 settings.dossier_client_window_s),
            code=Limit("dossier-code", settings.dossier_code_failure_limit, settings.dossier_code_failure_window_s),
            budget=Limit("dossier-budget", settings.dossier_failure_budget, settings.dossier_failure_budget_window_s),
            slowdown_s=settings.dossier_slowdown_s,
        )

    @classmethod
    def defaults(cls, sender_limit: int = 5, sender_window_s: int = 900) -> "LookupLimitConfig":
        return cls(Limit("dossier-sender", sender_limit, sender_window_s), Limit("dossier-client", 20, 3600),
                   Limit("dossier-unknown", 10, 3600), Limit("dossier-code", 5, 24 * 3600),
                   Limit("dossier-budget", 200, 3600))


@dataclass(frozen=True)
class Gate:
    """The asker's standing before an attempt: the longest block (None when free) and whether lookups are slowed."""

    block: Optional[WindowState]
    delay_s: float
    sender: WindowState


@dataclass(frozen=True)
class CodeLock:
    """A receipt code's wrong second factors inside the window, as a clerk sees them (times are epoch seconds)."""

    locked: bool
    failures: int
    since: Optional[float]
    until: Optional[float]
    limit: int
    window_s: float


def longest_block(*states: WindowState) -> Optional[WindowState]:
    blocked = [state for state in states if state.blocked]
    return max(blocked, key=lambda state: state.retry_after_s) if blocked else None


class LookupLimits:
    def __init__(self, counter: SlidingWindowCounter, config: LookupLimitConfig):
        self.counter, self.config = counter, config
        self._warned_until = float("-inf")
        self._warn_lock = threading.Lock()

    # --- before an attempt ----------------------------------------------------------------------------------

    def gate(self, sender_id: str, client: str) -> Gate:
        """Read-only: is this asker blocked (sender or client), and is the failure budget spent?"""
        c = self.config
        sender, failures, unknown, budget = self.counter.state(
            (c.sender, sender_id), (c.client_failures, client), (c.client_unknown, client), (c.budget, BUDGET_SUBJECT)
        )
        return Gate(longest_block(sender, failures, unknown), self._delay(budget), sender)

    def code_locked(self, receipt_code: str) -> bool:
        (state,) = self.counter.state((self.config.code, receipt_code))
        return state.blocked

    # --- attempts: recorded first, discarded when they were not failures --------------------------------------

    def begin_lookup(self, sender_id: str, client: str) -> Attempt:
        """A code lookup, counted as a possible failure (unknown code) before the store is asked."""
        c = self.config
        return self.counter.record((c.sender, sender_id), (c.client_unknown, client), (c.budget, BUDGET_SUBJECT))

    def begin_factor(self, sender_id: str, client: str, receipt_code: str) -> Attempt:
        """A second-factor check, counted as a possible failure before the digits are compared."""
        c = self.config
        return self.counter.record((c.sender, sender_id), (c.client_failures, client), (c.code, receipt_code),
                                   (c.budget, BUDGET_SUBJECT))

    def discard(self, attempt: Attempt) -> None:
        self.counter.discard(attempt)

    def raced(self, attempt: Attempt) -> Optional[WindowState]:
        """A limit (other than the budget) already full before this attempt: refuse it (racing replicas)."""
        over = [state for state in attempt.states if state.over and state.limit != self.config.budget]
        return max(over, key=lambda state: state.retry_after_s) if over else None

    def state_of(self, attempt: Attempt, limit: Limit) -> Optional[WindowState]:
        return next((state for state in attempt.states if state.limit == limit), None)

    # --- the receipt-code lock (clerk) ------------------------------------------------------------------------

    def code_lock(self, receipt_code: str) -> CodeLock:
        (state,) = self.counter.state((self.config.code, receipt_code), cap=LOCK_READ_CAP)
        return CodeLock(state.blocked, state.count, state.since, state.until, self.config.code.maximum,
                        self.config.code.window_s)

    def unlock(self, receipt_code: str) -> int:
        """Forget every wrong second factor of the code (the lock lifts at once); returns how many there were."""
        return self.counter.reset(self.config.code, receipt_code)

    # --- the global budget ------------------------------------------------------------------------------------

    def _delay(self, budget: WindowState) -> float:
        if not budget.blocked:
            return 0.0
        with self._warn_lock:
            warn = budget.now >= self._warned_until
            if warn:
                self._warned_until = budget.now + budget.limit.window_s
        if warn:
            logger.warning("dossier lookups: %d or more failed lookups within %d minutes (budget %d); every lookup "
                           "is now slowed by %.1f s", budget.count, round(budget.limit.window_s / 60),
                           budget.limit.maximum, self.config.slowdown_s)
        return self.config.slowdown_s


def make_lookup_limits(settings=None, engine=None, clock: Callable[[], float] = time.time) -> LookupLimits:
    """Redis when `redis_url` is set, else the shared database; limits from settings."""
    if settings is None:
        from base.settings import get_settings

        settings = get_settings()
    counter = SlidingWindowCounter(event_store_from_settings(settings, engine=engine), clock=clock)
    return LookupLimits(counter, LookupLimitConfig.from_settings(settings))
