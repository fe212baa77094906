"""Fixtures for channel tests: a fake Zalo API and the Zalo webhook mounted in a Rasa-like app on loopback."""
from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional

import aiohttp
import pytest

from base.keystore import InMemoryKeyStore, KeyStore
from bot.channels.zalo import ZaloInput
from bot.channels.zalo_client import ZaloClient, ZaloOAuthClient
from bot.channels.zalo_signature import signature_header
from bot.channels.zalo_tokens import FileTokenStore, TokenManager, ZaloTokens
from tests.fakes.channel_app import EchoAgent, RunningApp, SetConversationControl, build_app
from tests.fakes.zalo_server import FakeZaloServer

APP_ID = "1234567890"
OA_SECRET = "oa-secret-for-tests"
APP_SECRET = "app-secret-for-tests"
USER_ID = "8470117331209467721"  # real ids are strings longer than 2^53
OA_ID = "579745863508352884"


def make_zalo_channel(zalo: FakeZaloServer, token_file: Path, store: Optional[KeyStore] = None, control=None) -> ZaloInput:
    oauth = ZaloOAuthClient(zalo.base_url, APP_ID, APP_SECRET)
    tokens = TokenManager(FileTokenStore(token_file), oauth.refresh, ZaloTokens("AT-0", "RT-0"))
    client = ZaloClient(zalo.base_url, tokens, rate_limit_retry_delay_s=0)
    kwargs = {"control_factory": control} if control is not None else {}
    return ZaloInput(APP_ID, OA_SECRET, client, store or InMemoryKeyStore(), **kwargs)


def text_event(text: str, msg_id: str, user_id: str = USER_ID, timestamp: Optional[str] = None) -> Dict[str, Any]:
    return {
        "app_id": APP_ID,
        "user_id_by_app": "552177279717587730",
        "event_name": "user_send_text",
        "timestamp": timestamp or str(int(time.time() * 1000)),
        "sender": {"id": user_id},
        "recipient": {"id": OA_ID},
        "message": {"text": text, "msg_id": msg_id},
    }


@dataclass
class ZaloHarness:
    zalo: FakeZaloServer
    channel: ZaloInput
    agent: EchoAgent
    control: SetConversationControl
    server: RunningApp
    http: aiohttp.ClientSession
    token_file: Path

    @property
    def webhook_url(self) -> str:
        return self.server.url + "/webhooks/zalo/webhook"

    async def post_raw(self, raw: bytes, headers: Dict[str, str]) -> aiohttp.ClientResponse:
        async with self.http.post(self.webhook_url, data=raw, headers=headers) as response:
            await response.read()
            return response

    async def post_event(self, event: Any, secret: str = OA_SECRET, timestamp_in_header: bool = False) -> int:
        raw = json.dumps(event, ensure_ascii=False).encode("utf-8")
        timestamp = str(event.get("timestamp", "")) if isinstance(event, dict) else ""
        headers = {"Content-Type": "application/json"}
        if timestamp_in_header:
            timestamp = str(int(time.time() * 1000))
            headers["X-ZEvent-Timestamp"] = timestamp
        headers["X-ZEvent-Signature"] = signature_header(APP_ID, raw, timestamp, secret)
        response = await self.post_raw(raw, headers)
        return response.status

    async def settle(self) -> None:
        await self.channel.wait_for_background_tasks()

    def replies(self, user_id: str = USER_ID) -> List[Dict[str, Any]]:
        return self.zalo.delivered(user_id)


@pytest.fixture
async def zalo_harness(tmp_path: Path):
    async with FakeZaloServer(app_id=APP_ID, app_secret=APP_SECRET) as zalo:
        agent = EchoAgent()
        control = SetConversationControl(agent)
        channel = make_zalo_channel(zalo, tmp_path / "zalo_tokens.json", control=lambda app: control)
        server = await RunningApp(build_app([channel], agent)).start()
        async with aiohttp.ClientSession() as http:
            try:
                yield ZaloHarness(zalo, channel, agent, control, server, http, tmp_path / "zalo_tokens.json")
            finally:
                await channel.wait_for_background_tasks()
                await server.stop()
                await channel.client.close()

