"""A verified dossier lookup is reused only by the identity and channel that verified it (trained bot, real servers).

The lookup session is keyed on Rasa's conversation id, and the ids of the channels never meet: web chat ids are
`web-<32 hex>` issued and signed by the server, REST ids `rest-<sender>`, Zalo ids digits only.
"""
from __future__ import annotations

import pytest
import requests

from tests.dossiers.conftest import FAKE_PEOPLE

pytestmark = pytest.mark.slow

CODE = "H15.50-251203-4611"
SYNC_TOKEN = "sync-test-token"  # set by running_bot
STATUS = "Trạng thái: Đang xử lý"
ASK_AGAIN = "hồ sơ của tôi giờ sao rồi"


def texts(replies) -> str:
    return "\n".join(reply.get("text", "") for reply in replies)


def chat(running_bot, text, token=None):
    headers = {"X-Chat-Session": token} if token else {}
    reply = requests.post(f"{running_bot.rasa_url}/chat/webhook", json={"message": text}, headers=headers, timeout=30)
    assert reply.status_code == 200, reply.text
    return texts(reply.json()), reply.headers["X-Chat-Session"]


def test_verified_lookup_is_bound_to_the_web_identity(running_bot):
    synced = requests.post(f"{running_bot.rasa_url}/api/dossiers/sync", headers={"Authorization": f"Bearer {SYNC_TOKEN}"},
                           json={"records": [{"receipt_code": CODE, "state": 4, "procedure_code": "1.001193",
                                              "received_at": "2025-12-03", "due_at": "2099-01-01", **FAKE_PEOPLE[0]}]},
                           timeout=30)
    assert synced.status_code == 200, synced.text

    found, token = chat(running_bot, f"tra cứu hồ sơ {CODE}")
    assert "4 số cuối" in found
    verified, same = chat(running_bot, "5678", token)
    assert same == token and STATUS in verified
    again, _ = chat(running_bot, ASK_AGAIN, token)
    assert STATUS in again  # the rightful identity reuses its verified lookup

    ident = token.split(".")[1]
    for forged in (None, f"v1.{ident}.{'A' * 43}", "web-" + ident, ident):
        stranger, issued = chat(running_bot, ASK_AGAIN, forged)
        assert issued != token and STATUS not in stranger
    for sender in (ident, "web-" + ident):  # REST cannot name the web conversation either
        assert STATUS not in texts(running_bot.send(ASK_AGAIN, sender))
