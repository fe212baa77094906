"""Redis stopped mid-conversation: the bot keeps answering on REST, web chat and Zalo with in-process locks and
marks, no echo of its own Zalo messages pauses a conversation, and the Rasa server logs exactly one warning."""
from __future__ import annotations

import pytest

from tests.faults.channels import (
    BIRTH, BIRTH_QUESTION as QUESTION, FEE_FOLLOW_UP as FOLLOW_UP, echo, echo_bot_messages, is_paused, log_lines_since,
    new_web_sender, new_zalo_user, rasa_log, rest, webchat, zalo,
)
from tests.fakes.zalo_bot import start_zalo_bot

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def bot(own_redis, tmp_path_factory):
    yield from start_zalo_bot(tmp_path_factory.mktemp("redis-down"), extra_env={"REDIS_URL": own_redis.url})


def test_redis_stopped_mid_conversation(bot, own_redis):
    redis_server = own_redis
    rest_sender, web_sender, zalo_user = new_web_sender(), new_web_sender(), new_zalo_user()

    # Before: every channel answers and the Zalo marks live in our Redis (shared by replicas).
    assert BIRTH in "\n".join(rest(bot, rest_sender, QUESTION))
    assert BIRTH in "\n".join(webchat(bot, web_sender, QUESTION))
    assert BIRTH in "\n".join(zalo(bot, zalo_user, QUESTION))
    echoed = echo_bot_messages(bot, zalo_user)
    keys = {key.decode() for key in redis_server.client().keys("thutuc:*")}
    assert any(key.startswith("thutuc:zalo:sent-id:") for key in keys)
    assert any(key.startswith("thutuc:zalo:delivery:") for key in keys)

    log = rasa_log(bot)
    mark = log.stat().st_size
    redis_server.stop()

    # During: the conversations go on with their context, on every channel.
    for replies in (rest(bot, rest_sender, FOLLOW_UP), webchat(bot, web_sender, FOLLOW_UP),
                    zalo(bot, zalo_user, FOLLOW_UP)):
        text = "\n".join(replies)
        assert BIRTH in text and "Lệ phí" in text
    # Zalo echoes the bot's own messages sent during the outage (known from this process's memory) ...
    echoed = echo_bot_messages(bot, zalo_user, echoed)
    # ... and one this process has no mark of, as when the echo reaches another replica: unsure, so ours.
    echo(bot, zalo_user, "Đăng ký khai sinh (mã 1.001193)\nThời hạn giải quyết: trong ngày", "msg-from-elsewhere")
    assert BIRTH in "\n".join(zalo(bot, zalo_user, "thời hạn giải quyết bao lâu"))
    echo_bot_messages(bot, zalo_user, echoed)
    assert BIRTH in "\n".join(zalo(bot, zalo_user, "nộp ở đâu"))
    assert not is_paused(bot, zalo_user), "an echo of the bot's own message must never look like a clerk's reply"

    lines = log_lines_since(log, mark)
    warnings = [line for line in lines if " WARNING " in line]
    assert len(warnings) == 1, warnings
    assert "Redis at 127.0.0.1:" in warnings[0] and "unreachable" in warnings[0]  # (digits masked in logs)
    assert not [line for line in lines if " ERROR " in line or "Traceback" in line]
