"""Start the action server and the Rasa server as child processes and wait until both answer.

Used by `thutuc run` and by the end-to-end test fixture, so tests exercise exactly what operators run.
"""
from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Optional

import requests

from base.rasa_api import api_secret, auth_headers
from bot.endpoints import render_endpoints
from base.settings import METRICS_PORT_OFFSET, PROJECT_ROOT, VAR_DIR, Settings
from bot.training import rasa_environment


class ServerStartError(RuntimeError):
    pass


@dataclass
class BotServers:
    """The two running processes and how to reach them."""

    model: Path
    settings: Settings
    rasa_port: int
    action_port: int
    api_token: str = field(repr=False)
    # Shared secret between the two processes (THUTUC_ACTION_SECRET, or a fresh one per run); never printed.
    action_secret: str = field(default_factory=lambda: secrets.token_urlsafe(32), repr=False)
    work_dir: Path = VAR_DIR  # rendered endpoints and logs go here
    # Private /metrics ports (base/metrics.py); None: the settings' (RASA_PORT / ACTION_PORT + 4000, or as set).
    metrics_port: Optional[int] = None
    action_metrics_port: Optional[int] = None
    _processes: list[subprocess.Popen] = field(default_factory=list)
    _logs: list[IO[bytes]] = field(default_factory=list)

    @property
    def rasa_url(self) -> str:
        return f"http://{self._local_host}:{self.rasa_port}"

    @property
    def action_url(self) -> str:
        return f"http://{_reachable(self.settings.action_bind_host)}:{self.action_port}/webhook"

    @property
    def metrics_url(self) -> str:
        """The Rasa server's private /metrics."""
        return f"http://{_reachable(self.settings.metrics_bind_host)}:{self._metrics_ports()[0]}/metrics"

    @property
    def action_metrics_url(self) -> str:
        return f"http://{_reachable(self.settings.metrics_bind_host)}:{self._metrics_ports()[1]}/metrics"

    def _metrics_ports(self) -> tuple[int, int]:
        """Ports of the two /metrics listeners: as given, else as configured, else the server's port + 4000."""
        configured = self.settings.metrics_port
        rasa = self.metrics_port if self.metrics_port is not None else (
            configured if configured is not None else self.rasa_port + METRICS_PORT_OFFSET)
        configured = self.settings.action_metrics_port
        actions = self.action_metrics_port if self.action_metrics_port is not None else (
            configured if configured is not None else self.action_port + METRICS_PORT_OFFSET)
        return rasa, actions

    @property
    def _local_host(self) -> str:
        return _reachable(self.settings.bind_host)

    @property
    def log_dir(self) -> Path:
        return self.work_dir / "logs"

    def start(self, timeout_s: float = 240.0) -> "BotServers":
        self.log_dir.mkdir(parents=True, exist_ok=True)
        env = rasa_environment()
        env["RASA_API_TOKEN"] = self.api_token
        env["RASA_URL"] = self.rasa_url
        env["THUTUC_ACTION_SECRET"] = self.action_secret  # both processes: the action server checks it, Rasa sends it
        env["THUTUC_METRICS_PORT"], env["THUTUC_ACTION_METRICS_PORT"] = map(str, self._metrics_ports())
        endpoints = render_endpoints(self.settings, self.action_url, self.work_dir / f"endpoints-{self.rasa_port}.yml",
                                     with_action_secret=True)
        python = sys.executable
        self._spawn(
            [python, "-m", "bot.action_server", "--port", str(self.action_port)],
            env, self.log_dir / f"actions-{self.action_port}.log",
        )
        self._spawn(
            [
                python, "-m", "bot.rasa_server", "run",
                "--model", str(self.model),
                "--enable-api",  # authenticated by JWTs signed with RASA_API_TOKEN (bot/rasa_server.py)
                "--interface", self.settings.bind_host, "--port", str(self.rasa_port),
                "--endpoints", str(endpoints),
                "--credentials", str(PROJECT_ROOT / "credentials.yml"),
            ],
            env, self.log_dir / f"rasa-{self.rasa_port}.log",
        )
        try:
            self._wait_ready(timeout_s)
        except Exception:
            self.stop()
            raise
        return self

    def _spawn(self, command: list[str], env: dict[str, str], log_file: Path) -> None:
        log = open(log_file, "ab")
        self._logs.append(log)
        self._processes.append(
            subprocess.Popen(command, cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                             start_new_session=True)
        )

    def _wait_ready(self, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        checks = {
            "action server": self.action_url.rsplit("/", 1)[0] + "/health",
            "Rasa server": f"{self.rasa_url}/status",
        }
        pending = dict(checks)
        while pending:
            for process in self._processes:
                if process.poll() is not None:
                    raise ServerStartError(
                        f"a server exited with code {process.returncode}; see logs in {self.log_dir}"
                    )
            for name, url in list(pending.items()):
                if _answers(url, self.api_token):
                    del pending[name]
            if time.monotonic() > deadline:
                raise ServerStartError(f"{', '.join(pending)} did not start in {timeout_s:.0f} s; logs in {self.log_dir}")
            time.sleep(0.5)

    def wait(self) -> int:
        """Block until a child exits, Ctrl-C or SIGTERM (what service managers send), then stop both children."""
        previous = signal.signal(signal.SIGTERM, _raise_keyboard_interrupt)
        try:
            while all(p.poll() is None for p in self._processes):
                time.sleep(0.5)
        except KeyboardInterrupt:
            pass
        finally:
            signal.signal(signal.SIGTERM, previous)
            self.stop()
        return max((p.returncode or 0) for p in self._processes)

    def stop(self) -> None:
        for process in self._processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self._processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        for log in self._logs:
            log.close()
        self._logs.clear()

    def __enter__(self) -> "BotServers":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _reachable(bind_host: str) -> str:
    """Where a local client reaches a server bound to `bind_host`."""
    return "127.0.0.1" if bind_host in {"0.0.0.0", "::"} else bind_host


def _raise_keyboard_interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _answers(url: str, api_secret: str) -> bool:
    try:
        return requests.get(url, headers=auth_headers(api_secret), timeout=2).status_code == 200
    except requests.RequestException:
        return False


def new_api_token(settings: Settings) -> str:
    """The Rasa HTTP API is never left open: the configured secret, or the development one under var/."""
    return api_secret(settings)


def servers_for(model: Path, settings: Settings, rasa_port: Optional[int] = None,
                action_port: Optional[int] = None) -> BotServers:
    servers = BotServers(
        model=model,
        settings=settings,
        rasa_port=rasa_port or settings.rasa_port,
        action_port=action_port or settings.action_port,
        api_token=new_api_token(settings),
    )
    if settings.action_secret:
        servers.action_secret = settings.action_secret
    return servers
