"""The Rasa server's app as `rasa run` builds it (Rasa's configure_app with bot/http_guard.py installed, channels
from credentials.yml, the HTTP API on) in front of the scripted EchoAgent, served on every interface so requests can
come from a loopback and from a non-loopback peer."""
from __future__ import annotations

import socket
from pathlib import Path
from typing import Iterator, Optional

import pytest

from tests.fakes.channel_app import EchoAgent, RunningApp

PROJECT_ROOT = Path(__file__).resolve().parents[2]
API_TOKEN = "api-token-for-tests"


def outside_address() -> Optional[str]:
    """This machine's address on a non-loopback interface (requests to it come from a non-loopback peer)."""
    candidates = []
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        probe.connect(("10.255.255.255", 9))  # no packet is sent: this only picks the outgoing interface
        candidates.append(probe.getsockname()[0])
    except OSError:
        pass
    finally:
        probe.close()
    try:
        candidates += socket.gethostbyname_ex(socket.gethostname())[2]
    except OSError:
        pass
    return next((a for a in candidates if not a.startswith("127.") and a != "0.0.0.0"), None)


def build_rasa_app(env: dict, monkeypatch):
    """Rasa's own app factory, after bot.http_guard.install(), with the settings of `env`."""
    import rasa.core.run as rasa_run
    from rasa.core.run import create_http_input_channels

    from base.settings import get_settings
    from bot import http_guard

    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("REDIS_URL", raising=False)
    get_settings.cache_clear()
    monkeypatch.setattr(rasa_run, "configure_app", rasa_run.configure_app)  # undone after the test
    http_guard.install()
    channels = create_http_input_channels(None, str(PROJECT_ROOT / "credentials.yml"))
    app = rasa_run.configure_app(channels, cors=None, auth_token=API_TOKEN, enable_api=True)
    app.ctx.agent = EchoAgent()
    return app


@pytest.fixture
async def rasa_app(monkeypatch, tmp_path) -> Iterator[RunningApp]:
    app = build_rasa_app({"THUTUC_WEBCHAT_SECRET_FILE": str(tmp_path / "webchat_secret")}, monkeypatch)
    server = await RunningApp(app, host="0.0.0.0").start()
    try:
        yield server
    finally:
        await server.stop()
        from base.settings import get_settings

        get_settings.cache_clear()
