"""Two Rasa replicas behind nginx (the shipped site), one action server, PostgreSQL and Redis of our own: the replica
that serves a conversation is killed mid-message; the other answers the follow-up with the context kept, on Zalo (a
delivery retried after the kill included) and on the web chat; nothing is lost and nothing is answered twice."""
from __future__ import annotations

import json
import re
import threading
import time
import uuid
from typing import Any, Dict, List, Optional, Tuple

import pytest
import requests

from bot.channels.zalo_signature import signature_header
from bot.fleet import Fleet
from base.rasa_api import auth_headers
from tests.fakes.zalo_bot import OA_ID, OA_SECRET
from tests.fakes.zalo_server import FakeZaloServer
from tests.faults.channels import BIRTH, BIRTH_QUESTION, FEE_FOLLOW_UP, new_zalo_user

pytestmark = pytest.mark.slow

_REPLICA = re.compile(r'"(?P<method>[A-Z]+) (?P<uri>\S+)" (?P<status>\d+) .* replica=(?P<replica>\S+) ')


def served(fleet: Fleet, uri: str, since: int = 0, at_least: int = 1) -> List[Tuple[str, str]]:
    """(status, replica) of each request for `uri` in nginx's access log, from line `since` on (nginx writes a line
    just after the response, so wait a moment for `at_least` of them)."""
    deadline = time.monotonic() + 3
    while True:
        found = []
        for line in fleet.nginx.access_lines()[since:]:  # type: ignore[union-attr]
            match = _REPLICA.search(line)
            if match and match.group("uri") == uri:
                found.append((match.group("status"), match.group("replica")))
        if len(found) >= at_least or time.monotonic() > deadline:
            return found
        time.sleep(0.02)


def log_mark(fleet: Fleet) -> int:
    return len(fleet.nginx.access_lines())  # type: ignore[union-attr]


class Zalo:
    """What the Zalo platform does: sign an event, post it to the public webhook (through nginx), read deliveries."""

    def __init__(self, fleet: Fleet, fake: FakeZaloServer) -> None:
        self.fleet, self.fake = fleet, fake

    def event(self, user: str, text: str) -> Dict[str, Any]:
        return {"app_id": self.fake.app_id, "user_id_by_app": "552177279717587730", "event_name": "user_send_text",
                "timestamp": str(int(time.time() * 1000)), "sender": {"id": user}, "recipient": {"id": OA_ID},
                "message": {"text": text, "msg_id": uuid.uuid4().hex}}

    def post(self, event: Dict[str, Any]) -> Optional[requests.Response]:
        raw = json.dumps(event, ensure_ascii=False).encode("utf-8")
        headers = {"Content-Type": "application/json",
                   "X-ZEvent-Signature": signature_header(self.fake.app_id, raw, event["timestamp"], OA_SECRET)}
        try:
            return requests.post(self.fleet.url + "/webhooks/zalo/webhook", data=raw, headers=headers, timeout=10,
                                 verify=str(self.fleet.nginx.cert))  # type: ignore[union-attr]
        except requests.RequestException:
            return None

    def texts(self, user: str, since: int = 0) -> List[str]:
        return [m.get("text", "") for m in self.fake.delivered(user)[since:]]

    def wait_for_text(self, user: str, since: int, needle: str, timeout_s: float = 60) -> List[str]:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            texts = self.texts(user, since)
            if any(needle in t for t in texts):
                time.sleep(0.5)  # the rest of the same answer (buttons come as a last message)
                return self.texts(user, since)
            time.sleep(0.05)
        raise AssertionError(f"no answer containing {needle!r} for the Zalo user; got {self.texts(user, since)}")


def tracker(fleet: Fleet, replica: str, conversation: str) -> List[Dict[str, Any]]:
    response = requests.get(f"{fleet.rasa_url(replica)}/conversations/{conversation}/tracker",
                            headers=auth_headers(fleet.api_token), timeout=10)
    response.raise_for_status()
    return response.json().get("events", [])


def webchat(fleet: Fleet, text: str, token: Optional[str]) -> Tuple[List[str], str]:
    headers = {"X-Chat-Session": token} if token else {}
    response = requests.post(fleet.url + "/chat/webhook", json={"message": text}, headers=headers, timeout=30,
                             verify=str(fleet.nginx.cert))  # type: ignore[union-attr]
    assert response.status_code == 200, response.text
    assert "X-Thutuc-Replica" not in response.headers  # nginx keeps the replica names to its log
    return [m.get("text", "") for m in response.json()], response.headers["X-Chat-Session"]


def kill_when_claimed(fleet: Fleet, redis_client, replica: str, msg_id: str) -> threading.Thread:
    """Kill `replica` the moment it has claimed Zalo delivery `msg_id` (accepted, not yet answered): Redis tells us
    when the in-flight record is written."""
    redis_client.config_set("notify-keyspace-events", "K$")
    pubsub = redis_client.pubsub()
    pubsub.subscribe(f"__keyspace@0__:thutuc:zalo:inflight:msg:{msg_id}")
    pubsub.get_message(timeout=2)  # the subscription confirmation

    def watch() -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            message = pubsub.get_message(timeout=0.5)
            if message and message.get("type") == "message":
                fleet.kill(replica)
                break
        pubsub.close()

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    return thread


def test_a_replica_dies_mid_conversation(fleet, fake_zalo, fleet_dependencies):
    _, own_redis = fleet_dependencies
    zalo = Zalo(fleet, fake_zalo)
    user = new_zalo_user()

    # A Zalo conversation through nginx; the access log names the replica that served it.
    mark = log_mark(fleet)
    first = zalo.event(user, BIRTH_QUESTION)
    assert zalo.post(first).status_code == 200
    assert any(BIRTH in t for t in zalo.wait_for_text(user, 0, BIRTH))
    [(status, home)] = served(fleet, "/webhooks/zalo/webhook", mark)
    assert status == "200" and home in {"rasa-1", "rasa-2"}
    other = "rasa-2" if home == "rasa-1" else "rasa-1"
    second = zalo.event(user, "thời hạn giải quyết bao lâu")
    before = len(zalo.texts(user))
    assert zalo.post(second).status_code == 200
    zalo.wait_for_text(user, before, BIRTH)
    assert [r for _, r in served(fleet, "/webhooks/zalo/webhook", mark, 2)] == [home, home]  # one user, one replica

    # A web chat conversation on the same replica (its token decides; a new identity until one lands there).
    for _ in range(12):
        texts, token = webchat(fleet, BIRTH_QUESTION, None)
        assert BIRTH in "\n".join(texts)
        mark_web = log_mark(fleet)
        texts, token = webchat(fleet, "nộp ở đâu", token)
        assert BIRTH in "\n".join(texts)
        if served(fleet, "/chat/webhook", mark_web)[0][1] == home:
            break
    else:
        pytest.fail(f"no web chat identity was routed to {home} in 12 tries")

    # The follow-up arrives; the replica dies the moment it has accepted it, before answering.
    follow_up = zalo.event(user, FEE_FOLLOW_UP)
    killer = kill_when_claimed(fleet, own_redis.client(), home, follow_up["message"]["msg_id"])
    before = len(zalo.texts(user))
    mark = log_mark(fleet)
    reply = zalo.post(follow_up)
    killer.join(timeout=30)
    assert not fleet.replica(home).alive
    # Zalo retries a delivery it got no 200 for (the replica may die before its 200) and may retry one whose 200 it
    # missed: retry either way.
    print("first delivery of the follow-up:", reply.status_code if reply is not None else "no answer")
    retry = zalo.post(follow_up)
    assert retry is not None and retry.status_code == 200
    answer = "\n".join(zalo.wait_for_text(user, before, "Lệ phí", timeout_s=60))
    assert BIRTH in answer, answer  # the procedure named before the death: the context was kept
    assert served(fleet, "/webhooks/zalo/webhook", mark, 2)[-1] == ("200", other)
    # The original delivery, retried once more later, is not answered again; neither is the first question.
    assert zalo.post(follow_up).status_code == 200
    assert zalo.post(first).status_code == 200
    time.sleep(5)  # longer than a heartbeat: any second taker would have answered by now
    after_kill = zalo.texts(user, before)
    assert sum("Lệ phí" in t for t in after_kill) == 1, after_kill
    assert not any(BIRTH_QUESTION in t for t in after_kill)
    # Every message is in the conversation exactly once, in order, on the surviving replica.
    events = tracker(fleet, other, user)
    said = [e.get("message_id") for e in events if e.get("event") == "user"]
    assert said == [first["message"]["msg_id"], second["message"]["msg_id"], follow_up["message"]["msg_id"]]

    # The web chat conversation continues on the other replica, with its context.
    mark_web = log_mark(fleet)
    texts, token = webchat(fleet, FEE_FOLLOW_UP, token)
    text = "\n".join(texts)
    assert BIRTH in text and "Lệ phí" in text, text
    assert served(fleet, "/chat/webhook", mark_web) == [("200", other)]
