"""One citizen question on each channel of a running bot (tests/fakes/zalo_bot.py), as the fault tests ask it."""
from __future__ import annotations

import random
import time
import uuid
from pathlib import Path
from typing import Any, Dict, List

import requests

from tests.fakes.zalo_bot import OA_ID, ZaloBot

# Questions whose answers the shipped procedures settle, and the header every answer about them starts with.
BIRTH_QUESTION, BIRTH = "làm khai sinh cần gì", "Đăng ký khai sinh (mã 1.001193)"
MARRIAGE_QUESTION, MARRIAGE = "đăng ký kết hôn cần giấy tờ gì", "Đăng ký kết hôn (mã 1.000894)"
FEE_FOLLOW_UP = "còn lệ phí thì sao?"  # answered from the procedure in context


def new_zalo_user() -> str:
    return "84" + "".join(random.choice("0123456789") for _ in range(17))


def new_web_sender() -> str:
    return "fault" + uuid.uuid4().hex[:12]


def rest(bot: ZaloBot, sender: str, text: str, timeout: float = 30) -> List[str]:
    response = requests.post(f"{bot.rasa_url}/webhooks/rest/webhook", json={"sender": sender, "message": text},
                             timeout=timeout)
    response.raise_for_status()
    return [m.get("text", "") for m in response.json()]


_WEB_TOKENS: Dict[str, str] = {}  # test sender name → the identity the server issued for it


def web_conversation_id(sender: str) -> str:
    """Rasa's conversation id of the web chat conversation named `sender` (after its first message)."""
    from bot.channels.webchat_identity import SENDER_PREFIX

    return SENDER_PREFIX + _WEB_TOKENS[sender].split(".")[1]


def rest_conversation_id(sender: str) -> str:
    from bot.channels.rest import SENDER_PREFIX

    return SENDER_PREFIX + sender


def webchat(bot: ZaloBot, sender: str, text: str, timeout: float = 30) -> List[str]:
    """One web chat message of the conversation named `sender`: the server issues the identity on the first message
    (bot/channels/webchat_identity.py) and the token is sent back with every later one, as the page does."""
    headers = {"X-Chat-Session": _WEB_TOKENS[sender]} if sender in _WEB_TOKENS else {}
    response = requests.post(f"{bot.rasa_url}/chat/webhook", json={"message": text}, headers=headers,
                             timeout=timeout)
    assert response.status_code == 200, response.text
    _WEB_TOKENS[sender] = response.headers["X-Chat-Session"]
    return [m.get("text", "") for m in response.json()]


def zalo(bot: ZaloBot, user: str, text: str, tracker_readable: bool = True, timeout: float = 60) -> List[str]:
    """Post a signed question; return the texts delivered to the user for it. With `tracker_readable`, waits until
    Rasa stored the turn (all replies sent); otherwise (database down) until at least one reply arrived."""
    before = len(bot.zalo.delivered(user))
    assert bot.post(bot.text_event(user, text)).status_code == 200
    if tracker_readable:
        bot.wait_until_answered(user, text, timeout_s=timeout)
    else:
        bot.zalo.wait_for_deliveries(before + 1, user, timeout_s=timeout)
    return [m.get("text", "") for m in bot.zalo.delivered(user)[before:]]


def echo(bot: ZaloBot, user: str, text: str, msg_id: str) -> None:
    """What Zalo sends back for every message the OA sent, the bot's or a clerk's from the OA inbox."""
    event: Dict[str, Any] = {
        "app_id": bot.zalo.app_id,
        "event_name": "oa_send_text",
        "timestamp": str(int(time.time() * 1000)),
        "sender": {"id": OA_ID},
        "recipient": {"id": user},
        "message": {"text": text, "msg_id": msg_id},
    }
    assert bot.post(event).status_code == 200


def echo_bot_messages(bot: ZaloBot, user: str, already: int = 0) -> int:
    """Echo every message the fake Zalo accepted for `user` from index `already` on; returns the new count."""
    sends = [r for r in bot.zalo.sends() if r.json["recipient"]["user_id"] == user and r.response.get("error") == 0]
    for record in sends[already:]:
        echo(bot, user, record.json["message"].get("text", ""), record.response["data"]["message_id"])
    return len(sends)


def is_paused(bot: ZaloBot, user: str) -> bool:
    return any(e.get("event") == "pause" for e in bot.events(user))


def rasa_log(bot: ZaloBot) -> Path:
    return bot.servers.log_dir / f"rasa-{bot.servers.rasa_port}.log"


def log_lines_since(path: Path, offset: int) -> List[str]:
    with open(path, "rb") as handle:
        handle.seek(offset)
        return handle.read().decode("utf-8", "replace").splitlines()
