"""Dossier notifications on real components: the fake Zalo OA API on loopback (tests/fakes/zalo_server.py) behind
the connector's own client and output, the web chat outbox in the test database, the store on SQLite and PostgreSQL.

What must hold: nothing is marked sent before the channel took it (Zalo answered `error: 0`; the web chat page
confirmed it); a failure stays pending and is retried with backoff; exactly one delivery once the channel recovers;
a stale claim is released; a message nobody could receive expires with a log line that names no one; a channel that
cannot push (REST) is never offered a subscription.
"""
from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

import pytest

from actions import dossier_status
from base.keystore import InMemoryKeyStore
from base.outbox import Outbox
from bot.channels.citizen_replies import CitizenReplies
from bot.channels.notifications import make_notifier
from bot.channels.zalo import ZaloOutput
from bot.channels.zalo_client import ZaloClient
from bot.channels.zalo_tokens import FileTokenStore, TokenManager, ZaloTokens
from dossiers.notify import RetryPolicy
from dossiers.store import DossierStore
from tests.dossiers.conftest import FakeDirectory, feed
from tests.dossiers.conversation import Conversation
from tests.fakes.zalo_server import FakeZaloServer

CODE = "H15.50-251203-2035"
ZALO_USER = "7318845521049983012"
POLICY = RetryPolicy(base=timedelta(seconds=30), maximum=timedelta(minutes=10), max_age=timedelta(days=14),
                     claim_timeout=timedelta(minutes=5))


@pytest.fixture
def citizen(database_url, make_service, clock):
    """A dossier in the store and a service the actions use; `subscribe(sender, channel)` verifies and subscribes."""
    store = DossierStore(database_url)
    service = make_service(store)
    dossier_status.set_service(service, FakeDirectory())
    feed(store, {"receipt_code": CODE, "state": 4, "phone": "0912345678"})

    def subscribe(sender: str, channel: str) -> list[str]:
        talk = Conversation(sender=sender, channel=channel)
        talk.say(f"hồ sơ {CODE}", "check_dossier_status")
        talk.say("5678")
        status = talk.replies[-1]
        return [status] + [{"text": text} for text in talk.subscribe()]

    yield store, subscribe
    dossier_status.set_service(None, None)


def statuses(store: DossierStore) -> list[str]:
    return [status for _, status, _ in store.notification_statuses()]


def token_manager() -> TokenManager:
    import tempfile
    from pathlib import Path

    path = Path(tempfile.mkdtemp(prefix="zalo-tokens-")) / "tokens.json"
    return TokenManager(FileTokenStore(path), lambda refresh: None, ZaloTokens("AT-0", "RT-0"))


def zalo_replies(zalo: FakeZaloServer, outbox: Outbox) -> CitizenReplies:
    tokens = token_manager()
    client = ZaloClient(zalo.base_url, tokens, timeout_s=2, rate_limit_retry_delay_s=0)
    return CitizenReplies(lambda: outbox, lambda: ZaloOutput(client, InMemoryKeyStore()))


def change_state(store: DossierStore, state: int, clock) -> None:
    feed(store, {"receipt_code": CODE, "state": state})


async def test_zalo_failing_then_recovering_delivers_exactly_once_and_is_sent_only_after(citizen, database_url,
                                                                                          clock, caplog):
    store, subscribe = citizen
    await asyncio.to_thread(subscribe, ZALO_USER, "zalo")
    change_state(store, 9, clock)
    async with FakeZaloServer() as zalo:
        replies = zalo_replies(zalo, Outbox(store.engine))
        notifier = make_notifier(store, replies, POLICY)
        notifier.clock = clock
        # The citizen has not written to the OA for 7 days, then the API fails twice more (rate limit, token).
        zalo.inactive_users.add(ZALO_USER)
        report = await notifier.run_once()
        assert (report.sent, report.failed) == (0, 1)
        assert statuses(store) == ["pending"] and zalo.delivered() == []
        assert await notifier.run_once() == type(report)()  # not due yet: backoff, nothing sent, nothing tried
        assert len(zalo.sends()) == 1

        clock.advance(seconds=31)
        zalo.inactive_users.clear()
        zalo.inject_send_errors(-32, -32)  # rate limited (the client retries once at once): still failed
        assert (await notifier.run_once()).failed == 1
        assert statuses(store) == ["pending"] and zalo.delivered() == []
        clock.advance(seconds=45)
        assert (await notifier.run_once()).failed == 0  # second backoff is 60 s: not yet
        clock.advance(seconds=16)
        report = await notifier.run_once()
        assert (report.sent, report.failed) == (1, 0)
        assert statuses(store) == ["sent"]
        [message] = zalo.delivered(ZALO_USER)
        assert message["text"].startswith("Hồ sơ H15.50-******-**35 vừa chuyển sang trạng thái: Đã xử lý xong.")
        clock.advance(hours=2)
        assert (await notifier.run_once()).sent == 0
        assert len(zalo.delivered()) == 1  # exactly one delivery
        [(_, _, attempts)] = store.notification_statuses()
        assert attempts == 3
        await replies.close()
    log = "\n".join(record.getMessage() for record in caplog.records)
    assert "zalo -230" in log and CODE not in log and ZALO_USER not in log


async def test_a_zalo_timeout_is_not_sent_and_a_stale_claim_is_released(citizen, clock):
    store, subscribe = citizen
    await asyncio.to_thread(subscribe, ZALO_USER, "zalo")
    change_state(store, 5, clock)
    # Nothing listens on this port: every send fails at the network level.
    tokens = token_manager()
    dead = CitizenReplies(lambda: Outbox(store.engine),
                          lambda: ZaloOutput(ZaloClient("http://127.0.0.1:9", tokens, timeout_s=1), InMemoryKeyStore()))
    notifier = make_notifier(store, dead, POLICY)
    notifier.clock = clock
    assert (await notifier.run_once()).failed == 1
    assert statuses(store) == ["pending"]
    await dead.close()

    # A notifier that died after claiming a row: the claim goes back to pending after claim_timeout, then is sent.
    clock.advance(minutes=1)
    [item] = store.pending_notifications(clock())
    assert store.claim_notification(item.id, clock())
    async with FakeZaloServer() as zalo:
        replies = zalo_replies(zalo, Outbox(store.engine))
        notifier = make_notifier(store, replies, POLICY)
        notifier.clock = clock
        assert (await notifier.run_once()).sent == 0 and statuses(store) == ["sending"]
        clock.advance(minutes=6)
        assert (await notifier.run_once()).sent == 1
        assert statuses(store) == ["sent"] and len(zalo.delivered()) == 1
        await replies.close()


async def test_web_chat_notification_is_sent_only_when_the_page_confirms_it(citizen, clock):
    store, subscribe = citizen
    sender = "web-" + "a" * 32
    await asyncio.to_thread(subscribe, sender, "webchat")
    change_state(store, 6, clock)
    outbox = Outbox(store.engine)
    replies = CitizenReplies(lambda: outbox, lambda: None)
    notifier = make_notifier(store, replies, POLICY)
    notifier.clock = clock

    report = await notifier.run_once()
    assert (report.waiting, report.sent) == (1, 0)
    assert statuses(store) == ["waiting"]  # in the outbox: not sent
    [message] = outbox.after(sender, 0)
    assert message.author == "bot" and "Yêu cầu thực hiện nghĩa vụ tài chính" in message.text
    # The page fetched it but crashed before confirming: it is fetched again, still not sent.
    assert [m.id for m in outbox.after(sender, 0)] == [message.id]
    assert (await notifier.run_once()).confirmed == 0 and statuses(store) == ["waiting"]
    # The page's next poll names it (after=<id>): confirmed, and only now sent.
    assert outbox.confirm(sender, message.id) == 1
    assert (await notifier.run_once()).confirmed == 1
    assert statuses(store) == ["sent"]
    assert outbox.after(sender, 0) == []


async def test_undelivered_messages_expire_with_a_masked_log_line(citizen, clock, caplog):
    store, subscribe = citizen
    await asyncio.to_thread(subscribe, ZALO_USER, "zalo")
    web = "web-" + "b" * 32
    await asyncio.to_thread(subscribe, web, "webchat")
    change_state(store, 9, clock)
    outbox = Outbox(store.engine)
    async with FakeZaloServer() as zalo:
        zalo.inactive_users.add(ZALO_USER)  # never writes to the OA again
        replies = zalo_replies(zalo, outbox)
        notifier = make_notifier(store, replies, POLICY)
        notifier.clock = clock
        report = await notifier.run_once()
        assert (report.failed, report.waiting) == (1, 1)
        clock.advance(days=15)
        report = await notifier.run_once()
        assert report.expired == 1 and sorted(statuses(store)) == ["expired", "waiting"]  # rows in any order
        # The web chat message goes when the outbox drops it unfetched (the page can never show it afterwards).
        backdate_outbox(outbox, days=15)
        assert await replies.expire_web_chat(POLICY.max_age) == 1
        report = await notifier.run_once()
        assert report.expired == 1 and report.sent == 0
        assert statuses(store) == ["expired", "expired"]
        assert zalo.delivered() == []
        await replies.close()
    log = "\n".join(record.getMessage() for record in caplog.records if record.levelno >= logging.WARNING)
    assert log.count("dropped undelivered") == 2
    assert "H15.50-******-**35" in log and CODE not in log and ZALO_USER not in log and web not in log


def backdate_outbox(outbox: Outbox, days: int, ids=None) -> None:
    """As if the outbox rows (all, or `ids`) had been queued `days` ago."""
    from sqlalchemy import select

    from base.outbox import OutboxRow

    with outbox._sessions.begin() as session:
        for row in session.execute(select(OutboxRow)).scalars():
            if ids is None or row.id in ids:
                row.created_at = row.created_at - timedelta(days=days)


def test_outbox_expiry_drops_only_old_undelivered_messages(sqlite_url, caplog):
    from base.db import make_engine

    outbox = Outbox(make_engine(sqlite_url))
    old = outbox.put("web-old", "Tin cũ", "bot")
    kept = outbox.put("web-new", "Tin mới", "bot")
    delivered = outbox.put("web-seen", "Tin đã xem", "bot")
    outbox.confirm("web-seen", delivered.id)
    backdate_outbox(outbox, 15, ids={old.id, delivered.id})
    assert outbox.expire(timedelta(days=14)) == 1
    assert outbox.confirmed([old.id, kept.id, delivered.id]) == ({delivered.id}, {old.id})
    assert "web-old" not in caplog.text


def test_rest_is_not_offered_a_subscription(citizen):
    store, subscribe = citizen
    status, reply = subscribe("rest-script-1", "rest")
    assert "Trạng thái" in status["text"] and status.get("buttons") in (None, [])
    assert "kênh này không gửi được thông báo" in reply["text"]
    assert "Zalo OA hay trang chat" in reply["text"]
    with store.session() as session:
        from sqlalchemy import func, select

        from dossiers.models import Subscription

        assert session.execute(select(func.count()).select_from(Subscription)).scalar_one() == 0
    # On Zalo and the web chat the button is there.
    zalo_status, _ = subscribe(ZALO_USER, "zalo")
    assert [b["title"] for b in zalo_status["buttons"]] == ["Báo cho tôi khi có kết quả"]
    change_state(store, 9, None)
    assert statuses(store) == ["pending"]  # only the Zalo subscriber


async def test_a_zalo_citizen_who_writes_again_gets_the_refused_notification_at_once(citizen, clock):
    from bot.channels.citizen_back import CitizenBack
    from bot.channels.notifications import NotificationLoop

    store, subscribe = citizen
    await asyncio.to_thread(subscribe, ZALO_USER, "zalo")
    change_state(store, 9, clock)
    back = CitizenBack()
    async with FakeZaloServer() as zalo:
        zalo.inactive_users.add(ZALO_USER)  # -230: outside Zalo's interaction window
        replies = zalo_replies(zalo, Outbox(store.engine))
        notifier = make_notifier(store, replies, POLICY)
        notifier.clock = clock
        loop = NotificationLoop(notifier, replies, interval_s=600, max_age=POLICY.max_age, citizen_back=back)
        loop.start()
        for _ in range(100):
            if loop.runs:
                break
            await asyncio.sleep(0.05)
        assert statuses(store) == ["pending"] and zalo.delivered() == []
        zalo.inactive_users.clear()  # the citizen writes to the OA: the window is open again
        back.announce("another-user")  # someone else writing changes nothing
        await back.settle()
        await asyncio.sleep(0.3)
        assert loop.runs == 1 and zalo.delivered() == []
        back.announce(ZALO_USER)
        await back.settle()
        for _ in range(100):
            if zalo.delivered():
                break
            await asyncio.sleep(0.05)
        assert len(zalo.delivered(ZALO_USER)) == 1  # within the 30 s backoff, on the test's frozen clock
        for _ in range(100):
            if statuses(store) == ["sent"]:
                break
            await asyncio.sleep(0.05)
        assert statuses(store) == ["sent"]
        await loop.stop()
