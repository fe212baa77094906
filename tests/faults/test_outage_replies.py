"""The pieces behind the polite outage messages, in-process: the custom-action fallback and the tracker-store rules
(bot/outage_replies.py, bot/tracker_store.py). The bounded, secret-carrying calls are in tests/perf/test_action_http.py."""
from __future__ import annotations


import pytest
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.tracker_store import FailSafeTrackerStore, InMemoryTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, FollowupAction, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot import outage_replies
from bot.channels import texts
from bot.local_bot import free_port
from bot.perf.action_http import ActionServerEndpoint
from bot.tracker_store import MaskingTrackerStore, TrackerStoreUnavailable
from rasa.core.actions.action import RemoteAction


def tracker_after(*events) -> DialogueStateTracker:
    return DialogueStateTracker.from_events("citizen-1", [ActionExecuted("action_listen"), *events])


async def test_a_failed_custom_action_becomes_the_polite_message_once_per_turn(settings_env):
    settings_env(THUTUC_ACTION_TIMEOUT="1")
    action = RemoteAction("action_answer_procedure", ActionServerEndpoint(f"http://127.0.0.1:{free_port()}/webhook"))
    tracker = tracker_after(UserUttered("làm khai sinh cần gì"))
    events = await outage_replies.run_remote_action(action, CollectingOutputChannel(), None, tracker, Domain.empty())
    assert [type(e) for e in events] == [BotUttered, FollowupAction]
    assert events[0].text == texts.ACTIONS_INTERRUPTED and events[1].action_name == "action_listen"

    # Another custom action in the same turn is not tried again (no second apology, no second wait).
    tracker.update(events[0])
    again = await outage_replies.run_remote_action(action, CollectingOutputChannel(), None, tracker, Domain.empty())
    assert [type(e) for e in again] == [FollowupAction]


async def test_tracker_database_down_is_told_on_the_message_s_own_channel(monkeypatch):
    async def failing(agent, message):
        raise TrackerStoreUnavailable("conversation not loaded: OperationalError")

    monkeypatch.setattr(outage_replies, "_original_handle_message", failing)
    output = CollectingOutputChannel()
    assert await outage_replies.handle_message(None, UserMessage("còn lệ phí?", output, "citizen-1")) is None
    assert [m["text"] for m in output.messages] == [texts.SERVICE_INTERRUPTED]


def test_only_the_masking_store_loses_rasas_fail_safe_wrapper():
    domain = Domain.empty()
    masking = MaskingTrackerStore(domain, inner="memory")
    assert outage_replies._create_tracker_store(masking, domain) is masking
    other = outage_replies._create_tracker_store(InMemoryTrackerStore(domain), domain)
    assert isinstance(other, FailSafeTrackerStore)


async def test_masking_store_raises_instead_of_pretending(tmp_path):
    domain = Domain.empty()
    store = MaskingTrackerStore(domain, url=f"sqlite:///{tmp_path / 'conversations.db'}")
    await store.save(tracker_after(UserUttered("xin chào")))
    store.inner.engine.dispose()
    (tmp_path / "conversations.db").unlink()
    (tmp_path / "conversations.db").mkdir()  # the file is gone and cannot be recreated: every query fails
    with pytest.raises(TrackerStoreUnavailable):
        await store.retrieve("citizen-1")
    with pytest.raises(TrackerStoreUnavailable):
        await store.save(tracker_after(UserUttered("còn lệ phí?")))
