"""The trained bot behind the Zalo route, talking to a fake Zalo API (for `slow` tests).

Like `running_bot` (tests/conftest.py), but the Rasa server's Zalo channel points at a FakeZaloServer, which needs
its settings in the server's environment at start-up; hence a separate Rasa + action server pair (same model),
started by the same `bot.local_bot`.
"""
from __future__ import annotations

import json
import os
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Tuple

import pytest
import requests

from base.rasa_api import auth_headers
from bot.channels.zalo_signature import signature_header
from tests.fakes.zalo_server import FakeZaloServer, bot_environment

PROJECT_ROOT = Path(__file__).resolve().parents[2]
E2E_WARD = PROJECT_ROOT / "tests" / "e2e" / "fixtures" / "ward.yml"
OA_SECRET = "fake-oa-secret"
OA_ID = "579745863508352884"


@dataclass
class ZaloBot:
    rasa_url: str
    api_token: str
    zalo: FakeZaloServer
    database_url: str = ""  # the servers' project database (dossiers, limits)
    oa_secret: str = OA_SECRET
    servers: Optional[Any] = None  # the running bot.servers.BotServers (processes, logs)

    @property
    def webhook_url(self) -> str:
        return f"{self.rasa_url}/webhooks/zalo/webhook"

    def signed(self, event: Dict[str, Any]) -> Tuple[bytes, Dict[str, str]]:
        raw = json.dumps(event, ensure_ascii=False).encode("utf-8")
        header = signature_header(self.zalo.app_id, raw, str(event.get("timestamp", "")), self.oa_secret)
        return raw, {"Content-Type": "application/json", "X-ZEvent-Signature": header}

    def post(self, event: Dict[str, Any]) -> requests.Response:
        raw, headers = self.signed(event)
        return requests.post(self.webhook_url, data=raw, headers=headers, timeout=10)

    def text_event(self, user_id: str, text: str, msg_id: Optional[str] = None) -> Dict[str, Any]:
        return {
            "app_id": self.zalo.app_id,
            "user_id_by_app": "552177279717587730",
            "event_name": "user_send_text",
            "timestamp": str(int(time.time() * 1000)),
            "sender": {"id": user_id},
            "recipient": {"id": OA_ID},
            "message": {"text": text, "msg_id": msg_id or uuid.uuid4().hex},
        }

    def events(self, user_id: str) -> List[Dict[str, Any]]:
        response = requests.get(
            f"{self.rasa_url}/conversations/{user_id}/tracker", headers=auth_headers(self.api_token), timeout=10
        )
        response.raise_for_status()
        return response.json().get("events", [])

    def wait_until_answered(self, user_id: str, text: str, timeout_s: float = 60,
                            poll_s: float = 0.2) -> List[Dict[str, Any]]:
        """Block until Rasa has logged `text` from `user_id` and gone back to listening; returns the tracker events."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            events = self.events(user_id)
            users = [i for i, e in enumerate(events) if e.get("event") == "user" and e.get("text") == text]
            if users:
                after = events[users[-1] + 1 :]
                paused = any(e.get("event") == "pause" for e in events)
                if paused or any(e.get("event") == "action" and e.get("name") == "action_listen" for e in after):
                    return events
            time.sleep(poll_s)
        raise AssertionError(f"the bot did not finish handling {text!r} in {timeout_s} s")


def start_zalo_bot(workdir: Path, extra_env: Optional[Dict[str, Optional[str]]] = None) -> Iterator[ZaloBot]:
    """`bot.local_bot` with the shipped procedures and the always-open test ward, its Zalo channel pointed at a fake
    Zalo API; the Zalo settings reach only the servers, so other tests in this process are not affected.
    `extra_env` goes to `local_bot` (e.g. a Redis or tracker database of the test's own)."""
    from bot.local_bot import local_bot

    from bot.local_bot import copy_knowledge

    knowledge = copy_knowledge(workdir / "knowledge", E2E_WARD)
    with FakeZaloServer.in_thread() as zalo:
        zalo_env = bot_environment(zalo, str(workdir / "zalo_tokens.json"), OA_SECRET)
        with local_bot(workdir, knowledge, extra_env=extra_env, server_only_env=zalo_env) as servers:
            from tests.fakes.staff import ensure_staff

            ensure_staff(os.environ["DATABASE_URL"])  # the clerk page's accounts (tests/fakes/staff.py)
            yield ZaloBot(servers.rasa_url, servers.api_token, zalo, database_url=os.environ["DATABASE_URL"],
                          servers=servers)


@pytest.fixture(scope="session")
def zalo_bot(tmp_path_factory) -> Iterator[ZaloBot]:
    yield from start_zalo_bot(tmp_path_factory.mktemp("zalo-bot"))
