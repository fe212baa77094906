"""A mix of hostile requests over every public endpoint, and a runner that fires them while a normal conversation
goes on. Used by tests/security/test_hostile_input.py (about 2,000 requests) and bench/bench_hostile.py (20,000).

Requests are written byte for byte (tests/security/raw_http.py) and, except the REST ones, carry `X-Forwarded-For`
as if a reverse proxy on this host had forwarded them from the internet. No payload contains any of the strings a
leak is recognised by (FORBIDDEN), so finding one in a body means the server produced it.
"""
from __future__ import annotations

import asyncio
import json
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional

import aiohttp

from tests.security.raw_http import RawResponse, build_request, send_raw

FORBIDDEN = ("Traceback", "traceback", "sanic", "Sanic", "rasa.", "bot.", 'File "')
OUTSIDE = {"X-Forwarded-For": "203.0.113.77"}
JSON = {"Content-Type": "application/json"}
CHAT_HEADER = "X-Chat-Session"


@dataclass(frozen=True)
class Hostile:
    family: str
    data: bytes  # the whole request as sent


@dataclass
class Violation:
    family: str
    status: int
    excerpt: str


@dataclass
class MixReport:
    requests: int = 0
    statuses: Counter = field(default_factory=Counter)
    families: Counter = field(default_factory=Counter)
    violations: List[Violation] = field(default_factory=list)
    probe_latencies_s: List[float] = field(default_factory=list)
    probe_failures: List[str] = field(default_factory=list)
    seconds: float = 0.0

    def percentile(self, share: float) -> float:
        values = sorted(self.probe_latencies_s)
        if not values:
            return float("nan")
        return values[min(len(values) - 1, int(round(share * (len(values) - 1))))]

    def summary(self) -> str:
        statuses = ", ".join(f"{status}: {count}" for status, count in sorted(self.statuses.items()))
        probes = self.probe_latencies_s
        return (
            f"{self.requests} hostile requests in {self.seconds:.1f} s ({self.requests / max(self.seconds, 1e-9):.0f}/s); "
            f"statuses {statuses}; {len(self.violations)} violations; probe {len(probes)} answers, "
            f"{len(self.probe_failures)} failures, p50 {self.percentile(0.5) * 1000:.0f} ms, "
            f"p95 {self.percentile(0.95) * 1000:.0f} ms, max {max(probes, default=float('nan')) * 1000:.0f} ms"
        )


# ---------------------------------------------------------------------------------------------------------------
# The mix

def _json(value) -> bytes:
    return json.dumps(value, ensure_ascii=False).encode("utf-8")


def _nested(depth: int, wrapper: str = "[") -> bytes:
    closing = {"[": "]", "{": "}"}[wrapper]
    if wrapper == "{":
        return b'{"a":' * depth + b"1" + b"}" * depth
    return wrapper.encode() * depth + closing.encode() * depth


def _bodies(rng: random.Random) -> List[tuple[str, bytes, Dict[str, str]]]:
    """(family, body, headers) for a JSON endpoint; picked at random per request."""
    texts = [
        "a" * 60_000,  # cut to the 2,000-character cap
        "ă" * 3_000, "x" * 2_001, "lam khai sinh can gi " * 200, "0912345678 " * 500,
        "<img src=x onerror=alert(1)>", "'; DROP TABLE kb_procedures; --", "\x00\x01\x02", "😀" * 1_500,
        "a\u0301" * 1_500, "\u202etxet", "\ufeff\u200b" * 500, "%s%s%n{0}{}", "H15.50-251203-2035 " * 100,
        "1" * 2_000, "aaaa" + "://" * 600,
    ]
    text = rng.choice(texts)
    return [
        ("empty body", b"", JSON),
        ("whitespace body", b"   \r\n ", JSON),
        ("binary body", rng.randbytes(rng.choice([1, 17, 512, 4096])), {"Content-Type": "application/octet-stream"}),
        ("invalid UTF-8", b'{"message": "\xff\xfe\xfa"}', JSON),
        ("deeply nested array", _nested(rng.choice([33, 1_000, 30_000])), JSON),
        ("deeply nested object", _nested(rng.choice([33, 5_000]), "{"), JSON),
        ("nested inside message", b'{"message": ' + _nested(2_000) + b"}", JSON),
        ("wrong type: number", b"42", JSON),
        ("wrong type: string", b'"xin chao"', JSON),
        ("wrong type: array", b'["xin chao"]', JSON),
        ("wrong type: null", b"null", JSON),
        ("wrong type: message int", b'{"message": 12345, "sender": 7}', JSON),
        ("wrong type: message list", b'{"message": ["a", "b"]}', JSON),
        ("wrong type: message object", b'{"message": {"text": "hi"}}', JSON),
        ("missing message", b'{"sender": "abcdefgh12345678"}', JSON),
        ("huge number", b'{"message": 1' + b"0" * 5_000 + b"}", JSON),
        ("huge body", b'{"message": "' + b"a" * 100_000 + b'"}', JSON),
        ("hostile text", _json({"message": text, "sender": "8470117331209467721"}), JSON),
        ("text/plain body", _json({"message": "xin chào"}), {"Content-Type": "text/plain"}),
        ("form body", b"message=xin+chao&sender=abc", {"Content-Type": "application/x-www-form-urlencoded"}),
        ("multipart body", b"--x\r\nContent-Disposition: form-data; name=\"message\"\r\n\r\nhi\r\n--x--\r\n",
         {"Content-Type": "multipart/form-data; boundary=x"}),
        ("duplicate keys", b'{"message": "a", "message": {"b": 1}}', JSON),
    ]


def _chat_tokens(rng: random.Random) -> List[tuple[str, Optional[str]]]:
    ident = "".join(rng.choice("0123456789abcdef") for _ in range(32))
    return [
        ("absent web identity", None),
        ("forged web identity", f"v1.{ident}.{'A' * 43}"),
        ("malformed web identity", rng.choice(["v1..", "web-" + ident, ident, "v2." + ident + ".x", "x" * 4_000])),
        ("binary web identity", "\u00ff\u00fe" * 10),
    ]


def _zalo_signatures(rng: random.Random) -> List[tuple[str, Dict[str, str]]]:
    return [
        ("zalo: no signature", {}),
        ("zalo: forged signature", {"X-ZEvent-Signature": "mac=" + "".join(rng.choice("0123456789abcdef") for _ in range(64))}),
        ("zalo: malformed signature", {"X-ZEvent-Signature": rng.choice(["", "mac=", "mac=zz", "x" * 6_000]),
                                       "X-ZEvent-Timestamp": rng.choice(["", "abc", "1" * 100])}),
    ]


PATH_TRICKS = [
    "/chat/../conversations/x/tracker", "/chat/%2e%2e/status", "/chat/%2E%2E/version", "//status", "///model",
    "/chat//../status", "/webhooks/zalo/..%2f..%2fstatus", "/clerk/..;/status", "/chat/static/..%2f..%2fsettings.py",
    "/chat/static/%2e%2e%5c%2e%2e%5cbase%5csettings.py", "/chat/static/chat.js%00.html", "/chat/static/../../credentials.yml",
    "/clerk/static/..%252f..%252fcredentials.yml", "/chat/%00", "/chat/\u00e9".encode("utf-8").decode("latin-1"),
    "/webhooks/rest/webhook", "/webhooks/rest/", "/conversations/8470117331209467721/tracker", "/model/parse",
    "/status", "/version", "/", "/model", "/domain", "/webhooks/zalo/../rest/webhook", "/api/dossiers/../../status",
    "/api/dossiers/sync/../../../version", "/chat?x=" + "a" * 2_000, "/CHAT/", "/chat/.", "/clerk/api/../../status",
    "http://evil.example/status", "*",
]

PUBLIC_GETS = [
    "/chat/", "/chat", "/chat/static/chat.js", "/chat/static/chat.css", "/chat/embed.js", "/chat/static/nope.js",
    "/clerk/", "/clerk", "/clerk/static/clerk.js", "/clerk/static/clerk.css", "/clerk/api/session",
    "/clerk/api/search?q=" + "khai sinh " * 100, "/clerk/api/search?q=%ff%fe", "/clerk/api/search?q=" + "%5B" * 500,
    "/clerk/api/procedures/1.001193", "/clerk/api/procedures/%2e%2e", "/clerk/api/tickets",
    "/clerk/procedures/1.001193/checklist", "/webhooks/zalo/", "/webhooks/zalo", "/api/dossiers/sync",
]

BAD_METHODS = ["PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "CONNECT", "PROPFIND", "FOO", "G\x00ET", "get"]


def hostile_requests(count: int, host: str, seed: int = 10) -> List[Hostile]:
    """`count` requests cycling through the families below, with randomised details (deterministic per seed)."""
    rng = random.Random(seed)
    makers: List[Callable[[], Hostile]] = []

    def add(weight: int, maker: Callable[[], Hostile]) -> None:
        makers.extend([maker] * weight)

    def web_chat() -> Hostile:
        family, body, headers = rng.choice(_bodies(rng))
        token_family, token = rng.choice(_chat_tokens(rng))
        headers = {**OUTSIDE, **headers, **({CHAT_HEADER: token} if token is not None else {})}
        return Hostile(f"web chat: {family}, {token_family}", build_request("POST", "/chat/webhook", host, body, headers))

    def zalo() -> Hostile:
        family, body, headers = rng.choice(_bodies(rng))
        signature_family, signature = rng.choice(_zalo_signatures(rng))
        return Hostile(f"{signature_family}: {family}",
                       build_request("POST", "/webhooks/zalo/webhook", host, body, {**OUTSIDE, **headers, **signature}))

    def rest_local() -> Hostile:
        family, body, headers = rng.choice(_bodies(rng))
        if family == "hostile text":
            body = _json({"sender": rng.choice(["u1", "8470117331209467721", "web-x"]), "message": "xin chào"})
        return Hostile(f"REST (loopback): {family}", build_request("POST", "/webhooks/rest/webhook", host, body, headers))

    def clerk_login() -> Hostile:
        # Only bodies refused before the token check: well-formed wrong tokens would lock 127.0.0.1 out of the clerk
        # page for 10 minutes (its brute-force guard) and break later tests that share the server.
        body = rng.choice([b"", b"{", rng.randbytes(64), _nested(5_000), b'{"token": "' + b"\xff" * 10 + b'"}',
                           b'{"token": "' + b"a" * 100_000 + b'"}'])
        return Hostile("clerk login: unparsable body", build_request("POST", "/clerk/login", host, body, {**OUTSIDE, **JSON}))

    def clerk_api() -> Hostile:
        target = rng.choice(["/clerk/api/tickets/1/close", "/clerk/api/tickets/99999999999999999999/close",
                             "/clerk/api/tickets/-1/close", "/clerk/logout"])
        cookie = rng.choice(["", "thutuc_staff=forged.1.abc", "thutuc_staff=" + "a" * 3_000])
        headers = {**OUTSIDE, "X-Requested-With": "thutuc-clerk", **({"Cookie": cookie} if cookie else {}),
                   "Authorization": rng.choice(["Bearer wrong", "Basic eDp5", "Bearer " + "z" * 2_000])}
        return Hostile("clerk API: forged credentials", build_request("POST", target, host, b"{}", headers))

    def sync() -> Hostile:
        family, body, headers = rng.choice(_bodies(rng))
        auth = rng.choice(["", "Bearer wrong", "Bearer ", "bearer " + "x" * 500])
        extra = {"Authorization": auth} if auth else {}
        return Hostile(f"dossier sync: {family}", build_request("POST", "/api/dossiers/sync", host, body,
                                                                {**OUTSIDE, **headers, **extra}))

    def path_trick() -> Hostile:
        target = rng.choice(PATH_TRICKS)
        method = rng.choice(["GET", "GET", "POST", "DELETE"])
        return Hostile(f"path trick {method}", build_request(method, target, host, b"{}" if method == "POST" else b"",
                                                               {**OUTSIDE, **JSON}))

    def public_get() -> Hostile:
        return Hostile("public GET", build_request("GET", rng.choice(PUBLIC_GETS), host, b"", OUTSIDE))

    def long_url() -> Hostile:
        size = rng.choice([4_000, 9_000, 70_000])
        target = rng.choice(["/chat/", "/status", "/clerk/api/search"]) + "?q=" + "a" * size
        return Hostile(f"long URL ({size})", build_request("GET", target, host, b"", OUTSIDE))

    def bad_method() -> Hostile:
        method = rng.choice(BAD_METHODS)
        target = rng.choice(["/chat/webhook", "/chat/", "/webhooks/zalo/webhook", "/clerk/login", "/api/dossiers/sync",
                             "/status", "/conversations/x/tracker"])
        return Hostile(f"bad method {method!r}", build_request(method, target, host, b"", OUTSIDE))

    def broken_http() -> Hostile:
        raw = rng.choice([
            b"GARBAGE\r\n\r\n",
            b"GET /chat/\r\n\r\n",  # HTTP/0.9
            b"GET /chat/ HTTP/1.1\r\nHost: x\r\nBroken header line\r\n\r\n",
            b"GET /chat/ HTTP/1.1\r\nHost: x\r\n" + b"X-A: b\r\n" * 500 + b"\r\n",
            b"GET /chat/ HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 20_000 + b"\r\n\r\n",
            b"POST /chat/webhook HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\nX-Forwarded-For: 1.2.3.4\r\n\r\n",
            b"POST /chat/webhook HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\nX-Forwarded-For: 1.2.3.4\r\n\r\n",
            b"POST /chat/webhook HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 9\r\n\r\n{}",
            b"POST /chat/webhook HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nX-Forwarded-For: 1.2.3.4\r\n"
            b"Connection: close\r\n\r\nzz\r\n{}\r\n0\r\n\r\n",
            b"POST /chat/webhook HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nX-Forwarded-For: 1.2.3.4\r\n"
            b"Connection: close\r\n\r\n" + b"%x\r\n" % 200_000 + b"a" * 200_000 + b"\r\n0\r\n\r\n",
            b"GET /chat/ HTTP/9.9\r\nHost: x\r\nConnection: close\r\n\r\n",
            b"POST /chat/webhook HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n",
            b"POST /chat/webhook HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: Chunked\r\n\r\n0\r\n\r\n",
            b"POST /chat/webhook HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n{}",
            b"GET /chat/\xff\xfe HTTP/1.1\r\nHost: x\r\n\r\n",
            b"GET /chat/ HTTP/1.1\r\nHost: x\r\nX-Bin: \xff\xfe\x00\r\n\r\n",
            b"GET /chat/ HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        ])
        return Hostile("broken HTTP framing", raw if b"Connection: close" in raw else raw.replace(
            b"Host: x\r\n", b"Host: x\r\nConnection: close\r\n", 1))

    add(9, web_chat)
    add(4, zalo)
    add(2, rest_local)
    add(1, clerk_login)
    add(1, clerk_api)
    add(2, sync)
    add(3, path_trick)
    add(2, public_get)
    add(1, long_url)
    add(2, bad_method)
    add(1, broken_http)
    return [rng.choice(makers)() for _ in range(count)]


# ---------------------------------------------------------------------------------------------------------------
# Running it

def leaks(response: RawResponse) -> Optional[str]:
    """The first forbidden string in the body, if any."""
    text = response.body.decode("utf-8", "replace")
    return next((word for word in FORBIDDEN if word in text), None)


async def _probe(base_url: str, stop: asyncio.Event, report: MixReport, interval_s: float) -> None:
    """A citizen having a normal conversation through the proxy the whole time."""
    questions = ["giờ làm việc", "làm giấy khai sinh cần gì", "còn lệ phí thì sao", "đăng ký kết hôn cần giấy tờ gì"]
    token: Optional[str] = None
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as http:
        turn = 0
        while not stop.is_set():
            question = questions[turn % len(questions)]
            turn += 1
            headers = {**OUTSIDE, **({CHAT_HEADER: token} if token else {})}
            started = time.perf_counter()
            try:
                async with http.post(base_url + "/chat/webhook", json={"message": question}, headers=headers) as reply:
                    body = await reply.json()
                    elapsed = time.perf_counter() - started
                    if reply.status != 200 or not any(item.get("text") for item in body):
                        report.probe_failures.append(f"{reply.status}: {str(body)[:200]}")
                    else:
                        report.probe_latencies_s.append(elapsed)
                        token = reply.headers.get(CHAT_HEADER, token)
            except Exception as error:  # noqa: BLE001 - any failure of the probe is a finding
                report.probe_failures.append(f"{type(error).__name__}: {error}")
            try:
                await asyncio.wait_for(stop.wait(), interval_s)
            except asyncio.TimeoutError:
                pass


async def run_mix(host: str, port: int, requests: List[Hostile], concurrency: int = 8,
                  probe_interval_s: float = 0.5, timeout_s: float = 30) -> MixReport:
    report = MixReport()
    queue: asyncio.Queue = asyncio.Queue()
    for item in requests:
        queue.put_nowait(item)
    stop = asyncio.Event()

    async def worker() -> None:
        while True:
            try:
                item = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            try:
                answer = await send_raw(host, port, item.data, timeout_s)
            except asyncio.TimeoutError:
                answer = RawResponse(-1, {}, b"")  # the server never answered: recorded as status -1
            report.requests += 1
            report.statuses[answer.status] += 1
            report.families[item.family] += 1
            word = leaks(answer)
            if answer.status >= 500 or word is not None:
                report.violations.append(Violation(item.family, answer.status, (word or "") + " " + answer.text[:300]))

    started = time.perf_counter()
    probe = asyncio.create_task(_probe(f"http://{host}:{port}", stop, report, probe_interval_s))
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    report.seconds = time.perf_counter() - started
    stop.set()
    await probe
    return report
