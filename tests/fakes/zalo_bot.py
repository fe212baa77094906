"""The trained bot behind the Zalo route, talking to a fake Zalo API (for `slow` tests).

`running_bot` (tests/conftest.py) trains the model and loads the knowledge base once per session. Its Rasa server
does not know the fake Zalo API, so this fixture starts a second Rasa + action server pair from the same model and
database whose Zalo channel points at a FakeZaloServer. If `running_bot` one day carries its own fake (`.zalo`),
that one is used instead and nothing extra starts.
"""
from __future__ import annotations

import json
import socket
import time
import uuid
from dataclasses import dataclass
from typing import Any, Dict, Iterator, List, Optional, Tuple

import pytest
import requests

from bot.channels.zalo_signature import signature_header
from tests.fakes.zalo_server import FakeZaloServer, bot_environment

OA_SECRET = "fake-oa-secret"
OA_ID = "579745863508352884"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class ZaloBot:
    rasa_url: str
    api_token: str
    zalo: FakeZaloServer
    oa_secret: str = OA_SECRET

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
            f"{self.rasa_url}/conversations/{user_id}/tracker", params={"token": self.api_token}, timeout=10
        )
        response.raise_for_status()
        return response.json().get("events", [])

    def wait_until_answered(self, user_id: str, text: str, timeout_s: float = 60) -> List[Dict[str, Any]]:
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
            time.sleep(0.2)
        raise AssertionError(f"the bot did not finish handling {text!r} in {timeout_s} s")


def start_zalo_bot(running_bot: Any, workdir: Any) -> Iterator[ZaloBot]:
    existing = getattr(running_bot, "zalo", None)
    if existing is not None:
        yield ZaloBot(running_bot.rasa_url, running_bot.api_token, existing, getattr(running_bot, "zalo_oa_secret", OA_SECRET))
        return

    from bot.servers import servers_for
    from bot.settings import get_settings
    from bot.training import ensure_model

    with FakeZaloServer.in_thread() as zalo:
        patcher = pytest.MonkeyPatch()
        try:
            for name, value in bot_environment(zalo, str(workdir / "zalo_tokens.json"), OA_SECRET).items():
                patcher.setenv(name, value)
            patcher.setenv("TRACKER_DATABASE_URL", f"sqlite:///{workdir / 'zalo-conversations.db'}")
            patcher.delenv("REDIS_URL", raising=False)
            get_settings.cache_clear()
            servers = servers_for(ensure_model(quiet=True), get_settings(), rasa_port=_free_port(), action_port=_free_port())
            servers.log_dir = workdir / "logs"
            servers.start()
        finally:
            patcher.undo()  # the child processes keep their environment; this process gets its own back
            get_settings.cache_clear()
        try:
            yield ZaloBot(servers.rasa_url, servers.api_token, zalo)
        finally:
            servers.stop()


@pytest.fixture(scope="session")
def zalo_bot(running_bot, tmp_path_factory) -> Iterator[ZaloBot]:
    yield from start_zalo_bot(running_bot, tmp_path_factory.mktemp("zalo-bot"))
