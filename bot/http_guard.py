"""What the Rasa server answers, and to whom: the public surface, the request-size limit and generic errors.

The same port serves citizens (web chat, Zalo webhook), clerks, the one-stop system's sync, and Rasa's HTTP API
(`/conversations`, `/model`, `/status`, …) with the REST channel. Only the first group may be reached from outside:
a request from a non-loopback peer, or one that came through a proxy (it carries a forwarding header), gets 404 for
any other path. Bodies are capped by Sanic's REQUEST_MAX_SIZE (streamed channel routes apply their own caps), and
every error is a short JSON body: never a stack trace, a module name or an echo of the request.

`install()` wraps `rasa.core.run.configure_app`, where `rasa run` builds its Sanic app, so both servers of `thutuc
run` and a plain `python -m bot.rasa_server run` get the same rules (docs/operations.md, "Reverse proxy").
"""
from __future__ import annotations

import ipaddress
import logging
from http import HTTPStatus
from typing import Any, Callable, List, Optional
from urllib.parse import unquote

from sanic import Sanic, response
from sanic.exceptions import NotFound, SanicException
from sanic.request import Request
from sanic.response import HTTPResponse

from base.settings import Settings, get_settings
from bot.replica import add_replica_header

logger = logging.getLogger(__name__)

PUBLIC_PREFIXES = ("/chat/", "/webhooks/zalo/", "/clerk/", "/admin/")
PUBLIC_PATHS = frozenset({"/chat", "/clerk", "/admin", "/webhooks/zalo", "/api/dossiers/sync", "/admin/misses"})
FORWARDING_HEADERS = ("forwarded", "x-forwarded-for", "x-real-ip")


def is_public_path(path: str) -> bool:
    """True for the paths a reverse proxy may forward (docs/channels.md); dot segments, encoded or not, double
    slashes and backslashes never are."""
    decoded = unquote(path)
    if "//" in decoded or "\\" in decoded or any(part in (".", "..") for part in decoded.split("/")):
        return False
    return decoded in PUBLIC_PATHS or decoded.startswith(PUBLIC_PREFIXES)


def is_local_request(request: Request) -> bool:
    """The TCP peer is loopback and no proxy forwarded the request (a proxy on the same host connects from
    loopback too, but adds a forwarding header: nginx and Caddy are configured to, docs/operations.md)."""
    if not _is_loopback(request.ip):
        return False
    names = set(FORWARDING_HEADERS)
    config = getattr(getattr(request, "app", None), "config", None)
    for configured in (getattr(config, "REAL_IP_HEADER", None), getattr(config, "FORWARDED_FOR_HEADER", None)):
        if configured:
            names.add(configured.lower())
    return not any(name in request.headers for name in names)


def _is_loopback(ip: Optional[str]) -> bool:
    try:
        address = ipaddress.ip_address((ip or "").strip("[]"))
    except ValueError:
        return False
    mapped = getattr(address, "ipv4_mapped", None)
    return (mapped or address).is_loopback


def _answerable(request: Optional[Request]) -> bool:
    try:
        return request is not None and (is_local_request(request) or is_public_path(request.path))
    except Exception:  # noqa: BLE001 - a request too broken to inspect is treated as foreign
        return False


def error_body(status: int) -> HTTPResponse:
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "Error"
    return response.json({"error": phrase}, status=status, headers={"Cache-Control": "no-store"})


async def refuse_foreign_requests(request: Request, **_: Any) -> None:
    """Signal `http.routing.before`: 404 for a non-public path unless the request is local. A signal, not a request
    middleware: it runs before routing (so a wrong method gets no 405), before Sanic reads a buffered body and before
    any middleware. Sanic runs the request middleware again while handling an exception, where Sanic-Cors (which
    Rasa installs) would answer OPTIONS with 200; marking them as run skips them for the refused request."""
    if not _answerable(request):
        request.request_middleware_started = True
        raise NotFound("Not Found")


def generic_error(request: Optional[Request], exception: BaseException) -> HTTPResponse:
    """Every exception without a more specific handler (Rasa keeps its own for its API errors)."""
    status = exception.status_code if isinstance(exception, SanicException) else 500
    if not _answerable(request):
        status = 404  # a 405 or 400 would tell a stranger that a private route exists
    if status >= 500:
        logger.error("Request failed with %s", type(exception).__name__, exc_info=exception)
    return error_body(status)


class MalformedHead(ValueError):
    """Raised while Sanic parses a request head; Sanic turns it into 400 Bad Request."""


async def check_request_head(head: bytes) -> None:
    """Signal `http.lifecycle.read_head`: refuse heads that Sanic 21.12 would answer with a 500 (`Content-Length:
    abc`, a Transfer-Encoding other than `chunked` without a length), leave hanging (`Content-Length: -5`) or drop
    without an answer (raw non-ASCII bytes in the request line); also refuse ambiguous framing (two lengths, or a
    length with chunked encoding), the classic request-smuggling shapes."""
    request_line, _, rest = head.partition(b"\r\n")
    if not request_line.isascii() or any(byte < 0x20 or byte == 0x7F for byte in request_line):
        raise MalformedHead("request line")
    lengths, encodings = set(), []
    for line in rest.split(b"\r\n"):
        name, _, value = line.partition(b":")
        name, value = name.strip().lower(), value.strip()
        if name == b"content-length":
            if not value.isdigit():
                raise MalformedHead("content-length")
            lengths.add(int(value))
        elif name == b"transfer-encoding":
            encodings.append(value)
    if len(lengths) > 1 or (encodings and (lengths or encodings != [b"chunked"])):
        raise MalformedHead("framing")


def answer_undecodable_urls() -> None:
    """Sanic 21.12 drops the connection without any answer when the request line holds raw non-ASCII bytes: building
    the stand-in request for its error response re-encodes and re-parses the URL, and fails again. Then the stand-in
    gets URL `*`, so the client reads a short error. Idempotent; Sanic's own method runs first, always."""
    from sanic.http import Http

    original = Http.create_empty_request
    if getattr(original, "thutuc_fixed", False):
        return

    def create_empty_request(self: Http) -> None:
        try:
            original(self)
        except Exception:  # noqa: BLE001 - UnicodeEncodeError, httptools' HttpParserInvalidURLError, …
            self.url = "*"
            original(self)

    create_empty_request.thutuc_fixed = True  # type: ignore[attr-defined]
    Http.create_empty_request = create_empty_request  # type: ignore[method-assign]


def harden_app(app: Sanic, settings: Settings) -> Sanic:
    answer_undecodable_urls()
    app.config.REQUEST_MAX_SIZE = settings.request_max_bytes
    app.signal("http.lifecycle.read_head")(check_request_head)
    app.signal("http.routing.before")(refuse_foreign_requests)
    app.error_handler.add(Exception, generic_error)
    add_replica_header(app, settings)
    return app


def enabled_channels(channels: Optional[List[Any]]) -> List[Any]:
    """Channels that say they are switched off (`is_enabled()` False, e.g. REST in production) are left out."""
    kept = []
    for channel in channels or []:
        is_enabled: Callable[[], bool] = getattr(channel, "is_enabled", lambda: True)
        if is_enabled():
            kept.append(channel)
        else:
            logger.info("Channel %s is not mounted (switched off by the settings)", channel.name())
    return kept


def install() -> None:
    """Make `rasa run` build its app with the rules above. Idempotent."""
    import rasa.core.run as rasa_run

    original = rasa_run.configure_app
    if getattr(original, "thutuc_hardened", False):
        return

    def configure_app(input_channels: Optional[List[Any]] = None, *args: Any, **kwargs: Any) -> Sanic:
        app = original(enabled_channels(input_channels), *args, **kwargs)
        return harden_app(app, get_settings())

    configure_app.thutuc_hardened = True  # type: ignore[attr-defined]
    configure_app.__wrapped__ = original  # type: ignore[attr-defined]
    rasa_run.configure_app = configure_app
