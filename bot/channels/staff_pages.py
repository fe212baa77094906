"""What every staff page (the clerk page, the operators' dashboard and review page) shares: the session cookie, the
one session check, the anti-CSRF header for changes, JSON answers and the lazily created services.

The session is the clerk page's login (`POST /clerk/login`): a random token in the HttpOnly, SameSite=Strict cookie
`thutuc_staff` (path "/"), looked up by `AccountStore.session_user` on every request, on the blocking pool, so
logging out or disabling an account ends it at once on every page. Each page passes its own Vietnamese wording.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Dict, Optional

from sanic import response
from sanic.request import Request
from sanic.response import HTTPResponse

from base.blocking import run_blocking

logger = logging.getLogger(__name__)

COOKIE_NAME = "thutuc_staff"
CSRF_HEADER_VALUE = "thutuc-clerk"  # sent as X-Requested-With by the pages' scripts; a cross-site form cannot
MSG_BAD_REQUEST = "Yêu cầu không hợp lệ."
MSG_UNAVAILABLE = "Chưa đọc được dữ liệu. Vui lòng thử lại sau ít phút."

Handler = Callable[..., Awaitable[HTTPResponse]]


def json_response(body: Dict[str, Any], status: int = 200) -> HTTPResponse:
    headers = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}
    return response.json(body, status=status, headers=headers, ensure_ascii=False)


def json_error(message: str, status: int) -> HTTPResponse:
    return json_response({"error": message}, status)


class LazyServices:
    """A page's services, each made once by its factory on first use (making one may read the database, so call
    `get` on the blocking pool)."""

    def __init__(self, factories: Callable[[], Any]) -> None:
        self._factories_made_by = factories
        self._factories: Any = None
        self._made: Dict[str, Any] = {}

    @property
    def factories(self) -> Any:
        if self._factories is None:
            self._factories = self._factories_made_by()
        return self._factories

    def get(self, name: str) -> Any:
        if name not in self._made:
            self._made[name] = getattr(self.factories, name)()
        return self._made[name]

    def event_scans(self) -> Any:
        """The page's cache of passes over the stored conversation events (analytics/scan_cache.py), made with the
        `tracker_engine` service on first use."""
        if "event_scans" not in self._made:
            from analytics.scan_cache import ScanCache

            self._made["event_scans"] = ScanCache(self.get("tracker_engine"))
        return self._made["event_scans"]

    def made(self, name: str) -> Optional[Any]:
        """The service if it was made already (for closing it at shutdown), else None."""
        return self._made.get(name)

    async def audit(self, page: str, actor: str, action: str, target: Optional[str],
                    detail: Optional[str] = None) -> None:
        """Write one entry to the audit log (service `audit`); a failure is logged loudly and does not undo what the
        staff member did."""
        try:
            log = await run_blocking(self.get, "audit")
            await run_blocking(log.record, actor, action, target, detail)
        except Exception:  # noqa: BLE001
            logger.exception("%s: writing the audit log failed (%s %s)", page, action, target)


@dataclass(frozen=True)
class StaffGuard:
    """The one session check: 401 without a live session, 403 for a clerk where only operators may enter (when
    `operators_only` holds the refusal), 503 when the accounts cannot be read."""

    services: LazyServices  # its `accounts` service is the AccountStore
    page: str  # for log lines
    login_required: str
    operators_only: Optional[str] = None

    async def user(self, request: Request) -> tuple[Any, Optional[HTTPResponse]]:
        """(account, None) when allowed, else (None, the refusal)."""
        token = request.cookies.get(COOKIE_NAME)
        if not token:
            return None, json_error(self.login_required, 401)
        try:
            accounts = await run_blocking(self.services.get, "accounts")
            user = await run_blocking(accounts.session_user, token)
        except Exception:  # noqa: BLE001
            logger.exception("%s: checking the session failed", self.page)
            return None, json_error(MSG_UNAVAILABLE, 503)
        if user is None:
            return None, json_error(self.login_required, 401)
        if self.operators_only is not None and not user.is_operator:
            return None, json_error(self.operators_only, 403)
        return user, None

    def guarded(self, handler: Handler, *, changes: bool = False) -> Handler:
        """`handler(request, user, **kwargs)` behind the check; `changes` also needs the anti-CSRF header."""
        async def route(request: Request, **kwargs: Any) -> HTTPResponse:
            if changes and request.headers.get("x-requested-with") != CSRF_HEADER_VALUE:
                return json_error(MSG_BAD_REQUEST, 400)
            user, denied = await self.user(request)
            if denied is not None:
                return denied
            return await handler(request, user, **kwargs)

        route.__name__ = handler.__name__
        return route
