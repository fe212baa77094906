"""After hours, on a fixed clock: the citizen leaves a question and gets an access code (no contact needed); the
next morning a clerk answers on the clerk page; a Zalo citizen gets the answer pushed through the OA API, a web chat
citizen gets it on return (same browser) or by entering the code (any browser); the ticket list shows the waiting
time, oldest first."""
from __future__ import annotations

import asyncio
import functools
import re
from datetime import datetime, timezone

import aiohttp
from freezegun import freeze_time
from rasa_sdk import Tracker

from actions import services
from actions.handoff import NO_CONTACT, ActionRequestHuman, ActionSubmitHandoff
from tests.actions.conftest import run_action
from tests.actions.test_guidance import local

ZALO_USER = "6120339845517720914"
PASSWORD = "mat-khau-cua-lan-42"
ANSWER = "Chào bạn, hồ sơ sổ đỏ bạn nộp tại quầy số 2, mang theo CCCD và giấy tờ nhà đất nhé."


def tracker(sender: str, channel: str, text: str, intent: str, slots=None) -> Tracker:
    latest = {"text": text, "intent": {"name": intent, "confidence": 0.95}, "entities": [],
              "intent_ranking": [{"name": intent, "confidence": 0.95}]}
    event = {"event": "user", "text": text, "parse_data": latest, "input_channel": channel}
    return Tracker(sender, slots or {}, latest, [event], False, None, {}, "action_listen")


def leave_question(sender: str, channel: str, question: str) -> str:
    """The after-hours conversation: ask for a clerk, leave the question, no contact; returns the access code."""
    messages, events = run_action(ActionRequestHuman(), tracker(sender, channel, "gặp cán bộ", "request_human"))
    assert not any(e.get("event") == "pause" for e in events)  # the bot keeps answering after hours
    slots = {"handoff_question": question, "handoff_contact": NO_CONTACT}
    done, _ = run_action(ActionSubmitHandoff(), tracker(sender, channel, "không", "deny", slots))
    return re.search(r"Mã tra cứu của bạn: (HD-[A-Z0-9]{6})\.", done[0]["text"]).group(1)


def test_question_at_night_code_answer_next_morning(loaded_kb, tmp_path):
    from bot.channels.webchat_identity import WebChatIdentity

    identity = WebChatIdentity(b"after-hours-secret-0123456789abcd")
    web_sender, web_token = identity.issue()
    with freeze_time(local("2026-11-24 20:00:00")):  # Tuesday evening, the ward is closed
        zalo_code = leave_question(ZALO_USER, "zalo", "Tôi muốn hỏi về giấy phép kinh doanh hộ gia đình")
    with freeze_time(local("2026-11-24 21:30:00")):
        web_code = leave_question(web_sender, "webchat", "Nhà tôi chưa có sổ đỏ thì làm sao")
    assert zalo_code != web_code
    next_morning = datetime.fromisoformat(local("2026-11-25 08:00:00")).replace(tzinfo=timezone.utc)
    asyncio.run(_next_morning(tmp_path, identity, web_sender, web_token, web_code, next_morning))


async def _next_morning(tmp_path, identity, web_sender, web_token, web_code, now):
    from base.audit import AuditLog
    from base.db import make_engine
    from base.outbox import Outbox
    from base.ratelimit import SlidingWindowCounter, SqlEventStore
    from bot.channels.access_codes import AccessCodeDesk
    from bot.channels.citizen_replies import CitizenReplies
    from bot.channels.clerk import ClerkInput, ClerkServices
    from bot.channels.webchat import WebChatInput
    from bot.channels.webchat_identity import HEADER
    from bot.channels.webchat_push import PushNotifier
    from bot.channels.zalo import ZaloOutput
    from handoff.accounts import AccountStore
    from handoff.login_limits import LoginLimiter
    from handoff.store import close_and_resume
    from tests.channels.conftest import APP_ID, APP_SECRET, make_zalo_channel
    from tests.fakes.channel_app import EchoAgent, EchoConversations, RunningApp, build_app
    from tests.fakes.zalo_server import FakeZaloServer

    store = services.conversation_store()
    engine = make_engine(f"sqlite:///{tmp_path / 'desk.db'}")
    AccountStore(engine).add_user("lan", "clerk", PASSWORD)
    outbox, notifier, agent = Outbox(engine), PushNotifier(), EchoAgent()
    counter = SlidingWindowCounter(SqlEventStore(engine))
    async with FakeZaloServer(app_id=APP_ID, app_secret=APP_SECRET) as zalo:
        zalo_channel = make_zalo_channel(zalo, tmp_path / "zalo_tokens.json")
        services_ = ClerkServices(
            knowledge=lambda: None, tickets=lambda: store,
            close_and_resume=functools.partial(close_and_resume, rasa_url="http://127.0.0.1:9", token=None),
            accounts=lambda: AccountStore(engine), audit=lambda: AuditLog(engine),
            login_limiter=lambda: LoginLimiter(counter, 10, 5, 900),
            replies=lambda: CitizenReplies(lambda: outbox, lambda: ZaloOutput(zalo_channel.client, zalo_channel.store),
                                           notifier),
        )
        clerk = ClerkInput(services=services_, conversations=EchoConversations(agent), clock=lambda: now)
        webchat = WebChatInput(identity, outbox=lambda: outbox, notifier=notifier, poll_s=1,
                               access_codes=AccessCodeDesk(lambda: store, lambda: counter))
        server = await RunningApp(build_app([clerk, webchat], agent)).start()
        headers = {"X-Requested-With": "thutuc-clerk"}
        try:
            async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as desk:
                async with desk.post(server.url + "/clerk/login", json={"name": "lan", "password": PASSWORD}) as reply:
                    assert reply.status == 200
                async with desk.get(server.url + "/clerk/api/tickets") as reply:
                    waiting = [t for t in (await reply.json())["tickets"] if t["status"] == "callback"]
                # Oldest first, with the time waited overnight.
                assert [(t["channel"], t["waiting_minutes"], t["answered"]) for t in waiting] == [
                    ("zalo", 12 * 60, False), ("webchat", 10 * 60 + 30, False)]
                assert waiting[0]["question"] == "Tôi muốn hỏi về giấy phép kinh doanh hộ gia đình"
                assert waiting[0]["contact"] is None
                zalo_ticket, web_ticket = waiting[0]["id"], waiting[1]["id"]

                async with aiohttp.ClientSession() as citizen:  # before the answer: "not yet"
                    async with citizen.post(server.url + "/chat/webhook", json={"message": web_code.lower()}) as reply:
                        [not_yet] = await reply.json()
                    assert not_yet["text"].startswith(f"Cán bộ chưa trả lời câu hỏi của bạn (phiếu số {web_ticket})")

                for ticket_id in (zalo_ticket, web_ticket):
                    async with desk.post(server.url + f"/clerk/api/tickets/{ticket_id}/reply", json={"text": ANSWER},
                                         headers=headers) as reply:
                        assert reply.status == 200, await reply.text()
                async with desk.get(server.url + "/clerk/api/tickets") as reply:
                    assert all(t["answered"] for t in (await reply.json())["tickets"] if t["status"] == "callback")

            # Zalo: pushed through the OA message API.
            assert [m["text"] for m in zalo.delivered(ZALO_USER)] == [ANSWER]

            async with aiohttp.ClientSession() as citizen:
                # Web chat, same browser coming back: the page's poll brings the answer.
                async with citizen.get(server.url + "/chat/updates", params={"after": "0"},
                                       headers={HEADER: web_token}) as reply:
                    assert [m["text"] for m in (await reply.json())["messages"]] == [ANSWER]
                # Web chat, another browser: the code brings it, shown as the clerk's.
                async with citizen.post(server.url + "/chat/webhook", json={"message": " " + web_code + " "}) as reply:
                    answer = await reply.json()
                assert answer == [{"text": f"Cán bộ đã trả lời câu hỏi của bạn (phiếu số {web_ticket}):"},
                                  {"text": ANSWER, "from": "clerk"}]
                assert not any(m.sender_id == web_sender and m.text.startswith("HD") for m in agent.received)
                # Someone guessing codes is stopped.
                statuses = []
                for i in range(11):
                    async with citizen.post(server.url + "/chat/webhook", json={"message": f"HD-AAAA{'ACDEFGHJKMN'[i]}A"}) as reply:
                        statuses.append((await reply.json())[0]["text"])
                assert statuses[:10] == ["Mã tra cứu không đúng. Bạn kiểm tra lại mã (dạng HD-XXXXXX) nhé."] * 10
                assert statuses[10].startswith("Bạn đã nhập sai mã quá nhiều lần")
        finally:
            await server.stop()
            await zalo_channel.client.close()
            for ticket in store.list_tickets(None):
                store.close_ticket(ticket.id)
            engine.dispose()
