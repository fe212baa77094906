"""Signed web chat identities and where their secret comes from."""
from __future__ import annotations

import multiprocessing
import stat

import pytest

from base.settings import Settings
from bot.channels.webchat_identity import (
    WebChatIdentity, WebChatSecretMissing, development_secret, identity_from_settings,
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


def test_development_secret_is_generated_once_with_mode_0600(tmp_path):
    path = tmp_path / "var" / "webchat_secret"
    first = development_secret(path)
    assert len(first) >= 32 and stat.S_IMODE(path.stat().st_mode) == 0o600
    assert development_secret(path) == first
    assert [p.name for p in path.parent.iterdir()] == ["webchat_secret"]  # no temporary file left behind


def _secret_in_child(path, queue):
    queue.put(development_secret(path))


def test_processes_starting_together_agree_on_one_secret(tmp_path):
    path = tmp_path / "webchat_secret"
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    children = [context.Process(target=_secret_in_child, args=(path, queue)) for _ in range(6)]
    for child in children:
        child.start()
    secrets = {queue.get(timeout=30) for _ in children}
    for child in children:
        child.join(10)
    assert len(secrets) == 1 and secrets == {development_secret(path)}


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


def test_a_damaged_secret_file_is_refused(tmp_path):
    path = tmp_path / "webchat_secret"
    path.write_text("short\n")
    with pytest.raises(ValueError, match="delete it"):
        development_secret(path)


def test_unknown_environment_is_refused():
    with pytest.raises(ValueError, match="THUTUC_ENV must be 'development' or 'production', not 'prod'"):
        Settings(env="prod")
