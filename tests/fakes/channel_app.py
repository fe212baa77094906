"""A Rasa-like Sanic app for channel tests: real channel blueprints, mounted the way Rasa mounts them, in front of a
scripted agent instead of a trained model (fast, deterministic, no training).

`EchoAgent` answers like a bot would: plain echo, a long answer, answers with buttons, and it honours paused
conversations the way Rasa's processor does (the message is logged, nothing is answered).
"""
from __future__ import annotations

import asyncio
import socket
import time
import uuid
from typing import Any, Dict, List, Optional, Sequence, Set

from sanic import Sanic

from rasa.core.channels.channel import InputChannel, UserMessage, register

# Several apps start in one test process; test mode keeps Sanic's request-handler rewrite repeatable.
Sanic.test_mode = True

LONG_SENTENCE = "Đây là một câu trả lời rất dài về thủ tục hành chính, được viết để kiểm tra việc chia tin nhắn. "


def scripted_reply(text: str) -> List[Dict[str, Any]]:
    """The responses EchoAgent sends for `text` (tests use it to know what to expect)."""
    lowered = text.lower()
    if lowered.startswith("dài"):
        return [{"text": (LONG_SENTENCE * 45).strip()}]
    if lowered.startswith("nhiều nút"):
        buttons = [{"title": f"Lựa chọn {i}", "payload": f"/choose{{\"n\": {i}}}"} for i in range(1, 8)]
        return [{"text": "Bạn chọn một mục nhé:", "buttons": buttons}]
    if "giấy tờ" in lowered or "giay to" in lowered:
        return [
            {
                "text": "Đăng ký khai sinh — mã 1.001193. Hồ sơ gồm: Tờ khai đăng ký khai sinh; Giấy chứng sinh. "
                "Xem thêm tại https://dichvucong.gov.vn/ .",
                "buttons": [
                    {"title": "Lệ phí", "payload": "/ask_fee"},
                    {"title": "Thời hạn giải quyết", "payload": "/ask_processing_time"},
                ],
            }
        ]
    if text == "/ask_fee":
        return [{"text": "Đăng ký khai sinh đúng hạn: miễn lệ phí."}]
    if "lệ phí" in lowered or "le phi" in lowered:
        return [{"text": "Về Đăng ký khai sinh: đăng ký đúng hạn được miễn lệ phí."}]
    return [{"text": f"Bạn hỏi: {text}"}]


class EchoAgent:
    """Stands in for `rasa.core.agent.Agent` (only `handle_message` is used by channels)."""

    def __init__(self) -> None:
        self.received: List[UserMessage] = []
        self.paused: Set[str] = set()
        self.gate: Optional[asyncio.Event] = None  # when set, handling waits for it (proves the webhook acks first)
        self.transcripts: Dict[str, List[Dict[str, Any]]] = {}  # what a tracker would hold, as the clerk page reads it

    async def handle_message(self, message: UserMessage) -> None:
        self.received.append(message)
        log = self.transcripts.setdefault(message.sender_id, [])
        log.append({"from": "citizen", "text": message.text or "", "at": time.time()})
        if self.gate is not None:
            await self.gate.wait()
        if message.sender_id in self.paused:
            return
        for reply in scripted_reply(message.text or ""):
            log.append({"from": "bot", "text": reply.get("text", ""), "at": time.time()})
            await message.output_channel.send_response(message.sender_id, dict(reply))

    def is_ready(self) -> bool:
        return True


class SetConversationControl:
    """ConversationControl over EchoAgent.paused."""

    def __init__(self, agent: EchoAgent) -> None:
        self._agent = agent
        self.pauses: List[str] = []

    async def pause(self, sender_id: str) -> None:
        self.pauses.append(sender_id)
        self._agent.paused.add(sender_id)

    async def is_paused(self, sender_id: str) -> bool:
        return sender_id in self._agent.paused

    async def resume(self, sender_id: str) -> None:
        self._agent.paused.discard(sender_id)


class EchoConversations:
    """ConversationRecord over EchoAgent.transcripts (the clerk page's view of the conversation)."""

    def __init__(self, agent: EchoAgent) -> None:
        self._agent = agent

    def __call__(self, app: Any) -> "EchoConversations":
        return self

    async def transcript(self, sender_id: str) -> List[Dict[str, Any]]:
        return list(self._agent.transcripts.get(sender_id, []))

    async def add_staff_message(self, sender_id: str, text: str, staff_name: str) -> None:
        self._agent.transcripts.setdefault(sender_id, []).append(
            {"from": "clerk", "text": text, "clerk": staff_name, "at": time.time()})


def build_app(channels: Sequence[InputChannel], agent: Any) -> Sanic:
    app = Sanic(f"channels_test_{uuid.uuid4().hex[:10]}")
    app.ctx.agent = agent
    register(list(channels), app, route="/webhooks/")
    return app


class RunningApp:
    """A Sanic app served on 127.0.0.1:<free port> (or `host`) inside the current event loop."""

    def __init__(self, app: Sanic, host: str = "127.0.0.1") -> None:
        self.app = app
        self.host = host
        self.port: Optional[int] = None
        self._server: Any = None

    @property
    def url(self) -> str:
        return f"http://{'127.0.0.1' if self.host == '0.0.0.0' else self.host}:{self.port}"

    async def start(self) -> "RunningApp":
        sock = socket.socket()
        sock.bind((self.host, 0))
        sock.listen(100)
        self.port = sock.getsockname()[1]
        self._server = await self.app.create_server(sock=sock, return_asyncio_server=True, access_log=False)
        await self._server.startup()
        await self._server.before_start()
        await self._server.after_start()
        return self

    async def stop(self) -> None:
        if self._server is not None:
            await self._server.before_stop()
            await self._server.close()
            await self._server.after_stop()
            self._server = None
