"""An isolated assistant on loopback: its own databases in a work directory, the current model, free ports.

Used by the end-to-end test fixture and the benchmarks, so both exercise exactly what `thutuc run` starts.
"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Optional

from bot.servers import BotServers, servers_for
from base.settings import PROJECT_ROOT, get_settings


def copy_knowledge(target: Path, ward: Path) -> Path:
    """The shipped curated data (procedures and colloquial names) with another ward file, for tests and tools that
    need fixed office hours; returns `target`."""
    source = PROJECT_ROOT / "knowledge" / "data"
    shutil.copytree(source / "procedures", target / "procedures")
    for name in ("colloquial.yml", "colloquial_reviewed.yml"):  # curated, and generated from reviews
        if (source / name).exists():
            shutil.copy(source / name, target / name)
    shutil.copy(ward, target / "ward.yml")
    return target


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def _environment(values: dict[str, Optional[str]]) -> Iterator[None]:
    """Set (or, with None, remove) environment variables for the block; restore them afterwards."""
    saved = {key: os.environ.get(key) for key in values}
    try:
        for key, value in values.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        get_settings.cache_clear()
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        get_settings.cache_clear()


@contextmanager
def local_bot(workdir: Path, knowledge_dir: Optional[Path] = None, model: Optional[Path] = None,
              extra_env: Optional[dict[str, Optional[str]]] = None,
              server_only_env: Optional[dict[str, Optional[str]]] = None,
              catalogue: Optional[Path] = None) -> Iterator[BotServers]:
    """Train if needed, load the knowledge base into fresh databases under `workdir`, start both servers.

    `catalogue` (a national-portal `.jsonl`/`.jsonl.gz` file) is imported after the curated data, as operators do
    with `thutuc kb import`, so imported entries compete with curated ones in search.

    `extra_env` is set in this process for the whole block (tests read the same databases); `server_only_env` is
    set only while the servers start — they keep their copy — so settings meant for the servers alone (a fake Zalo
    API, say) do not reach the rest of the process.
    """
    from bot.training import ensure_model

    workdir.mkdir(parents=True, exist_ok=True)
    values: dict[str, Optional[str]] = {
        "DATABASE_URL": f"sqlite:///{workdir / 'thutuc.db'}",
        "TRACKER_DATABASE_URL": f"sqlite:///{workdir / 'conversations.db'}",
        "THUTUC_WEBCHAT_SECRET_FILE": str(workdir / "webchat_secret"),
        "REDIS_URL": None,
        **(extra_env or {}),
    }
    with _environment(values):
        model = model or ensure_model(quiet=True)
        command = [sys.executable, "-m", "bot.cli", "kb", "load"] + ([str(knowledge_dir)] if knowledge_dir else [])
        subprocess.run(command, cwd=PROJECT_ROOT, check=True, stdout=subprocess.DEVNULL)
        if catalogue is not None:
            subprocess.run([sys.executable, "-m", "bot.cli", "kb", "import", "--quiet", str(catalogue)],
                           cwd=PROJECT_ROOT, check=True, stdout=subprocess.DEVNULL)
        with _environment(server_only_env or {}):
            servers = servers_for(model, get_settings(), rasa_port=free_port(), action_port=free_port())
            servers.metrics_port, servers.action_metrics_port = free_port(), free_port()
            servers.work_dir = workdir
            servers.start()
        try:
            with _environment({"RASA_API_TOKEN": servers.api_token, "RASA_URL": servers.rasa_url}):
                yield servers
        finally:
            servers.stop()
