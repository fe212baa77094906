"""`POST /api/dossiers/sync` on a real Sanic server (mounted the way the Rasa server mounts channels) and the
notifications it triggers, delivered by the channel's notification loop through the fake Zalo OA API on loopback and
the web chat outbox."""
from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
import uuid
from datetime import timedelta

import pytest
import requests
from sanic import Sanic

from actions import dossier_status
from bot.channels.dossier_sync import DossierSyncInput
from base.settings import Settings
from base.keystore import InMemoryKeyStore
from base.outbox import Outbox
from bot.channels.citizen_replies import CitizenReplies
from bot.channels.notifications import NotificationLoop, make_notifier
from bot.channels.zalo import ZaloOutput
from bot.channels.zalo_client import ZaloClient
from bot.channels.zalo_tokens import FileTokenStore, TokenManager, ZaloTokens
from dossiers.notify import RetryPolicy
from tests.fakes.zalo_server import FakeZaloServer
from dossiers.store import DossierStore
from tests.dossiers.conftest import FAKE_PEOPLE, SALT, FakeDirectory
from tests.dossiers.conversation import Conversation

TOKEN = "sync-secret-token"
CODE = "H15.50-251203-2035"


class SanicThread:
    def __init__(self, channel: DossierSyncInput):
        from rasa.core.channels.channel import register

        # Several apps in one process: Sanic's start-up "touch-up" must see the original methods (what sanic-testing
        # does through this flag).
        Sanic.test_mode = True
        self.app = Sanic(f"dossier_sync_test_{uuid.uuid4().hex}")
        register([channel], self.app, route="/webhooks/")
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.loop = asyncio.new_event_loop()
        self.server = None
        self.ready = threading.Event()

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)

        async def main() -> None:
            self.server = await self.app.create_server(sock=self.sock, return_asyncio_server=True, access_log=False)
            await self.server.startup()
            await self.server.before_start()
            await self.server.after_start()
            self.ready.set()
            try:
                await self.server.serve_forever()
            except asyncio.CancelledError:
                pass

        self.loop.run_until_complete(main())

    def __enter__(self) -> "SanicThread":
        threading.Thread(target=self._run, daemon=True).start()
        assert self.ready.wait(20)
        return self

    def __exit__(self, *exc) -> None:
        async def close() -> None:
            self.server.close()
            await self.server.wait_closed()

        asyncio.run_coroutine_threadsafe(close(), self.loop).result(10)


@pytest.fixture
def setup(sqlite_url, service, monkeypatch, tmp_path):
    store = DossierStore(sqlite_url)
    service.store = store
    dossier_status.set_service(service, FakeDirectory())
    settings = Settings(sync_token=TOKEN, database_url=sqlite_url, dossier_contact_salt=SALT,
                        dossier_sync_max_bytes=20_000, dossier_sync_max_records=50)
    with FakeZaloServer.in_thread() as zalo:
        tokens = TokenManager(FileTokenStore(tmp_path / "tokens.json"), lambda refresh: None,
                              ZaloTokens("AT-0", "RT-0"))
        outbox = Outbox(store.engine)
        replies = CitizenReplies(lambda: outbox, lambda: ZaloOutput(ZaloClient(zalo.base_url, tokens, timeout_s=2),
                                                                    InMemoryKeyStore()))
        loop = NotificationLoop(make_notifier(store, replies, RetryPolicy()), replies, interval_s=60,
                                max_age=timedelta(days=14))
        channel = DossierSyncInput(settings=settings, store=store, notifier=loop)
        with SanicThread(channel) as sanic:
            yield sanic.url + "/api/dossiers/sync", store, zalo, channel, sanic
    dossier_status.set_service(None, None)


def post(url: str, payload, token: str = TOKEN, **kwargs) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return requests.post(url, json=payload, headers=headers, timeout=10, **kwargs)


def wait_for(predicate, timeout_s: float = 10) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)


def test_sync_requires_the_bearer_token(setup):
    url, store, *_ = setup
    record = {"records": [{"receipt_code": CODE, "state": 4}]}
    for token in (None, "wrong-token", TOKEN + "x"):
        reply = post(url, record, token=token)
        assert reply.status_code == 401 and reply.json()["accepted"] is False
    reply = requests.post(url, json=record, headers={"Authorization": f"Basic {TOKEN}"}, timeout=10)
    assert reply.status_code == 401
    assert store.get(CODE) is None


def test_sync_is_disabled_without_a_configured_token(sqlite_url):
    channel = DossierSyncInput(settings=Settings(sync_token=None, database_url=sqlite_url))
    with SanicThread(channel) as sanic:
        reply = post(sanic.url + "/api/dossiers/sync", {"records": [{"receipt_code": CODE, "state": 4}]}, token="")
        assert reply.status_code == 401


def test_batch_is_all_or_nothing_with_reasons_per_record(setup):
    url, store, *_ = setup
    reply = post(url, {"records": [
        {"receipt_code": CODE, "state": 4, "phone": "0912345678"},
        {"receipt_code": "H15.50-251303-2035", "state": 4},
        {"receipt_code": "H15.50-251203-2036", "state": "không rõ"},
        "not an object",
    ]})
    assert reply.status_code == 422
    body = reply.json()
    assert body["accepted"] is False
    assert [error["record"] for error in body["errors"]] == [2, 3, 4]
    assert "251303" in body["errors"][0]["message"]
    assert store.get(CODE) is None


@pytest.mark.parametrize("raw, status", [
    (b"{not json", 400),
    (b'{"records": []}', 400),
    (b'{"records": {"a": 1}}', 400),
    (json.dumps({"records": [{"receipt_code": CODE, "state": 4}] * 51}).encode(), 413),
    (b'{"records": [' + b'{"receipt_code": "H15.50-251203-2035", "state": 4},' * 500 + b'{}]}', 413),
    ("{\"records\": [1]}".encode("utf-16"), 400),
])
def test_malformed_or_huge_bodies_are_refused(setup, raw, status):
    url, store, *_ = setup
    reply = requests.post(url, data=raw, headers={"Authorization": f"Bearer {TOKEN}",
                                                  "Content-Type": "application/json"}, timeout=10)
    assert reply.status_code == status
    assert reply.json()["accepted"] is False
    assert store.get(CODE) is None


def test_idempotent_sync_and_one_notification_per_change(setup):
    url, store, zalo, channel, sanic = setup
    user = "7318845521049983077"
    created = post(url, {"records": [{"receipt_code": CODE, "state": 2, "phone": FAKE_PEOPLE[0]["phone"],
                                      **FAKE_PEOPLE[0]}]})
    assert created.status_code == 200 and created.json()["created"] == 1
    assert created.json()["dropped_personal_fields"] == ["address", "applicant_name", "id_number"]

    # The citizen verifies on Zalo and subscribes.
    talk = Conversation(sender=user, channel="zalo")
    talk.say(f"hồ sơ {CODE}", "check_dossier_status")
    talk.say("5678")
    assert "Mình đã ghi nhận" in talk.subscribe()[0]
    assert "đã đăng ký nhận thông báo" in talk.subscribe()[0]  # asking twice subscribes once

    change = {"records": [{"receipt_code": CODE, "state": 9, "pickup_from": "2026-01-22 14:00",
                           "updated_at": "2026-01-20T09:00:00+07:00"}]}
    first = post(url, change)
    assert first.status_code == 200 and first.json()["state_changes"] == 1 and first.json()["notifications"] == 1
    wait_for(lambda: zalo.delivered(user))  # the loop is woken at once, not at its next 60 s round
    wait_for(lambda: [status for _, status, _ in store.notification_statuses()] == ["sent"])
    retried = post(url, change)  # the one-stop system retries the same batch
    assert retried.json()["unchanged"] == 1 and retried.json()["notifications"] == 0
    asyncio.run_coroutine_threadsafe(channel.wait_for_background_tasks(), sanic.loop).result(10)
    time.sleep(0.3)
    assert [m["text"] for m in zalo.delivered(user)] == [
        "Hồ sơ H15.50-******-**35 vừa chuyển sang trạng thái: Đã xử lý xong. Hồ sơ đã giải quyết xong, kết quả đang "
        "chờ bạn đến nhận. Nhắn “tra cứu hồ sơ” để xem chi tiết."]
    assert len(zalo.sends()) == 1
    assert [status for _, status, _ in store.notification_statuses()] == ["sent"]

    # An older record arriving late changes nothing and notifies nobody.
    stale = post(url, {"records": [{"receipt_code": CODE, "state": 4, "updated_at": "2026-01-19T09:00:00+07:00"}]})
    assert stale.json()["stale"] == 1 and store.get(CODE).state == 9
    # The next real change is notified once more.
    post(url, {"records": [{"receipt_code": CODE, "state": 10, "updated_at": "2026-01-21T09:00:00+07:00"}]})
    wait_for(lambda: len(zalo.delivered(user)) == 2)
    asyncio.run_coroutine_threadsafe(channel.wait_for_background_tasks(), sanic.loop).result(10)
    time.sleep(0.3)
    assert len(zalo.delivered(user)) == 2 and "Đã trả kết quả" in zalo.delivered(user)[1]["text"]
    assert len(zalo.sends()) == 2


def test_a_web_chat_subscriber_gets_the_change_in_the_outbox_sent_only_once_confirmed(setup):
    url, store, zalo, channel, sanic = setup
    sender = "web-" + "c" * 32
    post(url, {"records": [{"receipt_code": CODE, "state": 4, "phone": "0912345678"}]})
    talk = Conversation(sender=sender, channel="webchat")
    talk.say(f"hồ sơ {CODE}", "check_dossier_status")
    talk.say("5678")
    talk.subscribe()
    post(url, {"records": [{"receipt_code": CODE, "state": 5, "supplement": "Bản sao giấy chứng sinh"}]})
    outbox = Outbox(store.engine)
    wait_for(lambda: outbox.after(sender, 0))
    [message] = outbox.after(sender, 0)
    assert message.author == "bot" and "Yêu cầu bổ sung giấy tờ" in message.text
    wait_for(lambda: [status for _, status, _ in store.notification_statuses()] == ["waiting"])
    assert [status for _, status, _ in store.notification_statuses()] == ["waiting"]
    assert zalo.sends() == []
    outbox.confirm(sender, message.id)  # what the page's next poll does
    asyncio.run_coroutine_threadsafe(channel.notifier().run_once(), sanic.loop).result(10)
    assert [status for _, status, _ in store.notification_statuses()] == ["sent"]


def test_subscription_needs_a_verified_lookup(store, service):
    dossier_status.set_service(service, FakeDirectory())
    try:
        assert "cần tra cứu hồ sơ trước" in Conversation(sender="stranger").subscribe()[0]
    finally:
        dossier_status.set_service(None, None)
