"""The Rasa HTTP API takes short-lived JWTs in a header, never a token in the query string; no secret shows on a
process's command line (where `ps` and journald would show it)."""
from __future__ import annotations

from pathlib import Path

import pytest
import requests

from base.rasa_api import TOKEN_LIFETIME_S, auth_headers

pytestmark = pytest.mark.slow


def test_query_tokens_are_refused_and_header_jwts_accepted(zalo_bot):
    url = f"{zalo_bot.rasa_url}/conversations/rest-auth-check/tracker"
    assert requests.get(url, params={"token": zalo_bot.api_token}, timeout=10).status_code == 401
    assert requests.get(url, headers=auth_headers(zalo_bot.api_token), timeout=10).status_code == 200
    expired = auth_headers(zalo_bot.api_token, now=0)  # issued in 1970, expired long ago
    assert requests.get(url, headers=expired, timeout=10).status_code == 401
    forged = auth_headers("another-secret-of-the-same-length!", now=None)
    assert requests.get(url, headers=forged, timeout=10).status_code == 401
    assert TOKEN_LIFETIME_S <= 600


def test_no_secret_on_any_server_command_line(zalo_bot):
    secrets = {zalo_bot.api_token, zalo_bot.servers.action_secret}
    for process in zalo_bot.servers._processes:
        command_line = Path(f"/proc/{process.pid}/cmdline").read_bytes().decode("utf-8", "replace")
        assert not any(secret in command_line for secret in secrets), command_line.replace("\0", " ")
