"""Acceptance (issue 10, point 1): 300 second-factor guesses for ONE receipt code, a fresh sender for every guess,
spread over every citizen channel — web chat, the Zalo webhook (validly signed) and REST — with the right digits
among them. The status is never shown; the rightful citizen then reads the locked-code message; `thutuc ho-so
unlock CODE` lifts the lock and the rightful citizen sees the status.

The trained bot is the session's `zalo_bot` (tests/fakes/zalo_bot.py: `bot.local_bot` with every channel of
credentials.yml, its Zalo channel pointed at the fake Zalo API); the dossiers are imported and the lock lifted with
the real `thutuc` command line, on the bot's own database.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Callable

import pytest
import requests

from bot.channels.webchat_identity import HEADER

from base.privacy import mask_text
from tests.conftest import RunningBot
from tests.fakes.zalo_bot import ZaloBot

pytestmark = pytest.mark.slow

CODE = "H15.50-251203-2035"
RIGHT = "5678"  # the last 4 digits of the phone on the dossier
DOSSIERS_CSV = (
    "receipt_code,state,procedure_code,received_at,due_at,supplement,site,phone\n"
    f"{CODE},5,1.001193,2025-12-03 08:30,2025-12-10,Bản sao giấy chứng sinh,tru-so-chinh,0912 345 678\n"
    "H15.50-251204-0001,4,1.001193,2025-12-04,2099-01-01,,tru-so-chinh,0987 000 111\n"
    "38.98.H29-251210-0013,9,1.001193,2025-12-10,2025-12-20,,tru-so-chinh,0900 000 222\n"
)
# What the status answer shows and a guesser must never read: the state, dates, what to supplement.
STATUS_MARKS = ("Trạng thái", "Yêu cầu bổ sung", "Bản sao giấy chứng sinh", "03/12/2025", "10/12/2025",
                "Việc cần làm", "Ngày tiếp nhận", "Hẹn trả kết quả")
LOCKED = "hồ sơ này tạm thời không tra cứu được qua tin nhắn"
GUESSES_PER_CHANNEL = 100
RIGHT_AT = {17, 49, 88}  # guess numbers (per channel) that send the right digits: after the lock, as it must be


def start_web_chat(rasa_url: str) -> Callable[[str], list[str]]:
    """Start a fresh web-chat conversation, as a new browser tab would; returns `say(text) -> reply texts`.

    The ONE place that knows how a web-chat client gets its identity: the server issues a signed token in the
    `X-Chat-Session` header of its first answer and the page sends it back; an attacker starts over by dropping it.
    """
    session = requests.Session()
    token: list[str] = []

    def say(text: str) -> list[str]:
        headers = {HEADER: token[0]} if token else {}
        reply = session.post(f"{rasa_url}/chat/webhook", json={"message": text}, headers=headers, timeout=30)
        reply.raise_for_status()
        token[:] = [reply.headers[HEADER]]
        return [message.get("text", "") for message in reply.json()]

    return say


def start_rest_conversation(rasa_url: str, api_token: str) -> Callable[[str], list[str]]:
    bot, sender = RunningBot(rasa_url, api_token, ""), f"rest-{uuid.uuid4().hex[:12]}"
    return lambda text: [message.get("text", "") for message in bot.send(text, sender)]


def start_zalo_conversation(zalo_bot: ZaloBot) -> Callable[[str], list[str]]:
    """A fresh Zalo user (a new signed user id); `say` waits until the bot has answered and returns what Zalo got."""
    user = "84" + str(uuid.uuid4().int)[:17]
    seen = [0]

    def say(text: str) -> list[str]:
        assert zalo_bot.post(zalo_bot.text_event(user, text)).status_code == 200
        zalo_bot.wait_until_answered(user, mask_text(text), poll_s=0.05)  # stored conversations are masked
        delivered = zalo_bot.zalo.delivered(user)
        new, seen[0] = delivered[seen[0]:], len(delivered)
        return [message.get("text", "") for message in new]

    return say


def thutuc(database_url: str, *args: str) -> str:
    env = {**os.environ, "DATABASE_URL": database_url, "REDIS_URL": ""}
    result = subprocess.run([sys.executable, "-m", "bot.cli", *args], env=env, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def guess(start: Callable[[], Callable[[str], list[str]]], number: int) -> list[str]:
    """One guess by a brand-new sender: the code, then 4 digits (the right ones at RIGHT_AT)."""
    say = start()
    digits = RIGHT if number in RIGHT_AT else f"{(number * 37 + 1000) % 10000:04d}".replace(RIGHT, "0000")
    return say(f"hồ sơ {CODE} của tôi sao rồi") + say(digits)


def run_channel(start: Callable[[], Callable[[str], list[str]]]) -> list[list[str]]:
    return [guess(start, number) for number in range(GUESSES_PER_CHANNEL)]


def assert_no_status(replies: list[str]) -> None:
    text = "\n".join(replies)
    for mark in STATUS_MARKS:
        assert mark not in text, f"a guesser read {mark!r}: {text}"


def test_300_guesses_with_fresh_senders_on_every_channel_never_show_the_status(zalo_bot, tmp_path):
    feed = tmp_path / "dossiers.csv"
    feed.write_text(DOSSIERS_CSV, encoding="utf-8")
    assert "Đã nhập 3 bản ghi: 3 mới" in thutuc(zalo_bot.database_url, "dossiers", "import", str(feed), "--no-notify")
    url = zalo_bot.rasa_url
    channels = {
        "webchat": lambda: start_web_chat(url),
        "zalo": lambda: start_zalo_conversation(zalo_bot),
        "rest": lambda: start_rest_conversation(url, zalo_bot.api_token),
    }
    with ThreadPoolExecutor(max_workers=len(channels)) as pool:  # the three channels at once, like real attackers
        results = dict(zip(channels, pool.map(run_channel, channels.values())))

    all_replies = [reply for guesses in results.values() for one in guesses for reply in one]
    assert len([one for guesses in results.values() for one in guesses]) == 300
    assert_no_status(all_replies)
    for name, guesses in results.items():
        assert all(one for one in guesses), f"{name}: a guess got no answer"
        # After the first few failures (on whichever channel) every lookup of the code is refused, right digits too.
        assert all(any(LOCKED in reply for reply in guesses[number]) for number in RIGHT_AT), name
    # 5 wrong second factors in all, whatever the channel; the 5th (or racing ones) is answered with the lock, and
    # from then on no digits are compared at all.
    assert sum("chưa khớp" in reply for reply in all_replies) <= 4

    lock = json.loads(thutuc(zalo_bot.database_url, "ho-so", CODE, "--json"))["lock"]
    assert lock["locked"] is True and lock["failures"] == 5

    # The rightful citizen, with the right digits, on web chat and on Zalo: the same locked-code message.
    for start in (channels["webchat"], channels["zalo"]):
        say = start()
        first = say(f"hồ sơ {CODE} của tôi sao rồi")
        assert any(LOCKED in reply and "mang Giấy tiếp nhận hồ sơ" in reply for reply in first), first
        assert_no_status(first + say(RIGHT))

    shown = thutuc(zalo_bot.database_url, "ho-so", CODE)
    assert "ĐANG KHÓA tra cứu qua tin nhắn — 5 lần nhập sai 4 số cuối" in shown
    unlocked = thutuc(zalo_bot.database_url, "ho-so", "unlock", CODE)
    assert f"Đã mở khóa tra cứu hồ sơ {CODE}: xóa 5 lần nhập sai 4 số cuối" in unlocked

    for start in (channels["webchat"], channels["zalo"]):
        say = start()
        assert any("4 số cuối" in reply for reply in say(f"hồ sơ {CODE} của tôi sao rồi"))
        status = "\n".join(say(RIGHT))
        assert "Trạng thái: Yêu cầu bổ sung giấy tờ" in status and "Bản sao giấy chứng sinh" in status
