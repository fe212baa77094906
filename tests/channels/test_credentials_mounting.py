"""credentials.yml as Rasa reads it: every channel is created from it and mounts where docs/channels.md says."""
from __future__ import annotations

from pathlib import Path

import aiohttp

from tests.fakes.channel_app import EchoAgent, RunningApp

PROJECT_ROOT = Path(__file__).resolve().parents[2]


async def test_channels_from_credentials_mount_at_documented_urls(monkeypatch, tmp_path):
    from rasa.core.channels.channel import register
    from rasa.core.run import create_http_input_channels
    from sanic import Sanic

    from base.settings import get_settings

    from bot.channels.rest import LocalRestInput

    monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.setenv("THUTUC_WEBCHAT_SECRET_FILE", str(tmp_path / "webchat_secret"))
    get_settings.cache_clear()
    try:
        channels = create_http_input_channels(None, str(PROJECT_ROOT / "credentials.yml"))
        names = {channel.name() for channel in channels}
        assert {"rest", "zalo", "webchat", "clerk", "admin"} <= names
        assert any(isinstance(channel, LocalRestInput) for channel in channels)  # not Rasa's public one

        app = Sanic("credentials_mounting_test")
        app.ctx.agent = EchoAgent()
        register(channels, app, route="/webhooks/")  # exactly what `rasa run` does
        server = await RunningApp(app).start()
        try:
            async with aiohttp.ClientSession() as http:
                async with http.get(server.url + "/webhooks/zalo/") as zalo:
                    assert zalo.status == 200
                async with http.post(server.url + "/webhooks/zalo/webhook", data=b"{}") as unsigned:
                    assert unsigned.status == 401
                async with http.get(server.url + "/chat/") as chat:
                    assert chat.status == 200 and "Hỏi đáp thủ tục" in await chat.text()
                async with http.get(server.url + "/clerk/") as clerk:
                    assert clerk.status == 200 and "Bàn cán bộ" in await clerk.text()
                async with http.get(server.url + "/admin/") as admin:
                    assert admin.status == 200 and "Bảng điều khiển vận hành" in await admin.text()
                async with http.get(server.url + "/admin/api/report") as report:
                    assert report.status == 401  # no session: nothing is read
        finally:
            await server.stop()
    finally:
        get_settings.cache_clear()
