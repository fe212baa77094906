"""The dossier lookup end to end: trained model, Rasa server (REST + sync channel), action server, masked tracker
store. Uses the foundation's `running_bot` fixture (tests/conftest.py); slow: it may train the model."""
from __future__ import annotations

import json
import uuid

import pytest
import requests

from tests.dossiers.conftest import FAKE_PEOPLE

pytestmark = pytest.mark.slow

CODE = "H15.50-251203-2035"
SYNC_TOKEN = "sync-test-token"  # set by running_bot


def texts(replies) -> str:
    return "\n".join(reply.get("text", "") for reply in replies)


@pytest.fixture(scope="module")
def bot_with_dossier(running_bot):
    reply = requests.post(f"{running_bot.rasa_url}/api/dossiers/sync",
                          headers={"Authorization": f"Bearer {SYNC_TOKEN}"},
                          json={"records": [{"receipt_code": CODE, "state": 4, "procedure_code": "1.001193",
                                             "received_at": "2025-12-03", "due_at": "2099-01-01",
                                             **FAKE_PEOPLE[0]}]}, timeout=30)
    assert reply.status_code == 200, reply.text
    return running_bot


def test_sync_needs_the_token(running_bot):
    reply = requests.post(f"{running_bot.rasa_url}/api/dossiers/sync", json={"records": [{"receipt_code": CODE,
                                                                                        "state": 9}]}, timeout=30)
    assert reply.status_code == 401


def test_lookup_with_second_factor_over_rest(bot_with_dossier):
    sender = f"e2e-dossier-{uuid.uuid4().hex[:8]}"
    first = texts(bot_with_dossier.send(f"hồ sơ {CODE} của tôi sao rồi", sender))
    assert "Mình đã tìm thấy hồ sơ" in first and "4 số cuối" in first
    assert "Đang xử lý" not in first
    wrong = texts(bot_with_dossier.send("1111", sender))
    assert "chưa khớp" in wrong
    answer = texts(bot_with_dossier.send("5678", sender))
    assert "Trạng thái: Đang xử lý" in answer and "Đăng ký khai sinh (mã 1.001193)" in answer
    for value in FAKE_PEOPLE[0].values():
        assert value not in first + wrong + answer
    stored = json.dumps(bot_with_dossier.tracker(sender)["events"], ensure_ascii=False)
    assert CODE not in stored and "5678" not in stored and "H15.50-******-**35" in stored


def test_unknown_code_over_rest(bot_with_dossier):
    reply = texts(bot_with_dossier.send("tra cuu ho so H15.50-251203-9999"))
    assert "không tìm thấy hồ sơ có mã H15.50-251203-9999" in reply
