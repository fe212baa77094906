"""Keep connections to the action server open between custom-action calls.

Rasa 3.6 opens a new `aiohttp.ClientSession` — and with it a new connection pool and TCP connection — for every
request to an endpoint (`EndpointConfig.request`), so each custom action paid a TCP handshake and the action server
an accept. Sessions now share one connection pool per event loop; everything else of Rasa's session (headers, basic
auth, timeout) is unchanged. Idle connections are dropped after `KEEPALIVE_S`, well before Sanic's 5 s keep-alive
closes them on the server side, so a reused connection is never one the server is closing.
"""
from __future__ import annotations

import asyncio
import weakref
from typing import Any

import aiohttp

KEEPALIVE_S = 2.0
POOL_LIMIT = 100

_connectors: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, aiohttp.TCPConnector]" = (
    weakref.WeakKeyDictionary()
)


def shared_connector() -> aiohttp.TCPConnector:
    """The connection pool of the running event loop (one per Sanic worker process)."""
    loop = asyncio.get_running_loop()
    connector = _connectors.get(loop)
    if connector is None or connector.closed:
        connector = aiohttp.TCPConnector(limit=POOL_LIMIT, keepalive_timeout=KEEPALIVE_S)
        _connectors[loop] = connector
    return connector


def pooled_session(self: Any) -> aiohttp.ClientSession:
    """`EndpointConfig.session` with the shared pool; the session no longer owns (or closes) the connector."""
    from rasa.utils.endpoints import DEFAULT_REQUEST_TIMEOUT

    auth = aiohttp.BasicAuth(self.basic_auth["username"], self.basic_auth["password"]) if self.basic_auth else None
    return aiohttp.ClientSession(
        headers=self.headers,
        auth=auth,
        timeout=aiohttp.ClientTimeout(total=DEFAULT_REQUEST_TIMEOUT),
        connector=shared_connector(),
        connector_owner=False,
    )


def install() -> None:
    from rasa.utils.endpoints import EndpointConfig

    EndpointConfig.session = pooled_session
