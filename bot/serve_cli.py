"""`thutuc serve rasa` and `thutuc serve actions`: one server per process, for a fleet (systemd units, containers).

`thutuc run` starts a pair and generates what it needs; a fleet instead runs N Rasa replicas and one or more action
servers as separate services that must agree on their secrets, so `serve` refuses to start without them
(`RASA_API_TOKEN`, `THUTUC_ACTION_SECRET`) and never trains: run `thutuc train` once, before starting the replicas.
Each command replaces itself with the server (exec), so the service manager supervises the server directly.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Optional

import click

from base.settings import PROJECT_ROOT, VAR_DIR, Settings, get_settings


def register(cli: click.Group) -> None:
    cli.add_command(serve)


@click.group()
def serve() -> None:
    """Chạy riêng một máy chủ (Rasa hoặc hành động) cho một cụm nhiều bản sao."""


def newest_model() -> Optional[Path]:
    from bot.training import MODELS_DIR

    models = sorted(MODELS_DIR.glob("thutuc-*.tar.gz"), key=lambda p: p.stat().st_mtime)
    return models[-1] if models else None


def action_url(settings: Settings) -> str:
    return settings.action_url or f"http://127.0.0.1:{settings.action_port}/webhook"


def rasa_command(settings: Settings, model: Path, endpoints: Path) -> list[str]:
    return [
        # The API is authenticated by JWTs signed with RASA_API_TOKEN, which bot/rasa_server.py reads from the
        # environment inside the process (never on this command line).
        sys.executable, "-m", "bot.rasa_server", "run", "--model", str(model), "--enable-api",
        "--interface", settings.bind_host, "--port", str(settings.rasa_port),
        "--endpoints", str(endpoints), "--credentials", str(PROJECT_ROOT / "credentials.yml"),
    ]


def _require(settings: Settings, *names: str) -> None:
    missing = [name for name in names if not getattr(settings, name.lower().removeprefix("thutuc_"), None)]
    if missing:
        raise click.ClickException(f"thiếu biến môi trường {', '.join(missing)} (mọi bản sao phải dùng chung)")


@serve.command("rasa")
@click.option("--model", "model_path", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Mô hình (mặc định: mô hình mới nhất trong models/).")
def serve_rasa(model_path: Optional[Path]) -> None:
    """Một máy chủ Rasa (một bản sao) tại THUTUC_BIND_HOST:RASA_PORT."""
    from bot.endpoints import render_endpoints
    from bot.training import rasa_environment

    settings = get_settings()
    _require(settings, "RASA_API_TOKEN", "THUTUC_ACTION_SECRET")
    model = model_path or newest_model()
    if model is None:
        raise click.ClickException("chưa có mô hình: chạy `thutuc train` trước")
    endpoints = render_endpoints(settings, action_url(settings), VAR_DIR / f"endpoints-{settings.rasa_port}.yml",
                                 with_action_secret=True)
    command = rasa_command(settings, model, endpoints)
    os.chdir(PROJECT_ROOT)
    os.execve(command[0], command, rasa_environment())


@serve.command("actions")
def serve_actions() -> None:
    """Một máy chủ hành động tại THUTUC_ACTION_BIND_HOST:ACTION_PORT."""
    from bot.training import rasa_environment

    settings = get_settings()
    _require(settings, "THUTUC_ACTION_SECRET")
    command = [sys.executable, "-m", "bot.action_server", "--port", str(settings.action_port)]
    os.chdir(PROJECT_ROOT)
    os.execve(command[0], command, rasa_environment())
