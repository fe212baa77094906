"""The operators' dashboard at `/admin/`: traffic per day and channel, procedures and facets asked, fallback and
clarifying rates, handoff figures, 👍/👎 per procedure, knowledge entries to review and the questions the bot could
not answer, for a date range, with charts (server-rendered SVG) and a CSV export of every table.

A Rasa input channel only so that `rasa run` serves it (like the clerk page, bot/channels/clerk.py); it never
creates user messages. Login is the clerk page's: the same staff session cookie, checked by the same
`AccountStore.session_user` on every request (the page's own login form posts to `/clerk/login`). Only operators
see figures: a clerk gets 403, nobody logged in gets 401 (the page then shows the login form). Every CSV export is
written to the audit log (`thutuc audit`: action `export`, target `admin:<table>:<from>..<to>`, the number of rows). Everything is read on
the blocking pool; the figures are computed by analytics/ (definitions in docs/operations.md).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Awaitable, Callable, Dict, Optional, Text

from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from rasa.core.channels.channel import InputChannel, UserMessage

from base.blocking import run_blocking
from base.privacy import install_log_masking
from bot.channels import admin_view
from bot.channels.staff_pages import MSG_UNAVAILABLE, LazyServices, StaffGuard, json_error, json_response
from bot.channels.static_files import serve_web_file

logger = logging.getLogger(__name__)

STATIC_FILES = frozenset({"staff.css", "staff.js", "admin.css", "admin.js"})
MSG_LOGIN_REQUIRED = "Vui lòng đăng nhập bằng tài khoản quản trị."
MSG_OPERATORS_ONLY = "Trang này chỉ dành cho tài khoản quản trị (operator)."
MSG_BAD_PERIOD = "Khoảng thời gian không hợp lệ: {reason}."
MSG_NO_TABLE = "Không có bảng này."
PERIOD_REASONS = {
    "the range ends before it starts": "ngày kết thúc trước ngày bắt đầu",
    "dates must be written YYYY-MM-DD": "ngày phải viết dạng NNNN-TT-NN",
}


@dataclass
class AdminServices:
    """Factories, so nothing touches a database before the first request."""

    accounts: Callable[[], Any] = field(default=None)  # type: ignore[assignment]
    tracker_engine: Callable[[], Any] = field(default=None)  # type: ignore[assignment]
    engine: Callable[[], Any] = field(default=None)  # type: ignore[assignment]
    audit: Callable[[], Any] = field(default=None)  # type: ignore[assignment]
    timezone: str = ""
    review_max_age_days: int = 0

    def __post_init__(self) -> None:
        from base.db import get_engine
        from base.settings import get_settings
        from base.audit import AuditLog
        from handoff.accounts import AccountStore

        settings = get_settings()
        self.accounts = self.accounts or AccountStore.from_settings
        self.tracker_engine = self.tracker_engine or (lambda: get_engine(settings.tracker_database_url))
        self.engine = self.engine or get_engine
        self.audit = self.audit or AuditLog.from_settings
        self.timezone = self.timezone or settings.timezone
        self.review_max_age_days = self.review_max_age_days or settings.review_max_age_days


class AdminInput(InputChannel):
    def __init__(self, services: Optional[AdminServices] = None,
                 clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc)) -> None:
        self._services = LazyServices(lambda: services or AdminServices())
        self._guard = StaffGuard(self._services, "Dashboard", MSG_LOGIN_REQUIRED, operators_only=MSG_OPERATORS_ONLY)
        self._clock = clock

    @classmethod
    def name(cls) -> Text:
        return "admin"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> "AdminInput":
        install_log_masking()
        return cls()

    def url_prefix(self) -> Text:
        return "/admin"

    async def _audit(self, actor: str, action: str, target: str, detail: str) -> None:
        """Who exported which table for which days (the export leaves the server: base/audit.py keeps a trace)."""
        await self._services.audit("Dashboard", actor, action, target, detail)

    def _report(self, first: Optional[str], last: Optional[str]) -> Any:
        """Blocking: every figure of the range."""
        from analytics.period import parse_period
        from analytics.report import build_report

        services = self._services.factories
        today = self._clock().astimezone(_zone(services.timezone)).date()
        period = parse_period(first, last, services.timezone, today)
        return build_report(self._services.get("tracker_engine"), self._services.get("engine"), period,
                            review_max_age_days=services.review_max_age_days, today=today,
                            facet_labels=admin_view.FACET_LABELS, channel_order=admin_view.CHANNEL_ORDER,
                            scans=self._services.event_scans())

    async def _read_report(self, request: Request) -> Any:
        """(report, None) or (None, the error response)."""
        from analytics.period import PeriodError

        try:
            report = await run_blocking(self._report, request.args.get("from") or None, request.args.get("to") or None)
        except PeriodError as error:
            reason = PERIOD_REASONS.get(str(error), "tối đa 366 ngày")
            return None, json_error(MSG_BAD_PERIOD.format(reason=reason), 400)
        except Exception:  # noqa: BLE001
            logger.exception("Dashboard: computing the figures failed")
            return None, json_error(MSG_UNAVAILABLE, 503)
        return report, None

    # ------------------------------------------------------------------------------------------------ routes
    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        admin = Blueprint("admin_page", __name__)

        @admin.route("/", methods=["GET"], strict_slashes=True)
        async def page(request: Request) -> HTTPResponse:
            return serve_web_file("admin.html", max_age_s=0)

        @admin.route("", methods=["GET"], strict_slashes=True)
        async def page_without_slash(request: Request) -> HTTPResponse:
            return response.redirect(request.path + "/")

        @admin.route("/static/<name:str>", methods=["GET"])
        async def static(request: Request, name: str) -> HTTPResponse:
            if name not in STATIC_FILES:
                return json_error("Không có tệp này.", 404)
            return serve_web_file(name)

        async def report(request: Request, user: Any) -> HTTPResponse:
            found, failed = await self._read_report(request)
            if failed is not None:
                return failed
            return json_response(report_payload(found, user.name))

        async def export(request: Request, user: Any, filename: str) -> HTTPResponse:
            """`/admin/api/<table>.csv?from=&to=`"""
            table = filename[:-len(".csv")] if filename.endswith(".csv") else ""
            if table not in admin_view.TABLE_NAMES:
                return json_error(MSG_NO_TABLE, 404)
            found, failed = await self._read_report(request)
            if failed is not None:
                return failed
            period = found.period
            shown = admin_view.tables(found)[table]
            await self._audit(user.name, "export",
                              f"admin:{table}:{period.first.isoformat()}..{period.last.isoformat()}",
                              f"{len(shown.rows)} dòng")
            filename = f"thutuc-{table}-{period.first.isoformat()}-{period.last.isoformat()}.csv"
            return response.raw(
                admin_view.csv_bytes(shown), content_type="text/csv; charset=utf-8",
                headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store",
                         "X-Content-Type-Options": "nosniff"})

        admin.add_route(self._guard.guarded(report), "/api/report", methods=["GET"])
        admin.add_route(self._guard.guarded(export), "/api/<filename:str>", methods=["GET"])
        return admin


def _zone(name: str) -> Any:
    from zoneinfo import ZoneInfo

    return ZoneInfo(name)


def report_payload(report: Any, staff: str) -> Dict[str, Any]:
    period = report.period
    return {
        "staff": staff,
        "period": {"from": period.first.isoformat(), "to": period.last.isoformat(), "timezone": period.tz},
        "review_max_age_days": report.review_max_age_days,
        "summary": admin_view.summary(report),
        "tables": [table.payload() for table in admin_view.tables(report).values()],
        "charts": admin_view.charts(report),
    }
