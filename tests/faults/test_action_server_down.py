"""The action server: reachable only with the shared secret and only on loopback; killed or hung, the citizen reads a
polite message within seconds on every channel, never silence."""
from __future__ import annotations

import os
import signal
import socket
import time

import pytest
import requests

from bot.channels import texts
from tests.faults.channels import BIRTH, BIRTH_QUESTION as QUESTION, new_web_sender, new_zalo_user, rest, webchat, zalo
from tests.fakes.zalo_bot import start_zalo_bot

pytestmark = pytest.mark.slow

ACTION_TIMEOUT_S = 3.0


@pytest.fixture(scope="module")
def bot(tmp_path_factory):
    yield from start_zalo_bot(tmp_path_factory.mktemp("actions-down"),
                              extra_env={"THUTUC_ACTION_TIMEOUT": str(ACTION_TIMEOUT_S)})


def listening_addresses(port: int) -> set[str]:
    """Local addresses with a listening TCP socket on `port` (from /proc/net/tcp and tcp6)."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table, encoding="ascii") as handle:
            for line in handle.readlines()[1:]:
                local, state = line.split()[1], line.split()[3]
                address, port_hex = local.split(":")
                if state == "0A" and int(port_hex, 16) == port:
                    found.add(address)
    return found


def timed(ask, *args):
    started = time.monotonic()
    replies = ask(*args)
    return replies, time.monotonic() - started


def test_action_server_is_loopback_only_and_needs_the_secret(bot):
    servers = bot.servers
    assert listening_addresses(servers.action_port) == {"0100007F"}  # 127.0.0.1, nothing else
    base = servers.action_url.rsplit("/", 1)[0]
    call = {"next_action": "action_greet", "sender_id": "x", "tracker": {"sender_id": "x"}, "domain": {}}
    assert requests.post(servers.action_url, json=call, timeout=5).status_code == 403
    assert requests.post(servers.action_url, json=call, timeout=5,
                         headers={"X-Thutuc-Action-Secret": "wrong"}).status_code == 403
    assert requests.get(base + "/actions", timeout=5).status_code == 403
    assert requests.get(base + "/health", timeout=5).status_code == 200
    # Rasa sends it: the bot answers from the action server.
    assert BIRTH in "\n".join(rest(bot, new_web_sender(), QUESTION))


def test_action_server_killed_then_hung(bot):
    servers = bot.servers
    action_server = servers._processes[0]
    assert "bot.action_server" in action_server.args
    channels = {
        "REST": lambda text: rest(bot, new_web_sender(), text),
        "web chat": lambda text: webchat(bot, new_web_sender(), text),
        "Zalo": lambda text: zalo(bot, new_zalo_user(), text),
    }

    from tests.metrics.scrape import scrape, value

    failures_before = value(scrape(servers.metrics_url), "thutuc_action_server_failures_total")
    os.killpg(action_server.pid, signal.SIGKILL)
    action_server.wait(10)
    for channel, ask in channels.items():
        replies, took = timed(ask, QUESTION)
        assert replies == [texts.ACTIONS_INTERRUPTED], channel
        assert took < 3, (channel, took)
    # One failed call per message, on Rasa's private /metrics (base/metrics.py).
    assert value(scrape(servers.metrics_url), "thutuc_action_server_failures_total") - failures_before == 3

    # Hung: connections are accepted (by the kernel) but never answered.
    hung = socket.socket()
    hung.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    hung.bind(("127.0.0.1", servers.action_port))
    hung.listen(64)
    try:
        for channel, ask in channels.items():
            replies, took = timed(ask, QUESTION)
            assert replies == [texts.ACTIONS_INTERRUPTED], channel
            assert ACTION_TIMEOUT_S - 0.5 < took < ACTION_TIMEOUT_S + 2.5, (channel, took)
    finally:
        hung.close()
