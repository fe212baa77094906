"""HTTP/1.1 requests written byte for byte: path tricks (`/chat/../status`, `%2e%2e`), bad methods and broken
framing reach the server exactly as an attacker would send them (client libraries normalise them away)."""
from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Dict, Optional


@dataclass
class RawResponse:
    status: int
    headers: Dict[str, str] = field(default_factory=dict)
    body: bytes = b""

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


def build_request(method: str, target: str, host: str, body: bytes = b"",
                  headers: Optional[Dict[str, str]] = None) -> bytes:
    lines = [f"{method} {target} HTTP/1.1", f"Host: {host}", "Connection: close"]
    extra = dict(headers or {})
    if body and not any(name.lower() in ("content-length", "transfer-encoding") for name in extra):
        extra["Content-Length"] = str(len(body))
    lines += [f"{name}: {value}" for name, value in extra.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


async def send_raw(host: str, port: int, data: bytes, timeout_s: float = 20) -> RawResponse:
    """Send `data` on a fresh connection and read the answer until the server closes it (status 0: no answer)."""
    reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), timeout_s)
    try:
        try:
            writer.write(data)
            await writer.drain()
        except (ConnectionError, OSError):
            pass  # the server may answer (413) and close before the whole body is sent
        chunks = []
        try:
            while True:
                chunk = await asyncio.wait_for(reader.read(65536), timeout_s)
                if not chunk:
                    break
                chunks.append(chunk)
        except (ConnectionError, OSError):
            pass
    finally:
        writer.close()
    return parse_response(b"".join(chunks))


def parse_response(raw: bytes) -> RawResponse:
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    try:
        status = int(lines[0].split()[1])
    except (IndexError, ValueError):
        return RawResponse(0, {}, raw)
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    if headers.get("transfer-encoding", "").lower() == "chunked":
        body = _dechunk(body)
    return RawResponse(status, headers, body)


def _dechunk(body: bytes) -> bytes:
    out = b""
    while body:
        size_line, _, rest = body.partition(b"\r\n")
        try:
            size = int(size_line.split(b";")[0], 16)
        except ValueError:
            break
        if size == 0:
            break
        out += rest[:size]
        body = rest[size + 2:]
    return out
