"""Calls to the action server: connections kept open between calls, bounded in time, with the shared secret.

Rasa 3.6 opens a new `aiohttp.ClientSession` — and with it a new connection pool and TCP connection — for every
request to an endpoint (`EndpointConfig.request`), so each custom action paid a TCP handshake and the action server
an accept. Sessions now share one connection pool per event loop; everything else of Rasa's session (headers, basic
auth, timeout) is unchanged. Idle connections are dropped after `KEEPALIVE_S`, well before Sanic's 5 s keep-alive
closes them on the server side, so a reused connection is never one the server is closing.

Rasa also gives each custom action five minutes (`DEFAULT_REQUEST_TIMEOUT`), with no separate connect timeout: a
hung action server left the citizen waiting in silence. The action endpoint read from endpoints.yml becomes an
`ActionServerEndpoint`, whose calls connect within `THUTUC_ACTION_CONNECT_TIMEOUT` and end within
`THUTUC_ACTION_TIMEOUT` (bot/outage_replies.py then sends the polite message), and carry the
`X-Thutuc-Action-Secret` header the action server checks (bot/action_server.py) whenever `THUTUC_ACTION_SECRET` is
set, also when the endpoints file does not name the header.
"""
from __future__ import annotations

import asyncio
import weakref
from typing import Any, Optional, Text

import aiohttp
from rasa.utils.endpoints import EndpointConfig

from base.settings import get_settings
from bot.endpoints import ACTION_SECRET_HEADER

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


def action_timeout() -> aiohttp.ClientTimeout:
    settings = get_settings()
    return aiohttp.ClientTimeout(total=settings.action_timeout_s, connect=settings.action_connect_timeout_s)


class ActionServerEndpoint(EndpointConfig):
    """The action endpoint: every call bounded by `action_timeout()` and carrying the shared secret."""

    @classmethod
    def from_endpoint(cls, config: EndpointConfig) -> "ActionServerEndpoint":
        endpoint = cls(config.url, config.params, config.headers, config.basic_auth, config.token, config.token_name,
                       config.cafile, **config.kwargs)
        endpoint.type = config.type
        return endpoint

    async def request(self, method: Text = "post", subpath: Optional[Text] = None,
                      content_type: Optional[Text] = "application/json", compress: bool = False,
                      **kwargs: Any) -> Optional[Any]:
        kwargs["timeout"] = action_timeout()  # replaces Rasa's five minutes
        secret = get_settings().action_secret
        if secret and ACTION_SECRET_HEADER not in self.headers:
            kwargs["headers"] = {**(kwargs.get("headers") or {}), ACTION_SECRET_HEADER: secret}
        return await super().request(method, subpath, content_type, compress, **kwargs)


def install() -> None:
    from rasa.core.utils import AvailableEndpoints

    EndpointConfig.session = pooled_session
    read_endpoints = AvailableEndpoints.read_endpoints.__func__
    if getattr(read_endpoints, "_thutuc_action_endpoint", False):
        return

    def read_endpoints_with_action_server(cls: Any, endpoint_file: Text) -> AvailableEndpoints:
        endpoints = read_endpoints(cls, endpoint_file)
        if endpoints.action is not None and not isinstance(endpoints.action, ActionServerEndpoint):
            endpoints.action = ActionServerEndpoint.from_endpoint(endpoints.action)
        return endpoints

    read_endpoints_with_action_server._thutuc_action_endpoint = True  # type: ignore[attr-defined]
    AvailableEndpoints.read_endpoints = classmethod(read_endpoints_with_action_server)
