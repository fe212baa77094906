"""Shared fixtures: a running assistant (action server + Rasa server) for end-to-end and browser tests."""
from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import pytest
import requests


E2E_WARD = Path(__file__).parent / "e2e" / "fixtures" / "ward.yml"


@dataclass
class RunningBot:
    rasa_url: str
    api_token: str
    database_url: str

    def send(self, text: str, sender: str | None = None, timeout: float = 30) -> list[dict[str, Any]]:
        """One message over the REST channel, as a web or Zalo user would send it."""
        response = requests.post(
            f"{self.rasa_url}/webhooks/rest/webhook",
            json={"sender": sender or f"e2e-{uuid.uuid4().hex[:8]}", "message": text},
            timeout=timeout,
        )
        response.raise_for_status()
        return response.json()

    def tracker(self, sender: str) -> dict[str, Any]:
        response = requests.get(f"{self.rasa_url}/conversations/{sender}/tracker",
                                params={"token": self.api_token}, timeout=10)
        response.raise_for_status()
        return response.json()


@pytest.fixture(scope="session")
def running_bot(tmp_path_factory) -> Iterator[RunningBot]:
    """The assistant with the shipped procedures and an always-open test ward, on free loopback ports."""
    from bot.local_bot import local_bot

    workdir = tmp_path_factory.mktemp("bot")
    from bot.local_bot import copy_knowledge

    knowledge = copy_knowledge(workdir / "knowledge", E2E_WARD)
    tokens = {"THUTUC_CLERK_TOKEN": "clerk-test-token", "THUTUC_SYNC_TOKEN": "sync-test-token"}
    with local_bot(workdir, knowledge, extra_env=tokens) as servers:
        yield RunningBot(servers.rasa_url, servers.api_token, os.environ["DATABASE_URL"])
