"""Rasa's REST channel (`POST /webhooks/rest/webhook`) with a server-derived client key in every message.

Stock `rest:` passes whatever `metadata` the client sends into the tracker, so a client could name its own
`thutuc_client` and escape the per-client limits. This channel ignores client metadata and sets only what the server
saw (`base.clients`: the TCP peer, or a trusted proxy's real-IP header). Same name ("rest"), same URL, same replies.
Configured in credentials.yml as `bot.channels.rest.RestInput:`.
"""
from __future__ import annotations

from typing import Any, Dict, Optional, Text

from rasa.core.channels.rest import RestInput as RasaRestInput
from sanic.request import Request

from base.clients import CLIENT_METADATA_KEY, ClientKeys


class RestInput(RasaRestInput):
    def __init__(self, client_keys: Optional[ClientKeys] = None) -> None:
        self.client_keys = client_keys or ClientKeys.from_settings()

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> "RestInput":
        return cls()

    def get_metadata(self, request: Request) -> Optional[Dict[Text, Any]]:
        return {"channel": self.name(), CLIENT_METADATA_KEY: self.client_keys.for_peer(request.ip, request.headers)}
