"""Signed web chat identities and where their secret comes from."""
from __future__ import annotations

import pytest

from base.settings import Settings
from bot.channels.webchat_identity import (
    WebChatIdentity, WebChatSecretMissing, identity_from_settings,
)


def test_tokens_round_trip_and_are_bound_to_the_secret():
    identity = WebChatIdentity(b"s" * 32)
    sender, token = identity.issue()
    assert sender.startswith("web-") and len(sender) == 36
    assert identity.sender_of(token) == sender and identity.resolve(token) == (sender, token)
    assert WebChatIdentity(b"t" * 32).sender_of(token) is None
    fresh_sender, fresh_token = identity.resolve("v1." + sender[4:] + "." + "A" * 43)
    assert fresh_sender != sender and identity.sender_of(fresh_token) == fresh_sender
    assert len({identity.issue()[0] for _ in range(1000)}) == 1000


def test_settings_choose_the_secret(tmp_path):
    configured = Settings(webchat_secret="x" * 32, webchat_secret_file=tmp_path / "unused")
    _, token = identity_from_settings(configured).issue()
    assert WebChatIdentity(b"x" * 32).sender_of(token) is not None
    assert not (tmp_path / "unused").exists()

    development = Settings(webchat_secret_file=tmp_path / "dev")
    _, token = identity_from_settings(development).issue()
    assert identity_from_settings(Settings(webchat_secret_file=tmp_path / "dev")).sender_of(token) is not None

    with pytest.raises(WebChatSecretMissing, match="THUTUC_WEBCHAT_SECRET"):
        identity_from_settings(Settings(env="production", webchat_secret_file=tmp_path / "prod"))
    assert not (tmp_path / "prod").exists()
    assert "x" * 32 not in repr(configured)  # never printed with the settings


def test_unknown_environment_is_refused():
    with pytest.raises(ValueError, match="THUTUC_ENV must be 'development' or 'production', not 'prod'"):
        Settings(env="prod")
