"""The operators' review of unanswered questions at `/admin/misses/`: the page and its JSON API.

A Rasa input channel only so that the same `rasa run` process serves it; it never creates user messages. Staff log
in through the clerk page's login (`POST /clerk/login`, same cookie, path "/"): the session token is checked by the
one check every staff page uses, `AccountStore.session_user`; the page is for operators only (a clerk gets 403).
Changes need the clerk page's anti-CSRF header. Each decision is stored by review/store.py, which writes the audit
log. The procedure picker uses the clerk page's search API (`/clerk/api/search`). Database work runs on the
blocking pool.
"""
from __future__ import annotations

import logging
from typing import Any, Awaitable, Callable, Dict, Optional, Text

from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from rasa.core.channels.channel import InputChannel, UserMessage

from base.blocking import run_blocking
from base.privacy import install_log_masking
from bot.channels.staff_pages import (MSG_BAD_REQUEST, MSG_UNAVAILABLE, LazyServices, StaffGuard, json_error,
                                      json_response)
from bot.channels.http_body import BadJson, BodyTooLarge, parse_json, read_body_limited
from actions.templates import FACET_LABELS
from bot.channels.admin_view import REASON_LABELS
from bot.channels.static_files import serve_web_file

logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 4 * 1024
STATIC_FILES = frozenset({"staff.css", "staff.js", "misses.css", "misses.js"})
MSG_LOGIN_REQUIRED = "Vui lòng đăng nhập bằng tài khoản cán bộ."
MSG_OPERATORS_ONLY = "Trang này chỉ dành cho quản trị viên (vai trò operator)."
MSG_GROUP_NOT_FOUND = "Không tìm thấy nhóm câu hỏi này; vui lòng tải lại trang."


class ReviewServices:
    """Factories, so nothing touches a database before the first request."""

    def __init__(self, accounts: Optional[Callable[[], Any]] = None, store: Optional[Callable[[], Any]] = None,
                 tracker_engine: Optional[Callable[[], Any]] = None,
                 knowledge: Optional[Callable[[], Any]] = None) -> None:
        self.accounts = accounts or _accounts
        self.store = store or _store
        self.tracker_engine = tracker_engine or _tracker_engine
        self.knowledge = knowledge or _knowledge


def _accounts() -> Any:
    from handoff.accounts import AccountStore

    return AccountStore.from_settings()


def _store() -> Any:
    from review.store import ReviewStore

    return ReviewStore.from_settings()


def _tracker_engine() -> Any:
    from base.db import get_engine
    from base.settings import get_settings

    return get_engine(get_settings().tracker_database_url)


def _knowledge() -> Any:
    from knowledge.api import KnowledgeBase

    return KnowledgeBase.from_settings()


class AdminReviewInput(InputChannel):
    def __init__(self, services: Optional[ReviewServices] = None) -> None:
        self._services = LazyServices(lambda: services or ReviewServices())
        self._guard = StaffGuard(self._services, "Review page", MSG_LOGIN_REQUIRED, operators_only=MSG_OPERATORS_ONLY)

    @classmethod
    def name(cls) -> Text:
        return "admin_review"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> "AdminReviewInput":
        install_log_masking()
        return cls()

    def url_prefix(self) -> Text:
        return "/admin/misses"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        page = Blueprint("admin_review_page", __name__)

        operators_only = self._guard.guarded

        @page.route("/", methods=["GET"], strict_slashes=True)
        async def index(request: Request) -> HTTPResponse:
            return serve_web_file("misses.html", max_age_s=0)

        @page.route("", methods=["GET"], strict_slashes=True)
        async def index_without_slash(request: Request) -> HTTPResponse:
            return response.redirect(request.path + "/")

        @page.route("/static/<name:str>", methods=["GET"])
        async def static(request: Request, name: str) -> HTTPResponse:
            if name not in STATIC_FILES:
                return json_error("Không có tệp này.", 404)
            return serve_web_file(name)

        async def groups(request: Request, user: Any) -> HTTPResponse:
            return await self._groups()

        async def review(request: Request, user: Any, group: str) -> HTTPResponse:
            return await self._review(request, user, group)

        async def undo(request: Request, user: Any, group: str) -> HTTPResponse:
            return await self._undo(user, group)

        page.add_route(operators_only(groups), "/api/groups", methods=["GET"])
        page.add_route(operators_only(review, changes=True), "/api/groups/<group:str>/review", methods=["POST"],
                       stream=True)
        page.add_route(operators_only(undo, changes=True), "/api/groups/<group:str>/undo", methods=["POST"])
        return page

    # ------------------------------------------------------------------------------------------------ handlers
    def _views(self) -> list[Any]:
        from review.service import group_views

        return group_views(self._services.get("tracker_engine"), self._services.get("store"),
                           self._services.event_scans())

    def _names(self, codes: set[str]) -> dict[str, str]:
        knowledge = self._services.get("knowledge")
        names = {}
        for code in codes:
            card = knowledge.card(code)
            if card is not None:
                names[code] = card.name
        return names

    async def _groups(self) -> HTTPResponse:
        try:
            views = await run_blocking(self._views)
            names = await run_blocking(self._names, {v.review.procedure_code for v in views
                                                      if v.review is not None and v.review.procedure_code})
        except Exception:  # noqa: BLE001
            logger.exception("Review page: reading the unanswered questions failed")
            return json_error(MSG_UNAVAILABLE, 503)
        return json_response({
            "groups": [v.as_json(names) for v in views],
            "facets": [{"name": name, "label": label} for name, label in FACET_LABELS.items()],
            "reasons": REASON_LABELS,
        })

    async def _review(self, request: Request, user: Any, group: str) -> HTTPResponse:
        from review.store import ReviewError

        try:
            payload = parse_json(await read_body_limited(request, MAX_BODY_BYTES))
        except (BodyTooLarge, BadJson):
            return json_error(MSG_BAD_REQUEST, 400)
        if not isinstance(payload, dict):
            return json_error(MSG_BAD_REQUEST, 400)
        out_of_scope = payload.get("out_of_scope") is True
        code, facet = payload.get("code"), payload.get("facet")
        if not out_of_scope and (not isinstance(code, str) or not isinstance(facet, str)):
            return json_error(MSG_BAD_REQUEST, 400)
        try:
            views = await run_blocking(self._views)
            view = next((v for v in views if v.id == group), None)
            if view is None:
                return json_error(MSG_GROUP_NOT_FOUND, 404)
            store = self._services.get("store")
            texts = view.review.texts if view.review is not None and not view.texts else view.texts
            decided = await run_blocking(lambda: store.decide(texts, user.name, code=code, facet=facet,
                                                              out_of_scope=out_of_scope))
        except ReviewError as error:
            return json_error(str(error), 422)
        except Exception:  # noqa: BLE001
            logger.exception("Review page: storing a decision failed")
            return json_error(MSG_UNAVAILABLE, 503)
        return json_response({"ok": True, "id": decided.group_id, "out_of_scope": decided.out_of_scope,
                      "code": decided.procedure_code, "facet": decided.facet})

    async def _undo(self, user: Any, group: str) -> HTTPResponse:
        try:
            store = self._services.get("store")
            removed = await run_blocking(store.undo, group, user.name)
        except Exception:  # noqa: BLE001
            logger.exception("Review page: undoing a decision failed")
            return json_error(MSG_UNAVAILABLE, 503)
        if not removed:
            return json_error(MSG_GROUP_NOT_FOUND, 404)
        return json_response({"ok": True})
