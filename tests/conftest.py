"""Shared fixtures: a running assistant (action server + Rasa server) for end-to-end and browser tests."""
from __future__ import annotations

import os
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import pytest
import requests

from base.settings import PROJECT_ROOT

E2E_WARD = Path(__file__).parent / "e2e" / "fixtures" / "ward.yml"


@dataclass
class RunningBot:
    rasa_url: str
    api_token: str
    database_url: str

    def send(self, text: str, sender: str | None = None, timeout: float = 30) -> list[dict[str, Any]]:
        """One message over the (loopback-only) REST channel; Rasa's conversation id is `conversation_id(sender)`."""
        response = requests.post(
            f"{self.rasa_url}/webhooks/rest/webhook",
            json={"sender": sender or f"e2e-{uuid.uuid4().hex[:8]}", "message": text},
            timeout=timeout,
        )
        response.raise_for_status()
        return response.json()

    @staticmethod
    def conversation_id(sender: str) -> str:
        from bot.channels.rest import SENDER_PREFIX

        return SENDER_PREFIX + sender

    def tracker(self, sender: str) -> dict[str, Any]:
        """The tracker of what `sender` said over the REST channel."""
        response = requests.get(f"{self.rasa_url}/conversations/{self.conversation_id(sender)}/tracker",
                                params={"token": self.api_token}, timeout=10)
        response.raise_for_status()
        return response.json()


@pytest.fixture(scope="session")
def running_bot(tmp_path_factory) -> Iterator[RunningBot]:
    """The assistant with the shipped procedures and an always-open test ward, on free loopback ports."""
    from bot.local_bot import local_bot

    workdir = tmp_path_factory.mktemp("bot")
    knowledge = workdir / "knowledge"
    shutil.copytree(PROJECT_ROOT / "knowledge" / "data" / "procedures", knowledge / "procedures")
    shutil.copy(E2E_WARD, knowledge / "ward.yml")
    tokens = {"THUTUC_CLERK_TOKEN": "clerk-test-token", "THUTUC_SYNC_TOKEN": "sync-test-token"}
    with local_bot(workdir, knowledge, extra_env=tokens) as servers:
        yield RunningBot(servers.rasa_url, servers.api_token, os.environ["DATABASE_URL"])


# The trained bot behind the Zalo route (tests/channels, tests/security): one session fixture for the whole run.
from tests.fakes.zalo_bot import zalo_bot  # noqa: E402,F401
