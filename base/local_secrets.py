"""Secrets a development machine generates for itself: created once under var/ (mode 0600), never printed.

Production sets every secret through the environment (base/production.py refuses to start otherwise); a developer
who runs the README's command gets working, private values without choosing any. Two processes starting together
agree on one value: the file is written complete under a temporary name and linked into place, so nobody reads a
half-written one.
"""
from __future__ import annotations

import logging
import os
import secrets
import tempfile
from pathlib import Path

logger = logging.getLogger(__name__)

SECRET_BYTES = 32
MIN_SECRET_CHARS = 16


def development_secret(path: Path) -> str:
    """The secret kept in `path`, generated on first use."""
    try:
        return _read_secret(path)
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}-", dir=path.parent)  # mkstemp creates it 0600
    try:
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(secrets.token_urlsafe(SECRET_BYTES) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(temporary, path)
            logger.info("Generated a development secret in %s", path)
        except FileExistsError:
            pass  # another process won the race; use its secret
    finally:
        os.unlink(temporary)
    return _read_secret(path)


def _read_secret(path: Path) -> str:
    value = path.read_text(encoding="ascii").strip()
    if len(value) < MIN_SECRET_CHARS:
        raise ValueError(f"{path} does not hold a usable secret; delete it to generate a new one")
    return value
