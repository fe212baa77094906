"""Bounded request bodies for public endpoints: reading (413) and JSON parsing (400).

Channel routes are declared with `stream=True` (Sanic then lifts its own REQUEST_MAX_SIZE for them) and read through
`read_body_limited`, so a huge or endless body is refused early instead of filling memory; `parse_json` refuses
deep nesting before Python's recursive parser sees it.
"""
from __future__ import annotations

import json
import re
from typing import Any, Optional

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


# --- JSON bodies ---------------------------------------------------------------------------------------------------

MAX_JSON_DEPTH = 32  # our bodies nest 3 levels at most; Python's parser overflows its recursion limit near 1,000
# A string, its closing quote optional: an unterminated one is consumed once, so the scan stays linear.
_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"?', re.DOTALL)
_BRACKETS = bytes(range(256)).translate(None, b"[]{}")  # every byte except the brackets, for bytes.translate


class BadJson(ValueError):
    """The body is not UTF-8 JSON, or nests deeper than allowed."""


def json_depth(raw: bytes, stop_above: Optional[int] = None) -> int:
    """How deeply arrays/objects nest in `raw`, in one linear pass (brackets inside strings do not count); counting
    stops as soon as the depth exceeds `stop_above`."""
    depth = deepest = 0
    for bracket in _JSON_STRING.sub(b'""', raw).translate(None, _BRACKETS):
        depth += 1 if bracket in b"[{" else -1
        if depth > deepest:
            deepest = depth
            if stop_above is not None and deepest > stop_above:
                break
    return deepest


def parse_json(raw: bytes, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """The decoded body; BadJson (→ 400) for anything else, never RecursionError on hostile nesting."""
    if json_depth(raw, stop_above=max_depth) > max_depth:
        raise BadJson("nested too deeply")
    try:
        return json.loads(raw.decode("utf-8"))
    except (ValueError, UnicodeDecodeError, RecursionError) as error:
        raise BadJson(type(error).__name__) from None
