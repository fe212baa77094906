"""The clerk's desk page at `/clerk/`: token login, procedure search as you type, the procedure card, the printable
checklist and open handoff tickets.

It is a Rasa input channel only so that it is served by the same `rasa run` process (no second server to deploy);
it never creates user messages. Login compares `THUTUC_CLERK_TOKEN` in constant time and sets a signed, HttpOnly,
SameSite=Strict session cookie (scripts may send `Authorization: Bearer <token>` instead). Without a configured
token the page stays closed. Database work runs in a thread so the bot's event loop never waits on it.
"""
from __future__ import annotations

import hashlib
import hmac
import logging
import time
import unicodedata
from collections import defaultdict, deque
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Deque, Dict, Optional, Text

from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from rasa.core.channels.channel import InputChannel, UserMessage

from base.blocking import run_blocking
from bot.channels.conversation_control import RasaConversationControl
from bot.channels.http_body import BadJson, BodyTooLarge, parse_json, read_body_limited
from bot.channels.static_files import security_headers, serve_web_file
from base.privacy import install_log_masking
from base.settings import get_settings

logger = logging.getLogger(__name__)

COOKIE_NAME = "thutuc_clerk"
SESSION_LIFETIME_S = 12 * 3600
MAX_BODY_BYTES = 4 * 1024
MAX_QUERY_CHARS = 200
LOGIN_FAILURES_ALLOWED = 10
LOGIN_FAILURE_WINDOW_S = 10 * 60
STATIC_FILES = frozenset({"clerk.css", "clerk.js"})

MSG_NOT_CONFIGURED = "Trang cán bộ chưa được bật: quản trị cần đặt biến môi trường THUTUC_CLERK_TOKEN."
MSG_LOGIN_REQUIRED = "Vui lòng đăng nhập bằng mã truy cập của cán bộ."
MSG_WRONG_TOKEN = "Mã truy cập không đúng."
MSG_TOO_MANY = "Nhập sai quá nhiều lần. Vui lòng thử lại sau 10 phút."
MSG_BAD_REQUEST = "Yêu cầu không hợp lệ."
MSG_NOT_FOUND = "Không tìm thấy thủ tục này."
MSG_TICKET_NOT_FOUND = "Không tìm thấy phiếu này."
MSG_UNAVAILABLE = "Chưa đọc được dữ liệu. Vui lòng thử lại sau ít phút."
MSG_RESUME_FAILED = "Đã đóng phiếu nhưng chưa bật lại được trợ lý cho người dân này; vui lòng báo quản trị."


@dataclass
class ClerkServices:
    """What the page reads and changes; factories so nothing touches the database before first use."""

    knowledge: Callable[[], Any]
    tickets: Callable[[], Any]
    close_and_resume: Callable[[Any, int], Any]


def default_services() -> ClerkServices:
    from handoff.store import ConversationStore, close_and_resume
    from knowledge.api import KnowledgeBase

    return ClerkServices(KnowledgeBase.from_settings, ConversationStore.from_settings, close_and_resume)


class LoginThrottle:
    """At most N wrong tokens per client address per window: the token cannot be guessed online."""

    def __init__(self, allowed: int = LOGIN_FAILURES_ALLOWED, window_s: float = LOGIN_FAILURE_WINDOW_S) -> None:
        self._allowed = allowed
        self._window_s = window_s
        self._failures: Dict[str, Deque[float]] = defaultdict(deque)

    def blocked(self, client: str) -> bool:
        failures = self._failures[client]
        cutoff = time.monotonic() - self._window_s
        while failures and failures[0] < cutoff:
            failures.popleft()
        return len(failures) >= self._allowed

    def failed(self, client: str) -> None:
        self._failures[client].append(time.monotonic())


def session_cookie_value(token: str, issued_at: int) -> str:
    signature = hmac.new(token.encode("utf-8"), f"clerk-session:{issued_at}".encode(), hashlib.sha256).hexdigest()
    return f"{issued_at}.{signature}"


def session_is_valid(token: str, cookie: Optional[str], now: Optional[float] = None) -> bool:
    if not cookie or "." not in cookie:
        return False
    issued, _, _ = cookie.partition(".")
    if not issued.isdigit():
        return False
    age = (now if now is not None else time.time()) - int(issued)
    if not 0 <= age <= SESSION_LIFETIME_S:
        return False
    return hmac.compare_digest(session_cookie_value(token, int(issued)).encode(), cookie.encode("utf-8", "replace"))


def token_matches(expected: str, given: Optional[str]) -> bool:
    return isinstance(given, str) and hmac.compare_digest(expected.encode("utf-8"), given.encode("utf-8", "replace"))


class ClerkInput(InputChannel):
    def __init__(self, token: Optional[str] = None, services: Optional[ClerkServices] = None) -> None:
        self._token = token
        self._services = services
        self._knowledge: Any = None
        self._tickets: Any = None
        self._throttle = LoginThrottle()

    @classmethod
    def name(cls) -> Text:
        return "clerk"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> "ClerkInput":
        install_log_masking()
        return cls(token=get_settings().clerk_token)

    def url_prefix(self) -> Text:
        return "/clerk"

    # ------------------------------------------------------------------------------------------------ services
    def _service(self, attribute: str) -> Any:
        if self._services is None:
            self._services = default_services()
        cached = getattr(self, "_" + attribute)
        if cached is None:
            cached = getattr(self._services, attribute)()
            setattr(self, "_" + attribute, cached)
        return cached

    async def _in_thread(self, function: Callable[..., Any], *args: Any) -> Any:
        return await run_blocking(function, *args)

    async def _open_service(self, attribute: str) -> Any:
        """The service, created on the pool the first time (creating it reads the database)."""
        return await run_blocking(self._service, attribute)

    # ------------------------------------------------------------------------------------------------ auth
    def _authorised(self, request: Request) -> bool:
        if not self._token:
            return False
        header = request.headers.get("authorization", "")
        if header.lower().startswith("bearer "):
            return token_matches(self._token, header[7:].strip())
        return session_is_valid(self._token, request.cookies.get(COOKIE_NAME))

    def _guard(self, request: Request) -> Optional[HTTPResponse]:
        if not self._token:
            return _json_error(MSG_NOT_CONFIGURED, 503)
        if not self._authorised(request):
            return _json_error(MSG_LOGIN_REQUIRED, 401)
        return None

    # ------------------------------------------------------------------------------------------------ routes
    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        clerk = Blueprint("clerk_page", __name__)

        @clerk.route("/", methods=["GET"], strict_slashes=True)
        async def page(request: Request) -> HTTPResponse:
            return serve_web_file("clerk.html", max_age_s=0)

        @clerk.route("", methods=["GET"], strict_slashes=True)
        async def page_without_slash(request: Request) -> HTTPResponse:
            return response.redirect(request.path + "/")

        @clerk.route("/static/<name:str>", methods=["GET"])
        async def static(request: Request, name: str) -> HTTPResponse:
            if name not in STATIC_FILES:
                return _json_error("Không có tệp này.", 404)
            return serve_web_file(name)

        @clerk.route("/login", methods=["POST"], stream=True)
        async def login(request: Request) -> HTTPResponse:
            return await self._login(request)

        @clerk.route("/logout", methods=["POST"])
        async def logout(request: Request) -> HTTPResponse:
            reply = response.json({"ok": True})
            reply.cookies[COOKIE_NAME] = ""
            reply.cookies[COOKIE_NAME]["max-age"] = 0
            reply.cookies[COOKIE_NAME]["path"] = "/clerk"
            return reply

        @clerk.route("/api/session", methods=["GET"])
        async def session(request: Request) -> HTTPResponse:
            return self._guard(request) or _json({"ok": True})

        @clerk.route("/api/search", methods=["GET"])
        async def search(request: Request) -> HTTPResponse:
            return self._guard(request) or await self._search(request)

        @clerk.route("/api/procedures/<code:str>", methods=["GET"])
        async def card(request: Request, code: str) -> HTTPResponse:
            return self._guard(request) or await self._card(code)

        @clerk.route("/procedures/<code:str>/checklist", methods=["GET"])
        async def checklist(request: Request, code: str) -> HTTPResponse:
            denied = self._guard(request)
            if denied is not None:
                return response.redirect("/clerk/") if denied.status == 401 else denied
            return await self._checklist(code)

        @clerk.route("/api/tickets", methods=["GET"])
        async def tickets(request: Request) -> HTTPResponse:
            return self._guard(request) or await self._open_tickets()

        @clerk.route("/api/tickets/<ticket_id:int>/close", methods=["POST"])
        async def close(request: Request, ticket_id: int) -> HTTPResponse:
            denied = self._guard(request)
            if denied is not None:
                return denied
            if request.headers.get("x-requested-with") != "thutuc-clerk":  # cookie + custom header: no CSRF
                return _json_error(MSG_BAD_REQUEST, 400)
            return await self._close_ticket(request, ticket_id)

        return clerk

    async def _login(self, request: Request) -> HTTPResponse:
        if not self._token:
            return _json_error(MSG_NOT_CONFIGURED, 503)
        client = request.remote_addr or request.ip or "unknown"
        if self._throttle.blocked(client):
            return _json_error(MSG_TOO_MANY, 429)
        try:
            payload = parse_json(await read_body_limited(request, MAX_BODY_BYTES))
        except (BodyTooLarge, BadJson):
            return _json_error(MSG_BAD_REQUEST, 400)
        given = payload.get("token") if isinstance(payload, dict) else None
        if not token_matches(self._token, given if isinstance(given, str) else None):
            self._throttle.failed(client)
            logger.warning("Clerk page: wrong access token")
            return _json_error(MSG_WRONG_TOKEN, 401)
        reply = _json({"ok": True})
        reply.cookies[COOKIE_NAME] = session_cookie_value(self._token, int(time.time()))
        cookie = reply.cookies[COOKIE_NAME]
        cookie["httponly"] = True
        cookie["samesite"] = "Strict"
        cookie["path"] = "/clerk"
        cookie["max-age"] = SESSION_LIFETIME_S
        if request.scheme == "https" or request.headers.get("x-forwarded-proto") == "https":
            cookie["secure"] = True
        return reply

    async def _search(self, request: Request) -> HTTPResponse:
        query = unicodedata.normalize("NFC", request.args.get("q", "") or "").strip()[:MAX_QUERY_CHARS]
        try:
            knowledge = await self._open_service("knowledge")
            hits = await self._in_thread(knowledge.search, query, 8) if query else await self._in_thread(knowledge.popular, 8)
        except Exception:  # noqa: BLE001 - a down database is a message on the page, not a stack trace
            logger.exception("Clerk page: search failed")
            return _json_error(MSG_UNAVAILABLE, 503)
        results = [{"code": h.code, "name": h.name, "score": round(float(h.score), 3), "status": h.status} for h in hits]
        return _json({"query": query, "popular": not query, "results": results})

    async def _card_view(self, code: str) -> Any:
        knowledge = await self._open_service("knowledge")
        return await self._in_thread(lambda: knowledge.card_view(code))

    async def _card(self, code: str) -> HTTPResponse:
        try:
            view = await self._card_view(code)
        except Exception:  # noqa: BLE001
            logger.exception("Clerk page: reading a procedure failed")
            return _json_error(MSG_UNAVAILABLE, 503)
        if view is None:
            return _json_error(MSG_NOT_FOUND, 404)
        return _json(card_payload(view))

    async def _checklist(self, code: str) -> HTTPResponse:
        from knowledge.card import render_html  # the knowledge package owns the checklist's wording and layout

        try:
            view = await self._card_view(code)
        except Exception:  # noqa: BLE001
            logger.exception("Clerk page: rendering a checklist failed")
            return _json_error(MSG_UNAVAILABLE, 503)
        if view is None:
            return _json_error(MSG_NOT_FOUND, 404)
        headers = security_headers("'none'")
        # The checklist template carries its own <style>; scripts stay forbidden.
        headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'"
        headers["Cache-Control"] = "no-store"
        return response.html(render_html(view), headers=headers)

    async def _open_tickets(self) -> HTTPResponse:
        try:
            store = await self._open_service("tickets")
            tickets = await self._in_thread(store.list_tickets, "open")
        except Exception:  # noqa: BLE001
            logger.exception("Clerk page: listing tickets failed")
            return _json_error(MSG_UNAVAILABLE, 503)
        return _json({"tickets": [ticket_payload(t) for t in tickets]})

    async def _close_ticket(self, request: Request, ticket_id: int) -> HTTPResponse:
        from handoff.store import ResumeError

        try:
            store = await self._open_service("tickets")
            ticket = await self._in_thread(self._services.close_and_resume, store, ticket_id)
        except ResumeError:
            # The ticket is closed; resume in-process (this server holds the conversations) before giving up.
            ticket = await self._in_thread(_find_ticket, store, ticket_id)
            if ticket is None:
                return _json_error(MSG_TICKET_NOT_FOUND, 404)
            try:
                await RasaConversationControl(request.app).resume(ticket.sender_id)
            except Exception:  # noqa: BLE001
                logger.exception("Clerk page: resuming the conversation failed")
                return _json_error(MSG_RESUME_FAILED, 502)
        except Exception:  # noqa: BLE001
            logger.exception("Clerk page: closing a ticket failed")
            return _json_error(MSG_UNAVAILABLE, 503)
        if ticket is None:
            return _json_error(MSG_TICKET_NOT_FOUND, 404)
        return _json({"ok": True, "ticket": ticket_payload(ticket)})


def _find_ticket(store: Any, ticket_id: int) -> Any:
    for ticket in store.list_tickets(None):
        if ticket.id == ticket_id:
            return ticket
    return None


def ticket_payload(ticket: Any) -> Dict[str, Any]:
    created = getattr(ticket, "created_at", None)
    return {
        "id": ticket.id,
        "channel": ticket.channel,
        "conversation": ticket.sender_id,
        "question": ticket.question,
        "contact": ticket.contact,
        "procedure_code": getattr(ticket, "procedure_code", None),
        "created_at": created.isoformat() if created is not None else None,
        "status": ticket.status,
    }


def card_payload(view: Any) -> Dict[str, Any]:
    """The card as the page shows it, worded by knowledge.card so page, terminal and print say the same."""
    card = view.card
    return {
        "code": card.code,
        "name": card.name,
        "official_name": card.official_name,
        "field": card.field,
        "level": card.level,
        "status": card.status,
        "applicants": card.applicants,
        "conditions": card.conditions,
        "steps": list(card.steps),
        "results": list(card.results),
        "documents": [{"title": title, "items": items} for title, items in view.document_groups()],
        "channels": view.channel_lines(),
        "sites": view.site_lines(),
        "ward": None if view.ward is None else {"name": view.ward.name, "sample": view.ward.sample},
        "legal_basis": [{"code": ref.code, "title": ref.title} for ref in card.legal_basis],
        "source": view.source_line(),
        "source_url": card.source.url,
        "review_flags": [flag.note for flag in card.open_flags()],  # open doubts only: resolved ones are settled
    }


def _json(body: Dict[str, Any], status: int = 200) -> HTTPResponse:
    headers = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}
    return response.json(body, status=status, headers=headers, ensure_ascii=False)


def _json_error(message: str, status: int) -> HTTPResponse:
    return _json({"error": message}, status)
