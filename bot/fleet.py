"""A fleet on loopback, as deploy/ runs it on a host: one action server, N Rasa replicas sharing PostgreSQL and
Redis, nginx in front with the shipped site (bot/nginx_site.py). Used by the fleet test and bench/bench_fleet.py.

The caller provides the shared stores (their URLs in `env`); every process gets the same environment apart from
its port and `THUTUC_REPLICA_NAME`, like the systemd units and the compose file.
"""
from __future__ import annotations

import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Dict, List, Optional

from base.settings import PROJECT_ROOT, Settings
from bot.endpoints import render_endpoints
from bot.local_bot import _environment, free_port
from bot.nginx_site import LoopbackNginx
from bot.serve_cli import rasa_command
from bot.servers import ServerStartError, _answers
from bot.training import rasa_environment


@dataclass
class Process:
    name: str
    port: int
    popen: subprocess.Popen
    log: Path

    @property
    def alive(self) -> bool:
        return self.popen.poll() is None


@dataclass
class Fleet:
    workdir: Path
    model: Path
    env: Dict[str, str]  # DATABASE_URL, TRACKER_DATABASE_URL, REDIS_URL, … for every process
    replicas: int = 2
    with_nginx: bool = True
    api_token: str = field(default_factory=lambda: secrets.token_urlsafe(24), repr=False)
    action_secret: str = field(default_factory=lambda: secrets.token_urlsafe(32), repr=False)
    action: Optional[Process] = None
    rasa: List[Process] = field(default_factory=list)
    nginx: Optional[LoopbackNginx] = None
    _logs: List[IO[bytes]] = field(default_factory=list, repr=False)
    _nginx_dir: Optional[Path] = field(default=None, repr=False)

    @property
    def log_dir(self) -> Path:
        return self.workdir / "logs"

    def _environment(self) -> Dict[str, str]:
        env = rasa_environment()
        env.update(self.env)
        env.update({"RASA_API_TOKEN": self.api_token, "THUTUC_ACTION_SECRET": self.action_secret,
                    "THUTUC_TRUSTED_PROXIES": "127.0.0.1"})
        return env

    def load_knowledge(self, knowledge_dir: Path) -> None:
        subprocess.run([sys.executable, "-m", "bot.cli", "kb", "load", str(knowledge_dir)], cwd=PROJECT_ROOT,
                       env=self._environment(), check=True, stdout=subprocess.DEVNULL)

    def _spawn(self, name: str, port: int, command: List[str], env: Dict[str, str]) -> Process:
        log_path = self.log_dir / f"{name}.log"
        log = open(log_path, "ab")
        self._logs.append(log)
        popen = subprocess.Popen(command, cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                 start_new_session=True)
        return Process(name, port, popen, log_path)

    def start(self, timeout_s: float = 300.0) -> "Fleet":
        self.log_dir.mkdir(parents=True, exist_ok=True)
        env = self._environment()
        with _environment(dict(self.env)):
            settings = Settings()
        action_port = free_port()
        endpoints = render_endpoints(settings, f"http://127.0.0.1:{action_port}/webhook",
                                     self.workdir / "endpoints.yml", with_action_secret=True)
        python = sys.executable
        try:
            self.action = self._spawn("actions", action_port,
                                      [python, "-m", "bot.action_server", "--port", str(action_port)],
                                      {**env, "THUTUC_ACTION_METRICS_PORT": str(free_port())})
            for index in range(1, self.replicas + 1):
                port = free_port()
                replica_env = {**env, "THUTUC_REPLICA_NAME": f"rasa-{index}", "RASA_PORT": str(port),
                               "THUTUC_BIND_HOST": "127.0.0.1", "RASA_URL": f"http://127.0.0.1:{port}",
                               "THUTUC_METRICS_PORT": str(free_port())}  # private /metrics (base/metrics.py)
                with _environment({k: replica_env[k] for k in ("RASA_PORT", "THUTUC_BIND_HOST", "RASA_API_TOKEN")}):
                    command = rasa_command(Settings(), self.model, endpoints)  # what `thutuc serve rasa` runs
                self.rasa.append(self._spawn(f"rasa-{index}", port, command, replica_env))
            self._wait_ready(timeout_s)
            if self.with_nginx:
                # Its own directory under /tmp: nginx runs unprivileged and must reach it (pytest's are 0700).
                self._nginx_dir = Path(tempfile.mkdtemp(prefix="thutuc-nginx-"))
                self.nginx = LoopbackNginx(self._nginx_dir, [r.port for r in self.rasa], free_port(),
                                           free_port()).start()
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_ready(self, timeout_s: float) -> None:
        assert self.action is not None
        pending = {self.action.name: f"http://127.0.0.1:{self.action.port}/health"}
        pending.update({r.name: f"{self.rasa_url(r.name)}/status" for r in self.rasa})
        deadline = time.monotonic() + timeout_s
        while pending:
            for process in [self.action, *self.rasa]:
                if not process.alive:
                    raise ServerStartError(f"{process.name} exited with {process.popen.returncode}; see {process.log}")
            for name, url in list(pending.items()):
                if _answers(url, self.api_token):
                    del pending[name]
            if time.monotonic() > deadline:
                raise ServerStartError(f"{', '.join(pending)} did not start in {timeout_s:.0f} s; logs in {self.log_dir}")
            time.sleep(0.5)

    def replica(self, name: str) -> Process:
        return next(r for r in self.rasa if r.name == name)

    def rasa_url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.replica(name).port}"

    @property
    def url(self) -> str:
        """Where clients reach the fleet: nginx (HTTPS, self-signed), else the first replica."""
        return self.nginx.url if self.nginx is not None else self.rasa_url(self.rasa[0].name)

    def kill(self, name: str) -> None:
        """SIGKILL: the replica dies without a chance to finish, answer or clean up."""
        process = self.replica(name)
        os.killpg(process.popen.pid, signal.SIGKILL)
        process.popen.wait(timeout=10)

    def stop(self) -> None:
        if self.nginx is not None:
            self.nginx.stop()
            shutil.copytree(self.nginx.prefix / "logs", self.log_dir / "nginx", dirs_exist_ok=True)
        if self._nginx_dir is not None:
            shutil.rmtree(self._nginx_dir, ignore_errors=True)
            self._nginx_dir = None
        processes = [p for p in [*self.rasa, self.action] if p is not None]
        for process in processes:
            if process.alive:
                os.killpg(process.popen.pid, signal.SIGTERM)
        for process in processes:
            try:
                process.popen.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.popen.pid, signal.SIGKILL)
                process.popen.wait()
        for log in self._logs:
            log.close()
        self._logs.clear()

    def __enter__(self) -> "Fleet":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
