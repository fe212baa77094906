"""Wrong staff logins, counted per client address and per account name (base/ratelimit.py, shared by replicas).

Each attempt is recorded before the password is checked and judged with the count that includes it; a right
password, or an attempt refused because a limit was already reached, is discarded again. So a guesser gets at most
`THUTUC_LOGIN_CLIENT_LIMIT` tries per address and `THUTUC_LOGIN_ACCOUNT_LIMIT` per account in each window, whatever
replica they reach, and the person who knows the password is not locked out by their own success.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Optional

from base.ratelimit import Attempt, Limit, SlidingWindowCounter, event_store_from_settings


@dataclass(frozen=True)
class LoginGate:
    """The outcome of `LoginLimiter.begin`: go on (with the attempt to settle) or wait `retry_after_minutes`."""

    attempt: Optional[Attempt]
    retry_after_minutes: int = 0

    @property
    def allowed(self) -> bool:
        return self.attempt is not None


class LoginLimiter:
    def __init__(self, counter: SlidingWindowCounter, client_limit: int, account_limit: int, window_s: float) -> None:
        self._counter = counter
        self.client_limit = Limit("staff-login-client", client_limit, window_s)
        self.account_limit = Limit("staff-login-account", account_limit, window_s)

    @classmethod
    def from_settings(cls, settings=None, engine=None) -> "LoginLimiter":
        if settings is None:
            from base.settings import get_settings

            settings = get_settings()
        counter = SlidingWindowCounter(event_store_from_settings(settings, engine=engine))
        return cls(counter, settings.login_client_failure_limit, settings.login_account_failure_limit,
                   settings.login_failure_window_s)

    def begin(self, client: str, account: str) -> LoginGate:
        attempt = self._counter.record((self.client_limit, client), (self.account_limit, account or "-"))
        over = [state for state in attempt.states if state.over]
        if over:
            self._counter.discard(attempt)
            wait = max(state.retry_after_s for state in over)
            return LoginGate(None, max(1, math.ceil(wait / 60)))
        return LoginGate(attempt)

    def succeeded(self, gate: LoginGate) -> None:
        if gate.attempt is not None:
            self._counter.discard(gate.attempt)

    def reset_account(self, account: str) -> None:
        self._counter.reset(self.account_limit, account)
