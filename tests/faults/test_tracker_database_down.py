"""The conversation database (our own PostgreSQL) stopped mid-conversation: every channel says "tạm gián đoạn" and
nothing else; nothing is stored over the real conversation; after a restart each conversation goes on with its
context."""
from __future__ import annotations

import pytest
import requests

from base.rasa_api import auth_headers
from bot.channels import texts
from tests.faults.channels import (
    FEE_FOLLOW_UP as FOLLOW_UP, MARRIAGE, MARRIAGE_QUESTION as QUESTION, new_web_sender, new_zalo_user, rest,
    rest_conversation_id, web_conversation_id, webchat, zalo,
)
from tests.fakes.zalo_bot import start_zalo_bot

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def bot(own_postgres, tmp_path_factory):
    url = own_postgres.create_database("thutuc_fault_conversations")
    yield from start_zalo_bot(tmp_path_factory.mktemp("tracker-down"), extra_env={"TRACKER_DATABASE_URL": url})


def stored_events(bot, sender: str) -> list[dict]:
    response = requests.get(f"{bot.rasa_url}/conversations/{sender}/tracker",
                            headers=auth_headers(bot.api_token),
                            timeout=10)
    response.raise_for_status()
    return response.json()["events"]


def test_tracker_database_stopped_and_restarted(bot, own_postgres):
    postgres = own_postgres
    rest_sender, web_sender, zalo_user = "rest-" + new_web_sender(), new_web_sender(), new_zalo_user()
    ask = {
        "REST": lambda text: rest(bot, rest_sender, text),
        "web chat": lambda text: webchat(bot, web_sender, text),
        "Zalo": lambda text: zalo(bot, zalo_user, text, tracker_readable=postgres_up[0]),
    }
    postgres_up = [True]

    for channel, send in ask.items():
        assert MARRIAGE in "\n".join(send(QUESTION)), channel
    conversation_ids = {"REST": rest_conversation_id(rest_sender), "web chat": web_conversation_id(web_sender),
                        "Zalo": zalo_user}
    before = {channel: stored_events(bot, sender) for channel, sender in conversation_ids.items()}

    postgres.stop()
    postgres_up[0] = False
    for channel, send in ask.items():
        # The polite message and nothing else: no answer built on an empty tracker, no menu of a "new" conversation.
        assert send(FOLLOW_UP) == [texts.SERVICE_INTERRUPTED], channel
        assert send("xin chào") == [texts.SERVICE_INTERRUPTED], channel

    postgres.start()
    postgres_up[0] = True
    for channel, send in ask.items():
        follow_up = "\n".join(send(FOLLOW_UP))
        assert MARRIAGE in follow_up and "Lệ phí" in follow_up, (channel, follow_up)  # the context survived
        events = stored_events(bot, conversation_ids[channel])
        assert events[: len(before[channel])] == before[channel], channel  # nothing written over the conversation
        user_texts = [e.get("text") for e in events if e.get("event") == "user"]
        assert user_texts == [QUESTION, FOLLOW_UP], (channel, user_texts)  # the outage turns were never stored
