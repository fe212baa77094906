"""Which replica answered: a name per Rasa server process (`THUTUC_REPLICA_NAME`) in a response header and a
process identity (name, pid, random) that owns the Zalo deliveries the process accepted (bot/channels/dedupe.py).

The header lets the proxy log which replica served a request (`$upstream_http_x_thutuc_replica` in the nginx
access log, deploy/nginx/thutuc.conf); the site hides it from clients.
"""
from __future__ import annotations

import os
import secrets
import socket
from functools import lru_cache
from typing import Any, Optional

from base.settings import Settings, get_settings

HEADER = "X-Thutuc-Replica"


def replica_name(settings: Optional[Settings] = None) -> Optional[str]:
    name = (settings or get_settings()).replica_name
    return name.strip() if name and name.strip() else None


@lru_cache(maxsize=1)
def process_identity() -> str:
    """Unique per process start: a restarted replica does not inherit the deliveries of its previous life."""
    name = replica_name() or socket.gethostname()
    return f"{name}:{os.getpid()}:{secrets.token_hex(3)}"


def add_replica_header(app: Any, settings: Settings) -> None:
    """Every response of this server names the replica (only when a name is configured)."""
    name = replica_name(settings)
    if not name:
        return

    @app.on_response
    async def name_replica(request: Any, response: Any) -> None:
        if response is not None:
            response.headers[HEADER] = name
