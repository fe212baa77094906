"""Process supervision of `thutuc run`: a service manager's SIGTERM must stop both servers, not orphan them."""
from __future__ import annotations

import os
import signal
import subprocess
import threading
from pathlib import Path

from bot.servers import BotServers
from base.settings import Settings


def test_sigterm_stops_both_children(tmp_path):
    servers = BotServers(model=Path("unused.tar.gz"), settings=Settings(), rasa_port=1, action_port=2,
                         api_token="t", work_dir=tmp_path)
    children = [subprocess.Popen(["sleep", "60"], start_new_session=True) for _ in range(2)]
    servers._processes.extend(children)
    threading.Timer(0.5, lambda: os.kill(os.getpid(), signal.SIGTERM)).start()
    servers.wait()
    assert all(child.poll() is not None for child in children)
    assert signal.getsignal(signal.SIGTERM) is not None  # the previous handler is restored


def test_action_server_has_its_own_loopback_bind_and_a_per_run_secret(tmp_path, monkeypatch):
    from bot.endpoints import render_endpoints
    from bot.servers import servers_for

    monkeypatch.setenv("THUTUC_BIND_HOST", "0.0.0.0")  # Rasa behind a proxy on another host
    monkeypatch.delenv("THUTUC_ACTION_BIND_HOST", raising=False)
    monkeypatch.delenv("THUTUC_ACTION_SECRET", raising=False)
    settings = Settings()
    assert settings.action_bind_host == "127.0.0.1"
    first, second = servers_for(Path("m.tar.gz"), settings), servers_for(Path("m.tar.gz"), settings)
    assert first.action_url.startswith("http://127.0.0.1:")
    assert len(first.action_secret) >= 32 and first.action_secret != second.action_secret
    assert first.action_secret not in repr(first)
    rendered = render_endpoints(settings, first.action_url, tmp_path / "endpoints.yml", with_action_secret=True)
    text = rendered.read_text(encoding="utf-8")
    assert "X-Thutuc-Action-Secret: ${THUTUC_ACTION_SECRET}" in text and first.action_secret not in text

    monkeypatch.setenv("THUTUC_ACTION_SECRET", "configured-secret")
    assert servers_for(Path("m.tar.gz"), Settings()).action_secret == "configured-secret"


def test_lock_store_is_the_resilient_one_and_keeps_redis_credentials_out_of_the_file(tmp_path):
    from bot.endpoints import render_endpoints

    settings = Settings(redis_url="redis://:p4ssword@127.0.0.1:6379/2")
    text = render_endpoints(settings, "http://127.0.0.1:5055/webhook", tmp_path / "e.yml").read_text(encoding="utf-8")
    assert "type: bot.lock_store.ResilientLockStore" in text and "p4ssword" not in text
