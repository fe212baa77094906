"""Delivery of "your dossier changed state" messages to subscribed citizens.

Design (docs/dossiers.md, "Notifications"): a state change from a feed writes one outbox row per subscriber in the
same transaction (unique per subscription × change, so a retried feed adds none). The notifier claims each pending
row (pending → sending, atomic across processes), then asks the running Rasa server to run `action_dossier_notify`
in that conversation through its HTTP API with the channel the citizen used:

    POST {rasa_url}/conversations/{sender}/execute?output_channel={channel}  {"name": "action_dossier_notify"}
    (Authorization: Bearer <JWT signed with RASA_API_TOKEN>, base/rasa_api.py)

The action takes the rows being sent to that sender (sending → sent, once) and writes one message each. A failed
HTTP call puts the row back to pending for the next run (`thutuc dossiers notify`, or the next feed).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Optional
from urllib.parse import quote

import requests

from base.rasa_api import api_secret, auth_headers
from dossiers.store import DossierStore, utcnow

logger = logging.getLogger(__name__)

NOTIFY_ACTION = "action_dossier_notify"


@dataclass
class DeliveryReport:
    delivered: int = 0
    failed: int = 0
    skipped: int = 0  # claimed by another notifier first


class RasaNotifier:
    def __init__(self, store: DossierStore, rasa_url: str, token: Optional[str] = None, timeout_s: float = 5.0,
                 session: Optional[requests.Session] = None):
        self.store, self.rasa_url, self.token, self.timeout_s = store, rasa_url.rstrip("/"), token, timeout_s
        self.session = session or requests.Session()

    def _send(self, sender_id: str, channel: str) -> Optional[str]:
        """None on success, else a short error for the outbox row."""
        url = f"{self.rasa_url}/conversations/{quote(sender_id, safe='')}/execute"
        try:
            response = self.session.post(url, params={"output_channel": channel}, headers=auth_headers(self.token),
                                         json={"name": NOTIFY_ACTION}, timeout=self.timeout_s)
        except requests.RequestException as error:
            return type(error).__name__
        if response.status_code != 200:
            return f"HTTP {response.status_code}"
        return None

    def deliver_pending(self, limit: int = 500) -> DeliveryReport:
        report = DeliveryReport()
        for item in self.store.pending_notifications(limit):
            if not self.store.claim_notification(item.id, utcnow()):
                report.skipped += 1
                continue
            error = self._send(item.sender_id, item.channel)
            self.store.finish_notification(item.id, sent=error is None, now=utcnow(), error=error)
            if error is None:
                report.delivered += 1
            else:
                report.failed += 1
                logger.warning("dossier notification %s not delivered: %s", item.id, error)
        return report


def make_notifier(store: DossierStore, settings=None) -> RasaNotifier:
    if settings is None:
        from base.settings import get_settings

        settings = get_settings()
    return RasaNotifier(store, settings.rasa_url, api_secret(settings), settings.dossier_notify_timeout_s)
