"""Unit tests of the Zalo connector's parts: splitting, buttons, signatures, token storage and refresh."""
from __future__ import annotations

import asyncio
import json
import os
import stat
import uuid

import pytest

from base.keystore import InMemoryKeyStore, RedisKeyStore, ResilientKeyStore
from base.outage import OutageLog
from bot.channels.dedupe import DeliveryDeduplicator
from bot.channels.zalo_client import ZaloOAuthClient
from bot.channels.zalo_format import MAX_TEXT_CHARS, build_button_message, split_text
from bot.channels.zalo_signature import compute_mac, signature_is_valid
from bot.channels.zalo_tokens import FileTokenStore, RedisTokenStore, TokenManager, ZaloTokenError, ZaloTokens
from tests.fakes.zalo_server import FakeZaloServer

REDIS_URL = "redis://127.0.0.1:6379/0"


def test_short_text_is_one_message():
    assert split_text("  Xin chào  ") == ["Xin chào"]
    assert split_text("") == []


def test_split_prefers_line_breaks_then_sentences_then_words():
    lines = [f"Bước {i}: nộp hồ sơ tại bộ phận một cửa và nhận giấy hẹn trả kết quả." for i in range(60)]
    parts = split_text("\n".join(lines))
    assert all(len(p) <= MAX_TEXT_CHARS for p in parts) and len(parts) > 1
    assert "\n".join(parts).split("\n") == lines  # every cut is at a line end

    one_line = " ".join(["Câu này có dấu chấm ở cuối."] * 200)
    assert all(p.endswith(".") for p in split_text(one_line))

    no_punctuation = " ".join(["chữ"] * 1500)
    parts = split_text(no_punctuation)
    assert all(len(p) <= MAX_TEXT_CHARS for p in parts)
    assert all(word == "chữ" for p in parts for word in p.split(" "))


def test_unbreakable_text_is_cut_hard_but_fully_kept():
    blob = "x" * 4500
    parts = split_text(blob)
    assert [len(p) for p in parts] == [2000, 2000, 500]
    assert "".join(parts) == blob


def test_buttons_are_clipped_and_limited():
    long_title = "Thủ tục " * 30
    buttons = [{"title": long_title, "payload": "/a"}] + [{"title": f"B{i}", "payload": f"/b{i}"} for i in range(6)]
    shaped = build_button_message("Chọn:", buttons)
    assert len(shaped.zalo_buttons) == 5
    assert len(shaped.zalo_buttons[0]["title"]) <= 100 and shaped.zalo_buttons[0]["title"].endswith("…")
    assert shaped.numbered_payloads == ["/a"] + [f"/b{i}" for i in range(6)]
    assert "6. B4" in shaped.text and "7. B5" in shaped.text


def test_url_buttons_open_the_link():
    shaped = build_button_message("Xem", [{"title": "Cổng DVC", "url": "https://dichvucong.gov.vn", "type": "web_url"}])
    assert shaped.zalo_buttons == [{"title": "Cổng DVC", "type": "oa.open.url", "payload": {"url": "https://dichvucong.gov.vn"}}]


def test_signature_matches_the_documented_formula():
    import hashlib

    body = '{"event_name":"user_send_text"}'.encode()
    expected = hashlib.sha256(b"app" + body + b"123" + b"secret").hexdigest()
    assert compute_mac("app", body, "123", "secret") == expected
    assert signature_is_valid(body, "mac=" + expected, "app", "secret", ["999", "123"])
    assert signature_is_valid(body, "mac=" + expected.upper(), "app", "secret", ["123"])
    assert not signature_is_valid(body, "mac=" + expected, "app", "secret", ["124"])
    assert not signature_is_valid(body + b" ", "mac=" + expected, "app", "secret", ["123"])
    assert not signature_is_valid(body, "mac=" + expected, "app", None, ["123"])  # unconfigured secret: refuse
    assert not signature_is_valid(body, None, "app", "secret", ["123"])


async def test_in_memory_dedupe_expires():
    now = [0.0]
    store = InMemoryKeyStore(clock=lambda: now[0])
    dedupe = DeliveryDeduplicator(store, ttl_s=10)
    assert await dedupe.first_delivery("a") is True
    assert await dedupe.first_delivery("a") is False
    now[0] = 11
    assert await dedupe.first_delivery("a") is True


async def test_in_memory_store_is_bounded():
    store = InMemoryKeyStore(max_entries=3)
    for key in "abcde":
        await store.add_if_absent(key, 60)
    assert [await store.get(k) for k in "abcde"] == [None, None, "1", "1", "1"]


async def test_file_token_store_writes_atomically_with_private_permissions(tmp_path):
    store = FileTokenStore(tmp_path / "sub" / "tokens.json")
    assert await store.load() is None
    await store.save(ZaloTokens("A1", "R1", 123.0))
    await store.save(ZaloTokens("A2", "R2", 456.0))
    assert await store.load() == ZaloTokens("A2", "R2", 456.0)
    mode = stat.S_IMODE(os.stat(store.path).st_mode)
    assert mode == 0o600
    assert sorted(p.name for p in store.path.parent.iterdir()) == ["tokens.json"]  # no temp files left behind


async def test_corrupt_token_file_falls_back_to_bootstrap(tmp_path):
    path = tmp_path / "tokens.json"
    path.write_text("{half a json")
    calls = []

    async def refresher(refresh_token):
        calls.append(refresh_token)
        return ZaloTokens("A-new", "R-new", None)

    manager = TokenManager(FileTokenStore(path), refresher, ZaloTokens("A-env", "R-env"))
    assert (await manager.refresh("A-env")).access_token == "A-new"
    assert calls == ["R-env"]
    assert json.loads(path.read_text())["refresh_token"] == "R-new"


async def test_missing_tokens_is_a_clear_error(tmp_path):
    async def refresher(refresh_token):
        raise AssertionError("must not be called")

    manager = TokenManager(FileTokenStore(tmp_path / "t.json"), refresher, None)
    with pytest.raises(ZaloTokenError):
        await manager.current()


async def test_concurrent_refreshes_are_single_flight(tmp_path):
    async with FakeZaloServer(app_id="app", app_secret="s3cret") as zalo:
        oauth = ZaloOAuthClient(zalo.base_url, "app", "s3cret")
        store = FileTokenStore(tmp_path / "t.json")
        manager = TokenManager(store, oauth.refresh, ZaloTokens("AT-0", "RT-0"))
        stale = (await manager.current()).access_token
        results = await asyncio.gather(*(manager.refresh(stale) for _ in range(5)))

        assert len(zalo.refreshes()) == 1  # the single-use refresh token was spent exactly once
        assert len({r.access_token for r in results}) == 1
        assert (await store.load()).refresh_token == zalo.valid_refresh_token


async def test_two_processes_sharing_a_token_file_refresh_once(tmp_path):
    """Two managers (two replicas on one host) with separate in-process locks still serialise on the file lock."""
    async with FakeZaloServer(app_id="app", app_secret="s3cret") as zalo:
        oauth = ZaloOAuthClient(zalo.base_url, "app", "s3cret")
        path = tmp_path / "t.json"
        replica_a = TokenManager(FileTokenStore(path), oauth.refresh, ZaloTokens("AT-0", "RT-0"))
        replica_b = TokenManager(FileTokenStore(path), oauth.refresh, ZaloTokens("AT-0", "RT-0"))
        await replica_a.current()
        await asyncio.gather(replica_a.refresh("AT-0"), replica_b.refresh("AT-0"))
        assert len(zalo.refreshes()) == 1


async def test_refused_refresh_raises_without_losing_the_stored_pair(tmp_path):
    async with FakeZaloServer(app_id="app", app_secret="s3cret", refresh_token="RT-other") as zalo:
        oauth = ZaloOAuthClient(zalo.base_url, "app", "s3cret")
        store = FileTokenStore(tmp_path / "t.json")
        manager = TokenManager(store, oauth.refresh, ZaloTokens("AT-0", "RT-0"))
        await manager.current()
        with pytest.raises(ZaloTokenError):
            await manager.refresh("AT-0")
        assert await store.load() == ZaloTokens("AT-0", "RT-0")


@pytest.mark.redis
async def test_redis_token_store_single_flight_across_replicas():
    key = f"thutuc-test:{uuid.uuid4().hex}"
    stores = [RedisTokenStore(REDIS_URL, key=key, lock_key=key + ":lock") for _ in range(2)]
    try:
        async with FakeZaloServer(app_id="app", app_secret="s3cret") as zalo:
            oauth = ZaloOAuthClient(zalo.base_url, "app", "s3cret")
            managers = [TokenManager(s, oauth.refresh, ZaloTokens("AT-0", "RT-0")) for s in stores]
            await managers[0].current()
            await asyncio.gather(*(m.refresh("AT-0") for m in managers for _ in range(3)))
            assert len(zalo.refreshes()) == 1
            assert (await stores[1].load()).refresh_token == zalo.valid_refresh_token
    finally:
        await stores[0]._redis.delete(key)
        for store in stores:
            await store.close()


@pytest.mark.redis
async def test_redis_dedupe_is_shared_between_replicas():
    prefix = f"thutuc-test:{uuid.uuid4().hex}:"
    replica_a, replica_b = RedisKeyStore(REDIS_URL, prefix=prefix), RedisKeyStore(REDIS_URL, prefix=prefix)
    try:
        assert await DeliveryDeduplicator(replica_a).first_delivery("msg-1") is True
        assert await DeliveryDeduplicator(replica_b).first_delivery("msg-1") is False
        assert await DeliveryDeduplicator(replica_b).first_delivery("msg-2") is True
        ttl = await replica_a._redis.ttl(prefix + "zalo:delivery:msg-1")
        assert 0 < ttl <= 24 * 3600
    finally:
        keys = await replica_a._redis.keys(prefix + "*")
        if keys:
            await replica_a._redis.delete(*keys)
        await replica_a.close()
        await replica_b.close()


async def test_redis_outage_fails_open_to_process_memory():
    outage = OutageLog("Redis at nowhere", "memory meanwhile", retry_after_s=60)
    store = ResilientKeyStore(RedisKeyStore("redis://127.0.0.1:1/0"), outage=outage)  # nothing listens there
    try:
        assert await DeliveryDeduplicator(store).first_delivery("m") is True
        assert await DeliveryDeduplicator(store).first_delivery("m") is False  # remembered in memory meanwhile
        assert await store.get("x") is None
        assert store.may_have_missed_writes()
    finally:
        await store.close()


async def test_token_store_outage_is_a_logged_send_failure_not_a_crash(caplog):
    from bot.channels.zalo_client import ZaloClient

    async def refresher(refresh_token):
        raise AssertionError("must not be called")

    manager = TokenManager(RedisTokenStore("redis://127.0.0.1:1/0"), refresher, ZaloTokens("AT-0", "RT-0"))
    client = ZaloClient("http://127.0.0.1:1", manager)
    try:
        result = await client.send_text("123", "xin chào")
    finally:
        await client.close()
        await manager.store.close()
    assert result.ok is False and "unavailable" in result.description


async def test_a_token_known_to_expire_is_refreshed_before_sending(tmp_path):
    import time

    from bot.channels.zalo_client import ZaloClient

    async with FakeZaloServer(app_id="app", app_secret="s3cret") as zalo:
        store = FileTokenStore(tmp_path / "t.json")
        await store.save(ZaloTokens("AT-0", "RT-0", expires_at=time.time() + 60))  # inside the safety margin
        manager = TokenManager(store, ZaloOAuthClient(zalo.base_url, "app", "s3cret").refresh)
        client = ZaloClient(zalo.base_url, manager)
        try:
            result = await client.send_text("123", "xin chào")
        finally:
            await client.close()
        assert result.ok
        assert len(zalo.refreshes()) == 1
        [send] = zalo.sends()
        assert send.headers["access_token"] == (await store.load()).access_token != "AT-0"
