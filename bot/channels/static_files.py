"""Serving the pages under bot/web/ with safe headers: a fixed whitelist of files, no directory listing, and a
Content-Security-Policy that forbids inline scripts, so even a rendering bug cannot run injected markup."""
from __future__ import annotations

from pathlib import Path
from typing import Dict

from sanic import response
from sanic.response import HTTPResponse

WEB_DIR = Path(__file__).resolve().parent.parent / "web"

CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".svg": "image/svg+xml",
}


def security_headers(frame_ancestors: str) -> Dict[str, str]:
    return {
        "Content-Security-Policy": (
            "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; "
            f"base-uri 'none'; form-action 'self'; frame-ancestors {frame_ancestors}"
        ),
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
    }


def serve_web_file(name: str, frame_ancestors: str = "'none'", max_age_s: int = 300) -> HTTPResponse:
    """`name` must come from a whitelist, never straight from the URL."""
    path = WEB_DIR / name
    headers = security_headers(frame_ancestors)
    headers["Cache-Control"] = f"public, max-age={max_age_s}" if max_age_s else "no-store"
    return response.raw(
        path.read_bytes(),
        content_type=CONTENT_TYPES.get(path.suffix, "application/octet-stream"),
        headers=headers,
    )
