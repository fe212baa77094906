"""The clerk's desk page at `/clerk/`: personal logins, procedure search as you type, the procedure card, the
printable checklist, handoff tickets with the conversation so far and a reply box.

It is a Rasa input channel only so that it is served by the same `rasa run` process (no second server to deploy);
it never creates user messages. Staff log in with their own account (handoff/accounts.py, `thutuc users add`);
the session is a random token in an HttpOnly, SameSite=Strict cookie, looked up on every request, so logging out
or disabling an account ends it at once. Wrong logins are limited per client address and per account
(handoff/login_limits.py). Every reply and close is written to the audit log (base/audit.py) under the clerk's name.
Database work runs on the blocking pool so the bot's event loop never waits on it.
"""
from __future__ import annotations

import logging
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Awaitable, Callable, Dict, Optional, Text

from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from rasa.core.channels.channel import InputChannel, UserMessage

from base.blocking import run_blocking
from base.clients import ClientKeys
from bot.channels.citizen_replies import CitizenReplies, DELIVERY_FAILED
from bot.channels.conversation_control import RasaConversationControl, RasaConversationRecord
from bot.channels.http_body import BadJson, BodyTooLarge, parse_json, read_body_limited
from bot.channels.staff_pages import (COOKIE_NAME, CSRF_HEADER_VALUE, MSG_BAD_REQUEST, MSG_UNAVAILABLE, LazyServices,
                                      StaffGuard, json_error, json_response)
from bot.channels.static_files import security_headers, serve_web_file
from bot.channels.user_text import bounded_text
from base.privacy import install_log_masking
from base.settings import get_settings

logger = logging.getLogger(__name__)

COOKIE_PATH = "/"  # one login for the clerk page and the operators' pages
MAX_BODY_BYTES = 16 * 1024
MAX_QUERY_CHARS = 200
MAX_NAME_CHARS = 40
STATIC_FILES = frozenset({"staff.css", "staff.js", "clerk.css", "clerk.js"})

MSG_LOGIN_REQUIRED = "Vui lòng đăng nhập bằng tài khoản cán bộ."
MSG_WRONG_LOGIN = "Tên đăng nhập hoặc mật khẩu không đúng."
MSG_TOO_MANY = "Đăng nhập sai quá nhiều lần. Vui lòng thử lại sau {minutes} phút."
MSG_NOT_FOUND = "Không tìm thấy thủ tục này."
MSG_TICKET_NOT_FOUND = "Không tìm thấy phiếu này."
MSG_TICKET_CLOSED = "Phiếu này đã đóng."
MSG_EMPTY_REPLY = "Vui lòng nhập nội dung trả lời."
MSG_RESUME_FAILED = "Đã đóng phiếu nhưng chưa bật lại được trợ lý cho người dân này; vui lòng báo quản trị."
MSG_NOT_STORED = "Đã gửi cho người dân nhưng chưa lưu được vào cuộc trò chuyện; vui lòng báo quản trị."


@dataclass
class ClerkServices:
    """What the page reads and changes; factories so nothing touches the database before first use."""

    knowledge: Callable[[], Any]
    tickets: Callable[[], Any]
    close_and_resume: Callable[[Any, int], Any]
    accounts: Callable[[], Any] = field(default=None)  # type: ignore[assignment]
    audit: Callable[[], Any] = field(default=None)  # type: ignore[assignment]
    login_limiter: Callable[[], Any] = field(default=None)  # type: ignore[assignment]
    replies: Callable[[], Any] = field(default=None)  # type: ignore[assignment]

    def __post_init__(self) -> None:
        from base.audit import AuditLog
        from handoff.accounts import AccountStore
        from handoff.login_limits import LoginLimiter

        self.accounts = self.accounts or AccountStore.from_settings
        self.audit = self.audit or AuditLog.from_settings
        self.login_limiter = self.login_limiter or LoginLimiter.from_settings
        self.replies = self.replies or CitizenReplies.from_settings


def default_services() -> ClerkServices:
    from handoff.store import ConversationStore, close_and_resume
    from knowledge.api import KnowledgeBase

    return ClerkServices(KnowledgeBase.from_settings, ConversationStore.from_settings, close_and_resume)


ConversationFactory = Callable[[Any], Any]


class ClerkInput(InputChannel):
    def __init__(self, services: Optional[ClerkServices] = None, client_keys: Optional[ClientKeys] = None,
                 conversations: ConversationFactory = RasaConversationRecord,
                 clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc)) -> None:
        self._services = LazyServices(lambda: services or default_services())
        self._guard = StaffGuard(self._services, "Clerk page", MSG_LOGIN_REQUIRED)
        self._clock = clock
        self._conversations = conversations
        self.client_keys = client_keys or ClientKeys.from_settings()

    @classmethod
    def name(cls) -> Text:
        return "clerk"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> "ClerkInput":
        install_log_masking()
        return cls()

    def url_prefix(self) -> Text:
        return "/clerk"

    # ------------------------------------------------------------------------------------------------ services
    async def _in_thread(self, function: Callable[..., Any], *args: Any) -> Any:
        return await run_blocking(function, *args)

    async def _open_service(self, attribute: str) -> Any:
        """The service, created on the pool the first time (creating it reads the database)."""
        return await run_blocking(self._services.get, attribute)

    async def _audit(self, actor: str, action: str, target: Optional[str], detail: Optional[str] = None) -> None:
        await self._services.audit("Clerk page", actor, action, target, detail)

    # ------------------------------------------------------------------------------------------------ routes
    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        clerk = Blueprint("clerk_page", __name__)

        guarded = self._guard.guarded

        @clerk.route("/", methods=["GET"], strict_slashes=True)
        async def page(request: Request) -> HTTPResponse:
            return serve_web_file("clerk.html", max_age_s=0)

        @clerk.route("", methods=["GET"], strict_slashes=True)
        async def page_without_slash(request: Request) -> HTTPResponse:
            return response.redirect(request.path + "/")

        @clerk.route("/static/<name:str>", methods=["GET"])
        async def static(request: Request, name: str) -> HTTPResponse:
            if name not in STATIC_FILES:
                return json_error("Không có tệp này.", 404)
            return serve_web_file(name)

        @clerk.route("/login", methods=["POST"], stream=True)
        async def login(request: Request) -> HTTPResponse:
            return await self._login(request)

        @clerk.route("/logout", methods=["POST"])
        async def logout(request: Request) -> HTTPResponse:
            return await self._logout(request)

        async def session(request: Request, user: Any) -> HTTPResponse:
            return json_response({"ok": True, "name": user.name, "role": user.role})

        async def search(request: Request, user: Any) -> HTTPResponse:
            return await self._search(request)

        async def card(request: Request, user: Any, code: str) -> HTTPResponse:
            return await self._card(code)

        async def tickets(request: Request, user: Any) -> HTTPResponse:
            return await self._open_tickets()

        async def conversation(request: Request, user: Any, ticket_id: int) -> HTTPResponse:
            return await self._conversation(request, ticket_id)

        async def reply(request: Request, user: Any, ticket_id: int) -> HTTPResponse:
            return await self._reply(request, user, ticket_id)

        async def close(request: Request, user: Any, ticket_id: int) -> HTTPResponse:
            return await self._close_ticket(request, user, ticket_id)

        clerk.add_route(guarded(session), "/api/session", methods=["GET"])
        clerk.add_route(guarded(search), "/api/search", methods=["GET"])
        clerk.add_route(guarded(card), "/api/procedures/<code:str>", methods=["GET"])
        clerk.add_route(guarded(tickets), "/api/tickets", methods=["GET"])
        clerk.add_route(guarded(conversation), "/api/tickets/<ticket_id:int>/conversation", methods=["GET"])
        clerk.add_route(guarded(reply, changes=True), "/api/tickets/<ticket_id:int>/reply", methods=["POST"],
                        stream=True)
        clerk.add_route(guarded(close, changes=True), "/api/tickets/<ticket_id:int>/close", methods=["POST"])

        @clerk.listener("before_server_stop")
        async def close_clients(app: Any, loop: Any) -> None:
            replies = self._services.made("replies")
            if replies is not None:
                await replies.close()

        @clerk.route("/procedures/<code:str>/checklist", methods=["GET"])
        async def checklist(request: Request, code: str) -> HTTPResponse:
            _, denied = await self._guard.user(request)
            if denied is not None:
                return response.redirect("/clerk/") if denied.status == 401 else denied
            return await self._checklist(code)

        return clerk

    async def _login(self, request: Request) -> HTTPResponse:
        try:
            payload = parse_json(await read_body_limited(request, MAX_BODY_BYTES))
        except (BodyTooLarge, BadJson):
            return json_error(MSG_BAD_REQUEST, 400)
        name = payload.get("name") if isinstance(payload, dict) else None
        password = payload.get("password") if isinstance(payload, dict) else None
        if not isinstance(name, str) or not isinstance(password, str) or len(name) > MAX_NAME_CHARS * 2:
            return json_error(MSG_BAD_REQUEST, 400)
        from handoff.accounts import normalise_name

        name = normalise_name(unicodedata.normalize("NFC", name))
        client = self.client_keys.for_peer(request.ip, request.headers)
        try:
            limiter = await self._open_service("login_limiter")
            gate = await self._in_thread(limiter.begin, client, name)
            if not gate.allowed:
                return json_error(MSG_TOO_MANY.format(minutes=gate.retry_after_minutes), 429)
            accounts = await self._open_service("accounts")
            user = await self._in_thread(accounts.authenticate, name, password)
            if user is None:
                logger.warning("Clerk page: failed login")
                await self._audit(name or "-", "login_failed", f"user:{name}"[:120])
                return json_error(MSG_WRONG_LOGIN, 401)
            await self._in_thread(limiter.succeeded, gate)
            token = await self._in_thread(accounts.open_session, user)
        except Exception:  # noqa: BLE001
            logger.exception("Clerk page: login failed")
            return json_error(MSG_UNAVAILABLE, 503)
        await self._audit(user.name, "login", f"user:{user.name}")
        reply = json_response({"ok": True, "name": user.name, "role": user.role})
        reply.cookies[COOKIE_NAME] = token
        cookie = reply.cookies[COOKIE_NAME]
        cookie["httponly"] = True
        cookie["samesite"] = "Strict"
        cookie["path"] = COOKIE_PATH
        cookie["max-age"] = int(accounts.session_lifetime.total_seconds())
        if request.scheme == "https" or request.headers.get("x-forwarded-proto") == "https":
            cookie["secure"] = True
        return reply

    async def _logout(self, request: Request) -> HTTPResponse:
        token = request.cookies.get(COOKIE_NAME)
        if token:
            try:
                accounts = await self._open_service("accounts")
                await self._in_thread(accounts.close_session, token)
            except Exception:  # noqa: BLE001
                logger.exception("Clerk page: ending a session failed")
        reply = response.json({"ok": True})
        reply.cookies[COOKIE_NAME] = ""
        reply.cookies[COOKIE_NAME]["max-age"] = 0
        reply.cookies[COOKIE_NAME]["path"] = COOKIE_PATH
        return reply

    async def _search(self, request: Request) -> HTTPResponse:
        query = unicodedata.normalize("NFC", request.args.get("q", "") or "").strip()[:MAX_QUERY_CHARS]
        try:
            knowledge = await self._open_service("knowledge")
            hits = await self._in_thread(knowledge.search, query, 8) if query else await self._in_thread(knowledge.popular, 8)
        except Exception:  # noqa: BLE001 - a down database is a message on the page, not a stack trace
            logger.exception("Clerk page: search failed")
            return json_error(MSG_UNAVAILABLE, 503)
        results = [{"code": h.code, "name": h.name, "score": round(float(h.score), 3), "status": h.status} for h in hits]
        return json_response({"query": query, "popular": not query, "results": results})

    async def _card_view(self, code: str) -> Any:
        knowledge = await self._open_service("knowledge")
        return await self._in_thread(lambda: knowledge.card_view(code))

    async def _card(self, code: str) -> HTTPResponse:
        try:
            view = await self._card_view(code)
        except Exception:  # noqa: BLE001
            logger.exception("Clerk page: reading a procedure failed")
            return json_error(MSG_UNAVAILABLE, 503)
        if view is None:
            return json_error(MSG_NOT_FOUND, 404)
        return json_response(card_payload(view))

    async def _checklist(self, code: str) -> HTTPResponse:
        from knowledge.card import render_html  # the knowledge package owns the checklist's wording and layout

        try:
            view = await self._card_view(code)
        except Exception:  # noqa: BLE001
            logger.exception("Clerk page: rendering a checklist failed")
            return json_error(MSG_UNAVAILABLE, 503)
        if view is None:
            return json_error(MSG_NOT_FOUND, 404)
        headers = security_headers("'none'")
        # The checklist template carries its own <style>; scripts stay forbidden.
        headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'"
        headers["Cache-Control"] = "no-store"
        return response.html(render_html(view), headers=headers)

    async def _open_tickets(self) -> HTTPResponse:
        """Everyone waiting for a person, live and after hours, oldest first, with how long they have waited."""
        from handoff.store import WAITING_STATUSES

        try:
            store = await self._open_service("tickets")
            tickets = await self._in_thread(store.list_tickets, WAITING_STATUSES)
            answered = await self._in_thread(lambda: {t.id for t in tickets if store.replies(t.id)})
        except Exception:  # noqa: BLE001
            logger.exception("Clerk page: listing tickets failed")
            return json_error(MSG_UNAVAILABLE, 503)
        now = self._clock()
        return json_response({"tickets": [ticket_payload(t, now, t.id in answered) for t in tickets]})

    async def _ticket(self, ticket_id: int) -> Any:
        store = await self._open_service("tickets")
        return await self._in_thread(_find_ticket, store, ticket_id)

    async def _conversation(self, request: Request, ticket_id: int) -> HTTPResponse:
        try:
            ticket = await self._ticket(ticket_id)
            if ticket is None:
                return json_error(MSG_TICKET_NOT_FOUND, 404)
            messages = await self._conversations(request.app).transcript(ticket.sender_id)
        except Exception:  # noqa: BLE001
            logger.exception("Clerk page: reading a conversation failed")
            return json_error(MSG_UNAVAILABLE, 503)
        return json_response({"ticket": ticket_payload(ticket), "messages": messages})

    async def _reply(self, request: Request, user: Any, ticket_id: int) -> HTTPResponse:
        from handoff.store import WAITING_STATUSES

        try:
            payload = parse_json(await read_body_limited(request, MAX_BODY_BYTES))
        except (BodyTooLarge, BadJson):
            return json_error(MSG_BAD_REQUEST, 400)
        text = payload.get("text") if isinstance(payload, dict) else None
        if not isinstance(text, str):
            return json_error(MSG_BAD_REQUEST, 400)
        text = bounded_text(text)
        if not text:
            return json_error(MSG_EMPTY_REPLY, 400)
        try:
            ticket = await self._ticket(ticket_id)
        except Exception:  # noqa: BLE001
            logger.exception("Clerk page: reading a ticket failed")
            return json_error(MSG_UNAVAILABLE, 503)
        if ticket is None:
            return json_error(MSG_TICKET_NOT_FOUND, 404)
        if ticket.status not in WAITING_STATUSES:
            return json_error(MSG_TICKET_CLOSED, 409)
        replies = await self._open_service("replies")
        delivery = await replies.deliver(ticket.channel, ticket.sender_id, text)
        await self._audit(user.name, "reply", f"ticket:{ticket.id}", f"{ticket.channel}: {delivery.status}")
        if delivery.status == DELIVERY_FAILED:
            return json_error(delivery.message, 502)
        try:
            store = await self._open_service("tickets")
            await self._in_thread(store.add_reply, ticket.id, user.name, text)  # for the access code, first-reply time
        except Exception:  # noqa: BLE001
            logger.exception("Clerk page: recording a reply on its ticket failed")
        try:
            await self._conversations(request.app).add_staff_message(ticket.sender_id, text, user.name)
        except Exception:  # noqa: BLE001
            logger.exception("Clerk page: storing a clerk's reply in the conversation failed")
            return json_response({"ok": True, "status": delivery.status, "message": MSG_NOT_STORED})
        return json_response({"ok": True, "status": delivery.status, "message": delivery.message})

    async def _close_ticket(self, request: Request, user: Any, ticket_id: int) -> HTTPResponse:
        from handoff.store import ResumeError

        try:
            store = await self._open_service("tickets")
            ticket = await self._in_thread(self._services.factories.close_and_resume, store, ticket_id)
        except ResumeError:
            # The ticket is closed; resume in-process (this server holds the conversations) before giving up.
            ticket = await self._in_thread(_find_ticket, store, ticket_id)
            if ticket is None:
                return json_error(MSG_TICKET_NOT_FOUND, 404)
            try:
                await RasaConversationControl(request.app).resume(ticket.sender_id)
            except Exception:  # noqa: BLE001
                logger.exception("Clerk page: resuming the conversation failed")
                await self._audit(user.name, "close", f"ticket:{ticket.id}", "chưa bật lại được trợ lý")
                return json_error(MSG_RESUME_FAILED, 502)
        except Exception:  # noqa: BLE001
            logger.exception("Clerk page: closing a ticket failed")
            return json_error(MSG_UNAVAILABLE, 503)
        if ticket is None:
            return json_error(MSG_TICKET_NOT_FOUND, 404)
        await self._audit(user.name, "close", f"ticket:{ticket.id}", ticket.channel)
        return json_response({"ok": True, "ticket": ticket_payload(ticket)})


def _find_ticket(store: Any, ticket_id: int) -> Any:
    if hasattr(store, "get_ticket"):
        return store.get_ticket(ticket_id)
    for ticket in store.list_tickets(None):
        if ticket.id == ticket_id:
            return ticket
    return None


def ticket_payload(ticket: Any, now: Optional[datetime] = None, answered: bool = False) -> Dict[str, Any]:
    created = getattr(ticket, "created_at", None)
    waiting = None
    if now is not None and created is not None:
        aware = created if created.tzinfo is not None else created.replace(tzinfo=timezone.utc)
        waiting = max(0, int((now - aware).total_seconds() // 60))
    return {
        "waiting_minutes": waiting,
        "answered": answered,
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
