"""/metrics of the real servers after a short conversation: the counters of what happened moved by exactly that much,
and the endpoint is served only on the private ports, not on the public one (base/metrics.py)."""
from __future__ import annotations

import uuid

import requests

from bot.channels.webchat_identity import HEADER
from tests.metrics.scrape import names, scrape, value

GIBBERISH = "hmm"  # top intent at the FallbackClassifier's threshold (0.3): nlu_fallback → action_clarify


def _webchat(rasa_url: str, text: str, token: str | None = None) -> tuple[list, str]:
    headers = {HEADER: token} if token else {}
    response = requests.post(f"{rasa_url}/chat/webhook", json={"message": text}, headers=headers, timeout=30)
    response.raise_for_status()
    return response.json(), response.headers[HEADER]


def test_a_short_conversation_moves_the_counters(running_bot):
    rasa_before, actions_before = scrape(running_bot.metrics_url), scrape(running_bot.action_metrics_url)

    answer = running_bot.send("làm khai sinh cần gì", f"metrics-{uuid.uuid4().hex[:8]}")
    assert "(mã 1.001193)" in " ".join(m.get("text", "") for m in answer)
    clarify, token = _webchat(running_bot.rasa_url, GIBBERISH)
    assert any(m.get("buttons") for m in clarify)  # "Bạn muốn hỏi…?" with buttons
    _webchat(running_bot.rasa_url, "làm giấy khai sinh ở đâu", token)
    handoff_sender = f"metrics-{uuid.uuid4().hex[:8]}"
    opened = running_bot.send("cho tôi gặp cán bộ", handoff_sender)
    assert "phiếu số" in " ".join(m.get("text", "") for m in opened)

    rasa, actions = scrape(running_bot.metrics_url), scrape(running_bot.action_metrics_url)

    def moved(after, before, name, **labels):
        return value(after, name, **labels) - value(before, name, **labels)

    assert moved(rasa, rasa_before, "thutuc_messages_total", channel="rest") == 2
    assert moved(rasa, rasa_before, "thutuc_messages_total", channel="webchat") == 2
    assert moved(rasa, rasa_before, "thutuc_reply_seconds_count", channel="rest") == 2
    assert moved(rasa, rasa_before, "thutuc_reply_seconds_count", channel="webchat") == 2
    assert moved(rasa, rasa_before, "thutuc_reply_seconds_sum", channel="webchat") > 0
    # Every reply took less than a minute: the +Inf bucket and the 60 s bucket moved alike.
    assert (moved(rasa, rasa_before, "thutuc_reply_seconds_bucket", channel="rest", le="60.0")
            == moved(rasa, rasa_before, "thutuc_reply_seconds_bucket", channel="rest", le="+Inf") == 2)
    assert moved(rasa, rasa_before, "thutuc_nlu_fallback_total", channel="webchat") == 1
    assert moved(rasa, rasa_before, "thutuc_nlu_fallback_total", channel="rest") == 0
    # One lock per message (in memory: this bot has no REDIS_URL).
    assert moved(rasa, rasa_before, "thutuc_lock_wait_seconds_count", store="memory") == 4
    assert moved(rasa, rasa_before, "thutuc_action_server_failures_total") == 0

    assert moved(actions, actions_before, "thutuc_clarify_total", outcome="question") == 1
    assert moved(actions, actions_before, "thutuc_action_runs_total", action="action_clarify") == 1
    assert moved(actions, actions_before, "thutuc_action_runs_total", action="action_answer_procedure") == 2
    assert moved(actions, actions_before, "thutuc_action_runs_total", action="action_request_human") == 1
    errors = [k for k in actions if k[0] == "thutuc_action_errors_total"]
    assert all(actions[k] == actions_before.get(k, 0.0) for k in errors)
    assert value(actions, "thutuc_ticket_store_up") == 1
    assert moved(actions, actions_before, "thutuc_handoff_tickets_open", status="open") == 1

    # The gauge is read from the database at each scrape: closing the ticket brings it back down.
    from base.db import get_engine
    from handoff.store import ConversationStore, close_and_resume

    store = ConversationStore(get_engine(running_bot.database_url))
    ticket = next(t for t in store.list_tickets("open") if t.sender_id == running_bot.conversation_id(handoff_sender))
    close_and_resume(store, ticket.id, rasa_url=running_bot.rasa_url, token=running_bot.api_token)
    closed = scrape(running_bot.action_metrics_url)
    assert value(closed, "thutuc_handoff_tickets_open", status="open") == value(actions, "thutuc_handoff_tickets_open",
                                                                                 status="open") - 1
    # The Rasa server's process metrics are there too (memory, CPU), the action metrics are not.
    assert "process_resident_memory_bytes" in names(rasa) and "thutuc_handoff_tickets_open" not in names(rasa)


def test_metrics_are_not_served_on_the_public_ports(running_bot):
    public = requests.get(f"{running_bot.rasa_url}/metrics", timeout=10)
    assert public.status_code == 404 and "thutuc_messages" not in public.text
    action_public = requests.get(running_bot.action_url.rsplit("/", 1)[0] + "/metrics", timeout=10)
    assert action_public.status_code in (403, 404) and "thutuc_action_runs" not in action_public.text
    from tests.faults.test_action_server_down import listening_addresses

    for url in (running_bot.metrics_url, running_bot.action_metrics_url):
        port = int(url.rsplit(":", 1)[1].split("/")[0])
        assert listening_addresses(port) == {"0100007F"}, url  # 127.0.0.1 only (THUTUC_METRICS_BIND_HOST)
    private = requests.get(running_bot.metrics_url, timeout=10)
    assert private.status_code == 200 and "thutuc_messages_total" in private.text
    assert private.headers["Content-Type"].startswith("text/plain")
