"""Shared fixtures: isolated databases (SQLite file, own PostgreSQL database), a Redis key prefix of its own, and a
running assistant (action server + Rasa server) for end-to-end and browser tests."""
from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import pytest
import requests

from base.rasa_api import auth_headers
from base.settings import get_settings

E2E_WARD = Path(__file__).parent / "e2e" / "fixtures" / "ward.yml"


def _postgres_available() -> bool:
    try:
        import psycopg2

        psycopg2.connect(host="127.0.0.1", port=5432, user="postgres", dbname="test", connect_timeout=2).close()
        return True
    except Exception:
        return False


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'thutuc-test.db'}"


@pytest.fixture
def postgres_url():
    """A fresh PostgreSQL database of our own, dropped afterwards."""
    if not _postgres_available():
        pytest.skip("PostgreSQL at 127.0.0.1:5432 is not reachable")
    import psycopg2

    name = f"thutuc_test_{uuid.uuid4().hex[:10]}"
    admin = psycopg2.connect(host="127.0.0.1", port=5432, user="postgres", dbname="test")
    admin.autocommit = True
    admin.cursor().execute(f'CREATE DATABASE "{name}"')
    url = f"postgresql+psycopg2://postgres@127.0.0.1:5432/{name}"
    yield url
    from base.db import _engines

    engine = _engines.pop(url, None)
    if engine is not None:
        engine.dispose()
    admin.cursor().execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.close()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request) -> str:
    """Each test that asks for it runs on SQLite and on PostgreSQL."""
    return request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "postgres_url")


@pytest.fixture
def redis_client():
    """The shared Redis at 127.0.0.1:6379 and a key prefix of this test's own; its keys are deleted afterwards."""
    redis = pytest.importorskip("redis")
    client = redis.Redis(host="127.0.0.1", port=6379, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError:
        pytest.skip("Redis at 127.0.0.1:6379 is not reachable")
    client.test_prefix = f"test-thutuc-{uuid.uuid4().hex}:"
    yield client
    for key in client.scan_iter(client.test_prefix + "*"):
        client.delete(key)
    client.close()


@dataclass
class RunningBot:
    rasa_url: str
    api_token: str
    database_url: str
    metrics_url: str = ""  # the Rasa server's private /metrics (base/metrics.py)
    action_metrics_url: str = ""  # the action server's
    action_url: str = ""  # the action server's webhook (its public port)
    # Its own conversations database: read this, never the environment, which holds the newest started bot's
    # (session fixtures nest: tests/fakes/zalo_bot.py starts another bot while this one runs).
    tracker_database_url: str = ""

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
                                headers=auth_headers(self.api_token), timeout=10)
        response.raise_for_status()
        return response.json()


@pytest.fixture
def settings_env(monkeypatch):
    """`settings_env(NAME="value", ...)`: environment variables read by base/settings.py for one test."""
    def apply(**values: str) -> None:
        for key, value in values.items():
            monkeypatch.setenv(key, value)
        get_settings.cache_clear()

    yield apply
    get_settings.cache_clear()


@pytest.fixture(scope="session")
def running_bot(tmp_path_factory) -> Iterator[RunningBot]:
    """The assistant with the shipped procedures and an always-open test ward, on free loopback ports."""
    from bot.local_bot import local_bot

    workdir = tmp_path_factory.mktemp("bot")
    from bot.local_bot import copy_knowledge
    from tests.fakes.staff import ensure_staff

    knowledge = copy_knowledge(workdir / "knowledge", E2E_WARD)
    tokens = {"THUTUC_SYNC_TOKEN": "sync-test-token"}
    with local_bot(workdir, knowledge, extra_env=tokens) as servers:
        ensure_staff(os.environ["DATABASE_URL"])  # clerk "lan", operator "minh" (tests/fakes/staff.py)
        yield RunningBot(servers.rasa_url, servers.api_token, os.environ["DATABASE_URL"], servers.metrics_url,
                         servers.action_metrics_url, servers.action_url, os.environ["TRACKER_DATABASE_URL"])


# The trained bot behind the Zalo route (tests/channels, tests/security): one session fixture for the whole run.
from tests.fakes.zalo_bot import zalo_bot  # noqa: E402,F401
