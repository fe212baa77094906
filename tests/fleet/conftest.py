"""A fleet on loopback for the fleet tests: our own PostgreSQL and Redis, a fake Zalo API, one action server, two
Rasa replicas and nginx with the shipped site (bot/fleet.py)."""
from __future__ import annotations

import shutil
import uuid
from pathlib import Path
from typing import Iterator

import pytest

from bot.nginx_site import NGINX
from tests.fakes.zalo_bot import E2E_WARD, OA_SECRET, PROJECT_ROOT
from tests.fakes.zalo_server import FakeZaloServer, bot_environment
from tests.faults.dependencies import OwnPostgres, OwnRedis


@pytest.fixture(scope="module")
def fleet_dependencies():
    if not Path(NGINX).exists():
        pytest.skip(f"{NGINX} is missing (scripts/test.sh installs nginx-light)")
    postgres, redis_server = OwnPostgres().start(), OwnRedis().start()
    try:
        yield postgres, redis_server
    finally:
        redis_server.close()
        postgres.close()


def fleet_environment(postgres: OwnPostgres, redis_url: str, workdir: Path) -> dict[str, str]:
    return {
        "DATABASE_URL": postgres.create_database(f"thutuc_{uuid.uuid4().hex[:8]}"),
        "TRACKER_DATABASE_URL": postgres.create_database(f"conversations_{uuid.uuid4().hex[:8]}"),
        "REDIS_URL": redis_url,
        "THUTUC_WEBCHAT_SECRET": "fleet-test-webchat-secret-" + uuid.uuid4().hex,  # the same on every replica
        "THUTUC_CLIENT_KEY_SECRET": "fleet-test-client-key-secret",
        "KNOWLEDGE_CACHE_DIR": str(workdir / "cache"),
    }


def knowledge_copy(workdir: Path) -> Path:
    knowledge = workdir / "knowledge"
    shutil.copytree(PROJECT_ROOT / "knowledge" / "data" / "procedures", knowledge / "procedures")
    shutil.copy(E2E_WARD, knowledge / "ward.yml")
    return knowledge


@pytest.fixture(scope="module")
def fake_zalo() -> Iterator[FakeZaloServer]:
    with FakeZaloServer.in_thread() as zalo:
        yield zalo


@pytest.fixture(scope="module")
def fleet(fleet_dependencies, fake_zalo, tmp_path_factory):
    from bot.fleet import Fleet
    from bot.training import ensure_model

    postgres, redis_server = fleet_dependencies
    workdir = tmp_path_factory.mktemp("fleet")
    env = fleet_environment(postgres, redis_server.url, workdir)
    env.update(bot_environment(fake_zalo, str(workdir / "zalo_tokens.json"), OA_SECRET))
    env["THUTUC_REPLICA_HEARTBEAT_SECONDS"] = "3"  # a dead replica's Zalo deliveries are taken over within ~4 s
    fleet = Fleet(workdir, ensure_model(quiet=True), env, replicas=2)
    fleet.load_knowledge(knowledge_copy(workdir))
    with fleet:
        yield fleet
