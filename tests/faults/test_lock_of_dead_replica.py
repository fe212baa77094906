"""A replica that dies holding a conversation's lock does not block the conversation on the other replicas for the
ticket's lifetime: its ticket is dropped as soon as its heartbeat is gone (bot/lock_store.py)."""
from __future__ import annotations

import asyncio

import pytest

from bot.lock_store import ResilientLockStore
from tests.faults.dependencies import OwnRedis


@pytest.fixture
def redis_server():
    server = OwnRedis().start()
    yield server
    server.close()


def _replica(url: str, owner: str) -> ResilientLockStore:
    store = ResilientLockStore(redis_url=url)
    store._owner = owner  # two "processes" in one test process
    return store


async def test_lock_of_a_silent_replica_is_taken_at_once(redis_server):
    a, b = _replica(redis_server.url, "rasa-a:1:aa"), _replica(redis_server.url, "rasa-b:2:bb")
    held, _never_released = await a._acquire("conversation-1", 60, 0.05)  # a holds it ... and dies
    assert held is not None
    # While a still beats, b waits (Rasa's ticket algorithm, unchanged).
    with pytest.raises(asyncio.TimeoutError):
        await asyncio.wait_for(b._acquire("conversation-1", 60, 0.05), timeout=0.5)
    redis_server.client().delete("thutuc:zalo:replica:rasa-a:1:aa")  # a's heartbeat expires
    started = asyncio.get_running_loop().time()
    _, release = await asyncio.wait_for(b._acquire("conversation-1", 60, 0.05), timeout=5)
    assert asyncio.get_running_loop().time() - started < 1.0  # not the 60 s of the ticket's lifetime
    await release()
    assert redis_server.client().keys("thutuc:lock:conversation-1*") == []  # nothing left behind
    for store in (a, b):
        await store.close()
