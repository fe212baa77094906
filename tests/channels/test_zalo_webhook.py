"""The Zalo webhook end to end against the fake Zalo API: signatures, dedupe, shaping, tokens, takeover."""
from __future__ import annotations

import asyncio
import json
import logging
import time

from bot.channels import texts
from tests.channels.conftest import APP_ID, OA_ID, OA_SECRET, USER_ID, text_event
from tests.fakes.channel_app import LONG_SENTENCE


async def test_signed_text_is_answered_through_the_send_api(zalo_harness):
    status = await zalo_harness.post_event(text_event("xin chào", "m-1"))
    await zalo_harness.settle()

    assert status == 200
    assert [m.text for m in zalo_harness.agent.received] == ["xin chào"]
    assert zalo_harness.agent.received[0].sender_id == USER_ID
    assert zalo_harness.agent.received[0].input_channel == "zalo"
    [send] = zalo_harness.zalo.sends()
    assert send.headers["access_token"] == "AT-0"
    assert send.json == {"recipient": {"user_id": USER_ID}, "message": {"text": "Bạn hỏi: xin chào"}}


async def test_timestamp_may_come_from_the_header(zalo_harness):
    event = text_event("giờ làm việc", "m-2")
    del event["timestamp"]
    status = await zalo_harness.post_event(event, timestamp_in_header=True)
    await zalo_harness.settle()

    assert status == 200
    assert zalo_harness.replies() == [{"text": "Bạn hỏi: giờ làm việc"}]


async def test_nfd_text_reaches_the_bot_as_nfc(zalo_harness):
    import unicodedata

    await zalo_harness.post_event(text_event(unicodedata.normalize("NFD", "khai sinh"), "m-nfd"))
    await zalo_harness.settle()

    assert zalo_harness.agent.received[0].text == unicodedata.normalize("NFC", "khai sinh")


async def test_bad_signatures_are_refused_and_nothing_is_processed(zalo_harness):
    event = text_event("xin chào", "m-3")
    raw = json.dumps(event).encode()

    wrong_secret = await zalo_harness.post_event(event, secret="not-the-secret")
    missing = await zalo_harness.post_raw(raw, {"Content-Type": "application/json"})
    garbage = await zalo_harness.post_raw(raw, {"X-ZEvent-Signature": "mac=zzz\u00e9"})
    # A valid signature for a different body must not validate this one.
    from bot.channels.zalo_signature import signature_header

    other = signature_header(APP_ID, b'{"event_name":"follow"}', event["timestamp"], OA_SECRET)
    replayed = await zalo_harness.post_raw(raw, {"X-ZEvent-Signature": other})
    await zalo_harness.settle()

    assert (wrong_secret, missing.status, garbage.status, replayed.status) == (401, 401, 401, 401)
    assert zalo_harness.agent.received == []
    assert zalo_harness.zalo.requests == []
    # The refused msg_id was not marked as seen: the genuine delivery still gets through.
    assert await zalo_harness.post_event(event) == 200
    await zalo_harness.settle()
    assert len(zalo_harness.agent.received) == 1


async def test_an_old_event_replayed_after_the_dedupe_window_is_ignored(zalo_harness):
    two_days_ago = str(int((time.time() - 2 * 24 * 3600) * 1000))
    status = await zalo_harness.post_event(text_event("xin chào", "m-old", timestamp=two_days_ago))
    await zalo_harness.settle()

    assert status == 200  # acknowledged, so Zalo does not retry it
    assert zalo_harness.agent.received == [] and zalo_harness.zalo.requests == []


async def test_a_retried_delivery_is_answered_once(zalo_harness):
    event = text_event("làm căn cước", "m-4")
    statuses = [await zalo_harness.post_event(event) for _ in range(3)]
    await zalo_harness.settle()

    assert statuses == [200, 200, 200]
    assert len(zalo_harness.agent.received) == 1
    assert zalo_harness.replies() == [{"text": "Bạn hỏi: làm căn cước"}]


async def test_webhook_acknowledges_before_the_bot_has_answered(zalo_harness):
    zalo_harness.agent.gate = asyncio.Event()
    status = await zalo_harness.post_event(text_event("chậm", "m-5"))

    assert status == 200
    assert len(zalo_harness.agent.received) == 1  # handling started...
    assert zalo_harness.zalo.sends() == []  # ...but the webhook did not wait for it
    zalo_harness.agent.gate.set()
    await zalo_harness.settle()
    assert zalo_harness.replies() == [{"text": "Bạn hỏi: chậm"}]


async def test_long_answer_is_split_on_sentence_boundaries(zalo_harness):
    await zalo_harness.post_event(text_event("dài", "m-6"))
    await zalo_harness.settle()

    parts = [m["text"] for m in zalo_harness.replies()]
    full = (LONG_SENTENCE * 45).strip()
    assert len(full) > 4000 and len(parts) == 3
    assert all(len(p) <= 2000 for p in parts)
    assert all(p.endswith(".") for p in parts)  # no sentence cut in half
    assert " ".join(parts) == full


async def test_buttons_become_a_template_and_extra_options_a_numbered_list(zalo_harness):
    await zalo_harness.post_event(text_event("nhiều nút", "m-7"))
    await zalo_harness.settle()

    [message] = zalo_harness.replies()
    buttons = message["attachment"]["payload"]["buttons"]
    assert message["attachment"]["type"] == "template"
    assert [b["title"] for b in buttons] == [f"Lựa chọn {i}" for i in range(1, 6)]
    assert {b["type"] for b in buttons} == {"oa.query.hide"}
    assert buttons[0]["payload"] == '/choose{"n": 1}'
    assert message["text"].startswith("Bạn chọn một mục nhé:")
    assert "6. Lựa chọn 6" in message["text"] and "7. Lựa chọn 7" in message["text"]

    # Answering with a number picks the numbered option.
    await zalo_harness.post_event(text_event("7", "m-8"))
    await zalo_harness.settle()
    assert zalo_harness.agent.received[-1].text == '/choose{"n": 7}'


async def test_numbers_are_plain_text_when_no_numbered_list_was_shown(zalo_harness):
    await zalo_harness.post_event(text_event("cần giấy tờ gì", "m-8a"))  # two buttons, no numbered list
    await zalo_harness.settle()
    [message] = zalo_harness.replies()
    assert len(message["attachment"]["payload"]["buttons"]) == 2 and "\n1. " not in message["text"]

    await zalo_harness.post_event(text_event("1", "m-8b"))
    await zalo_harness.settle()
    assert zalo_harness.agent.received[-1].text == "1"


async def test_token_expiry_mid_send_refreshes_once_and_persists_before_use(zalo_harness):
    timeline = []
    zalo_harness.zalo.on_request = lambda r: timeline.append(
        ("send", r.headers.get("access_token")) if r.json is not None else ("refresh", r.form["refresh_token"])
    )
    store = zalo_harness.channel.client.tokens.store
    original_save = store.save

    async def recording_save(tokens):
        await original_save(tokens)
        timeline.append(("saved", tokens.access_token, tokens.refresh_token))

    store.save = recording_save
    await zalo_harness.post_event(text_event("lần 1", "m-9"))
    await zalo_harness.settle()
    zalo_harness.zalo.expire_access_token("AT-0")  # 25 hours later
    timeline.clear()

    await zalo_harness.post_event(text_event("lần 2", "m-10"))
    await zalo_harness.settle()

    [refresh] = zalo_harness.zalo.refreshes()
    new_access, new_refresh = refresh.response["access_token"], refresh.response["refresh_token"]
    assert timeline == [
        ("send", "AT-0"),
        ("refresh", "RT-0"),
        ("saved", new_access, new_refresh),
        ("send", new_access),
    ]
    assert refresh.headers["secret_key"] == "app-secret-for-tests"
    assert refresh.form == {"refresh_token": "RT-0", "app_id": APP_ID, "grant_type": "refresh_token"}
    assert zalo_harness.replies()[-1] == {"text": "Bạn hỏi: lần 2"}
    stored = json.loads(zalo_harness.token_file.read_text())
    assert (stored["access_token"], stored["refresh_token"]) == (new_access, new_refresh)
    assert stored["expires_at"] > time.time() + 24 * 3600

    # The next message uses the stored token directly.
    await zalo_harness.post_event(text_event("lần 3", "m-11"))
    await zalo_harness.settle()
    assert len(zalo_harness.zalo.refreshes()) == 1
    assert zalo_harness.zalo.sends()[-1].headers["access_token"] == new_access


async def test_invalid_token_retries_only_once(zalo_harness):
    zalo_harness.zalo.inject_send_errors(-216, -216)
    await zalo_harness.post_event(text_event("xin chào", "m-12"))
    await zalo_harness.settle()

    assert len(zalo_harness.zalo.sends()) == 2  # the original attempt and one retry, no loop
    assert len(zalo_harness.zalo.refreshes()) == 1
    assert zalo_harness.replies() == []


async def test_inactive_user_error_is_logged_masked_without_retry(zalo_harness, caplog):
    zalo_harness.zalo.inactive_users.add(USER_ID)
    with caplog.at_level(logging.INFO, logger="bot.channels.zalo_client"):
        await zalo_harness.post_event(text_event("còn đó không", "m-13"))
        await zalo_harness.settle()

    assert [s.response["error"] for s in zalo_harness.zalo.sends()] == [-230]
    assert zalo_harness.zalo.refreshes() == []
    log = caplog.text
    assert "7 days" in log
    assert USER_ID not in log
    from bot.channels.zalo_client import masked_user_id

    assert masked_user_id(USER_ID) in log


async def test_rate_limit_is_retried_once(zalo_harness, caplog):
    zalo_harness.zalo.inject_send_errors(-32)
    with caplog.at_level(logging.WARNING, logger="bot.channels.zalo_client"):
        await zalo_harness.post_event(text_event("lệ phí", "m-14"))
        await zalo_harness.settle()

    assert [s.response["error"] for s in zalo_harness.zalo.sends()] == [-32, 0]
    assert "rate limit" in caplog.text
    assert USER_ID not in caplog.text


async def test_human_reply_from_the_oa_inbox_pauses_the_bot(zalo_harness):
    await zalo_harness.post_event(text_event("cho tôi gặp cán bộ", "m-15"))
    await zalo_harness.settle()
    bot_message_id = zalo_harness.zalo.sends()[-1].response["data"]["message_id"]

    # Zalo echoes the bot's own message: not a takeover.
    own_echo = {
        "app_id": APP_ID,
        "event_name": "oa_send_text",
        "timestamp": str(int(time.time() * 1000)),
        "sender": {"id": OA_ID},
        "recipient": {"id": USER_ID},
        "message": {"text": "Bạn hỏi: cho tôi gặp cán bộ", "msg_id": bot_message_id},
    }
    assert await zalo_harness.post_event(own_echo) == 200
    await zalo_harness.settle()
    assert zalo_harness.control.pauses == []

    # A clerk types in the OA inbox: the bot steps back.
    human = dict(own_echo, message={"text": "Chào anh, em là cán bộ phường, em hỗ trợ anh ạ.", "msg_id": "inbox-1"})
    assert await zalo_harness.post_event(human) == 200
    await zalo_harness.settle()
    assert zalo_harness.control.pauses == [USER_ID]

    sends_before = len(zalo_harness.zalo.sends())
    await zalo_harness.post_event(text_event("dạ cảm ơn cán bộ", "m-16"))
    sticker = text_event("", "m-17")
    sticker.update(event_name="user_send_sticker", message={"msg_id": "m-17", "attachments": [{"type": "sticker"}]})
    await zalo_harness.post_event(sticker)
    await zalo_harness.settle()

    assert zalo_harness.agent.received[-1].text == "dạ cảm ơn cán bộ"  # still logged in the conversation
    assert len(zalo_harness.zalo.sends()) == sends_before  # but the bot said nothing


async def test_follow_gets_a_greeting_and_short_menu(zalo_harness):
    event = {
        "app_id": APP_ID,
        "oa_id": OA_ID,
        "event_name": "follow",
        "timestamp": str(int(time.time() * 1000)),
        "follower": {"id": USER_ID},
        "source": "oa_profile",
    }
    assert await zalo_harness.post_event(event) == 200
    await zalo_harness.settle()

    [message] = zalo_harness.replies()
    assert message["text"] == texts.ZALO_FOLLOW_GREETING
    titles = [b["title"] for b in message["attachment"]["payload"]["buttons"]]
    assert titles == [b["title"] for b in texts.ZALO_FOLLOW_MENU]
    assert zalo_harness.agent.received == []


async def test_non_text_messages_get_a_polite_text_only_notice(zalo_harness):
    for index, kind in enumerate(["user_send_image", "user_send_sticker", "user_send_file", "user_send_audio"]):
        event = text_event("", f"att-{index}")
        event.update(event_name=kind, message={"msg_id": f"att-{index}", "attachments": [{"type": kind[10:]}]})
        assert await zalo_harness.post_event(event) == 200
    await zalo_harness.settle()

    assert zalo_harness.replies() == [{"text": texts.ZALO_TEXT_ONLY}] * 4
    assert "chỉ đọc được tin nhắn chữ" in texts.ZALO_TEXT_ONLY
    assert zalo_harness.agent.received == []


async def test_a_shared_link_with_text_is_read_as_text(zalo_harness):
    event = text_event("xem giúp https://dichvucong.gov.vn", "link-1")
    event["event_name"] = "user_send_link"
    bare = text_event("", "link-2")
    bare.update(event_name="user_send_link", message={"msg_id": "link-2", "attachments": [{"type": "link"}]})
    await zalo_harness.post_event(event)
    await zalo_harness.settle()
    await zalo_harness.post_event(bare)
    await zalo_harness.settle()

    assert [m.text for m in zalo_harness.agent.received] == ["xem giúp https://dichvucong.gov.vn"]
    assert zalo_harness.replies()[-1] == {"text": texts.ZALO_TEXT_ONLY}


async def test_hostile_bodies_never_crash_the_webhook(zalo_harness):
    from bot.channels.zalo_signature import signature_header

    huge = b'{"event_name":"user_send_text","x":"' + b"a" * (200 * 1024) + b'"}'
    too_large = await zalo_harness.post_raw(huge, {"X-ZEvent-Signature": "mac=00"})

    not_json = b"{not json"
    timestamp = "1700000000000"
    signed_garbage = await zalo_harness.post_raw(
        not_json,
        {"X-ZEvent-Signature": signature_header(APP_ID, not_json, timestamp, OA_SECRET), "X-ZEvent-Timestamp": timestamp},
    )
    array = await zalo_harness.post_event([1, 2, 3], timestamp_in_header=True)
    missing_parts = await zalo_harness.post_event({"event_name": "user_send_text", "timestamp": timestamp, "sender": {"id": {"x": 1}}})
    await zalo_harness.settle()

    assert too_large.status == 413
    assert signed_garbage.status == 400
    assert array == 400
    assert missing_parts == 200
    assert zalo_harness.agent.received == []
    # The webhook still works afterwards.
    assert await zalo_harness.post_event(text_event("xin chào", "m-18")) == 200
    await zalo_harness.settle()
    assert zalo_harness.replies() == [{"text": "Bạn hỏi: xin chào"}]


async def test_a_failing_bot_gets_the_citizen_a_polite_message(zalo_harness, caplog):
    async def explode(message):
        raise RuntimeError("model not loaded")

    zalo_harness.agent.handle_message = explode
    with caplog.at_level(logging.ERROR, logger="bot.channels.zalo"):
        assert await zalo_harness.post_event(text_event("xin chào", "m-crash")) == 200
        await zalo_harness.settle()

    assert zalo_harness.replies() == [{"text": texts.BOT_FAILED}]
    assert "RuntimeError" in caplog.text and USER_ID not in caplog.text


async def test_tracker_database_down_on_a_sticker_or_follow_is_told_not_silent(zalo_harness, caplog):
    from bot.tracker_store import TrackerStoreUnavailable

    async def database_down(sender_id):
        raise TrackerStoreUnavailable("conversation not loaded: OperationalError")

    zalo_harness.control.is_paused = database_down
    zalo_harness.control.pause = database_down
    sticker = text_event("", "m-db-1")
    sticker.update(event_name="user_send_sticker", message={"msg_id": "m-db-1", "attachments": [{"type": "sticker"}]})
    echo = text_event("Em là cán bộ phường", "m-db-2")
    echo.update(event_name="oa_send_text", sender={"id": OA_ID}, recipient={"id": USER_ID})
    with caplog.at_level(logging.WARNING, logger="bot.channels.zalo"):
        for event in (sticker, echo):
            assert await zalo_harness.post_event(event) == 200
            await zalo_harness.settle()

    assert zalo_harness.replies() == [{"text": texts.SERVICE_INTERRUPTED}]
    assert "could not pause" in caplog.text

async def test_long_text_is_cut_to_the_common_cap_and_deep_json_refused(zalo_harness):
    from bot.channels.zalo_signature import signature_header

    assert await zalo_harness.post_event(text_event("ơ" * 10_000, "m-long")) == 200
    nested = b'{"event_name": "user_send_text", "timestamp": "1700000000000", "x": ' + b"[" * 20_000 + b"]" * 20_000 + b"}"
    deep = await zalo_harness.post_raw(
        nested, {"X-ZEvent-Signature": signature_header(APP_ID, nested, "1700000000000", OA_SECRET),
                 "X-ZEvent-Timestamp": "1700000000000"},
    )
    await zalo_harness.settle()

    assert deep.status == 400
    assert [m.text for m in zalo_harness.agent.received] == ["ơ" * 2000]


async def test_only_digit_user_ids_are_zalo_conversations(zalo_harness):
    """A Zalo conversation id can never equal a web chat (`web-…`) or REST (`rest-…`) one."""
    for msg_id, user in (("m-web", "web-0123456789abcdef0123456789abcdef"), ("m-rest", "rest-u1")):
        assert await zalo_harness.post_event(text_event("xin chào", msg_id, user_id=user)) == 200
    await zalo_harness.settle()
    assert zalo_harness.agent.received == [] and zalo_harness.zalo.sends() == []
