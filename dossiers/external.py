"""Client for a provincial one-stop lookup API, queried by receipt code when the local store lacks a dossier.

Contract (docs/dossiers.md, "External source"): `GET {base_url}/dossiers/{receipt_code}` → 200 with one record in
the feed schema, 404 when unknown. Anything else (timeout, connection error, 5xx, a body that is not a valid record)
is "the source is down": the caller answers politely and never shows the error.
"""
from __future__ import annotations

import logging
from typing import Any, Optional
from urllib.parse import quote

import requests

logger = logging.getLogger(__name__)


class SourceUnavailable(Exception):
    """The provincial API did not answer usefully; `reason` is for logs only."""


class ExternalDossierSource:
    def __init__(self, base_url: str, timeout_s: float = 3.0, session: Optional[requests.Session] = None):
        self.base_url = base_url.rstrip("/")
        self.timeout_s = timeout_s
        self.session = session or requests.Session()

    def fetch(self, receipt_code: str) -> Optional[dict[str, Any]]:
        """The raw record for a code, or None when the source says it does not exist."""
        url = f"{self.base_url}/dossiers/{quote(receipt_code, safe='')}"
        try:
            response = self.session.get(url, timeout=self.timeout_s, headers={"Accept": "application/json"})
        except requests.RequestException as error:
            logger.warning("provincial dossier source unreachable: %s", type(error).__name__)
            raise SourceUnavailable(type(error).__name__) from None
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            logger.warning("provincial dossier source answered HTTP %s", response.status_code)
            raise SourceUnavailable(f"HTTP {response.status_code}")
        try:
            body = response.json()
        except ValueError:
            raise SourceUnavailable("body is not JSON") from None
        if isinstance(body, dict) and isinstance(body.get("dossier"), dict):
            body = body["dossier"]
        if not isinstance(body, dict):
            raise SourceUnavailable("body is not a record")
        return body


def make_external_source(settings=None) -> Optional[ExternalDossierSource]:
    if settings is None:
        from base.settings import get_settings

        settings = get_settings()
    if not settings.dossier_source_url:
        return None
    return ExternalDossierSource(settings.dossier_source_url, settings.dossier_source_timeout_s)
