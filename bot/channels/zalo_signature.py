"""Zalo webhook signature check: `X-ZEvent-Signature: mac=<hex>`.

mac = sha256(app_id + raw_body + timestamp + OA_secret_key), a plain SHA-256 (not HMAC) over the raw bytes as
received. Sources disagree on where the timestamp comes from (the body's `timestamp` field or an
`X-ZEvent-Timestamp` header), so both are tried; every comparison is constant-time.
"""
from __future__ import annotations

import hashlib
import hmac
from typing import Iterable, Optional

from bot.channels.http_body import BadJson, parse_json


def compute_mac(app_id: str, raw_body: bytes, timestamp: str, oa_secret_key: str) -> str:
    digest = hashlib.sha256()
    digest.update(app_id.encode("utf-8"))
    digest.update(raw_body)
    digest.update(timestamp.encode("utf-8"))
    digest.update(oa_secret_key.encode("utf-8"))
    return digest.hexdigest()


def signature_header(app_id: str, raw_body: bytes, timestamp: str, oa_secret_key: str) -> str:
    """The header value Zalo would send (used by tests and the fake server)."""
    return "mac=" + compute_mac(app_id, raw_body, timestamp, oa_secret_key)


def body_timestamp(raw_body: bytes) -> Optional[str]:
    """The `timestamp` field of a JSON body, without trusting anything else in it."""
    try:
        data = parse_json(raw_body)
    except BadJson:
        return None
    if isinstance(data, dict) and isinstance(data.get("timestamp"), (str, int)):
        return str(data["timestamp"])
    return None


def signature_is_valid(
    raw_body: bytes,
    header_value: Optional[str],
    app_id: Optional[str],
    oa_secret_key: Optional[str],
    timestamps: Iterable[Optional[str]],
) -> bool:
    """True when the header matches the body for one of the candidate timestamps."""
    if not header_value or not oa_secret_key or not app_id:
        return False
    provided = header_value.strip()
    if provided.lower().startswith("mac="):
        provided = provided[4:]
    provided_bytes = provided.strip().lower().encode("utf-8", "replace")
    valid = False
    for timestamp in dict.fromkeys(t for t in timestamps if t):  # unique, order kept
        expected = compute_mac(app_id, raw_body, timestamp, oa_secret_key).encode("ascii")
        valid |= hmac.compare_digest(expected, provided_bytes)
    return valid
