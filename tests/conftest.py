"""Shared fixtures: a running assistant (action server + Rasa server) for end-to-end and browser tests."""
from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import pytest
import requests

from bot.settings import PROJECT_ROOT, get_settings

E2E_WARD = Path(__file__).parent / "e2e" / "fixtures" / "ward.yml"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


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
    """Train (cached by input hash), load the knowledge base into a fresh database, start both servers."""
    from bot.servers import servers_for
    from bot.training import ensure_model

    workdir = tmp_path_factory.mktemp("bot")
    patcher = pytest.MonkeyPatch()
    database_url = f"sqlite:///{workdir / 'thutuc.db'}"
    patcher.setenv("DATABASE_URL", database_url)
    patcher.setenv("TRACKER_DATABASE_URL", f"sqlite:///{workdir / 'conversations.db'}")
    patcher.setenv("THUTUC_CLERK_TOKEN", "clerk-test-token")
    patcher.setenv("THUTUC_SYNC_TOKEN", "sync-test-token")
    patcher.delenv("REDIS_URL", raising=False)
    get_settings.cache_clear()
    try:
        model = ensure_model(quiet=True)
        knowledge = workdir / "knowledge"
        shutil.copytree(PROJECT_ROOT / "knowledge" / "data" / "procedures", knowledge / "procedures")
        shutil.copy(E2E_WARD, knowledge / "ward.yml")
        subprocess.run([sys.executable, "-m", "bot.cli", "kb", "load", str(knowledge)], cwd=PROJECT_ROOT,
                       check=True, stdout=subprocess.DEVNULL)
        servers = servers_for(model, get_settings(), rasa_port=free_port(), action_port=free_port())
        servers.work_dir = workdir
        patcher.setenv("RASA_API_TOKEN", servers.api_token)
        with servers:
            patcher.setenv("RASA_URL", servers.rasa_url)
            get_settings.cache_clear()
            yield RunningBot(servers.rasa_url, servers.api_token, database_url)
    finally:
        patcher.undo()
        get_settings.cache_clear()
