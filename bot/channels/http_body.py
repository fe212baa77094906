"""Bounded request-body reading for public endpoints.

Sanic buffers up to 100 MB per request by default; channel routes are declared with `stream=True` and read through
this helper instead, so a huge or endless body is refused early with 413 instead of filling memory.
"""
from __future__ import annotations

from typing import Optional

from sanic.request import Request


class BodyTooLarge(Exception):
    """The body exceeds the route's limit."""


async def read_body_limited(request: Request, limit: int) -> bytes:
    """The whole body, or BodyTooLarge as soon as more than `limit` bytes are announced or received."""
    declared = _declared_length(request)
    if declared is not None and declared > limit:
        raise BodyTooLarge()
    if request.stream is None:  # route not streamed (or body already read): Sanic holds it
        body = request.body or b""
        if len(body) > limit:
            raise BodyTooLarge()
        return body
    chunks: list[bytes] = []
    size = 0
    while True:
        chunk = await request.stream.read()
        if chunk is None:
            break
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge()
        chunks.append(chunk)
    return b"".join(chunks)


def _declared_length(request: Request) -> Optional[int]:
    raw = request.headers.get("content-length")
    if raw is None:
        return None
    try:
        return int(raw)
    except ValueError:
        return None
