"""Secrets a development machine generates for itself (base/local_secrets.py)."""
from __future__ import annotations

import multiprocessing
import stat

import pytest

from base.local_secrets import development_secret


def test_development_secret_is_generated_once_with_mode_0600(tmp_path):
    path = tmp_path / "var" / "some_secret"
    first = development_secret(path)
    assert len(first) >= 32 and stat.S_IMODE(path.stat().st_mode) == 0o600
    assert development_secret(path) == first
    assert [p.name for p in path.parent.iterdir()] == ["some_secret"]  # no temporary file left behind


def _secret_in_child(path, queue):
    queue.put(development_secret(path))


def test_processes_starting_together_agree_on_one_secret(tmp_path):
    path = tmp_path / "some_secret"
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    children = [context.Process(target=_secret_in_child, args=(path, queue)) for _ in range(6)]
    for child in children:
        child.start()
    secrets = {queue.get(timeout=30) for _ in children}
    for child in children:
        child.join(10)
    assert len(secrets) == 1 and secrets == {development_secret(path)}


def test_a_too_short_secret_file_is_refused_not_used(tmp_path):
    path = tmp_path / "some_secret"
    path.write_text("short\n", encoding="ascii")
    with pytest.raises(ValueError, match="delete it"):
        development_secret(path)
