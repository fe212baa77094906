"""Field encryption and keyed hashes (base/crypto.py): round trip, plain values pass, keys differ per secret and
purpose, production needs THUTUC_DATA_KEY, development generates one file."""
from __future__ import annotations

import stat

import pytest

from base.crypto import PREFIX, DataKeyMissing, FieldCipher, UndecryptableValue, cipher, data_key, is_encrypted
from base.settings import Settings


def test_encrypted_values_round_trip_and_hide_the_plain_text():
    box = FieldCipher("x" * 32)
    stored = box.encrypt("0912 345 678")
    assert stored.startswith(PREFIX) and is_encrypted(stored)
    assert "0912" not in stored and "345" not in stored
    assert box.decrypt(stored) == "0912 345 678"
    assert box.encrypt("0912 345 678") != stored  # a fresh IV every time: equal values do not look equal
    assert box.encrypt(None) is None and box.encrypt("") == ""


def test_values_written_before_encryption_read_unchanged():
    box = FieldCipher("x" * 32)
    assert box.decrypt("0912345678") == "0912345678"
    assert box.decrypt(None) is None and not is_encrypted("0912345678")


def test_another_key_cannot_open_a_value():
    stored = FieldCipher("x" * 32).encrypt("bí mật")
    with pytest.raises(UndecryptableValue):
        FieldCipher("y" * 32).decrypt(stored)
    with pytest.raises(UndecryptableValue):
        FieldCipher("x" * 32).decrypt(PREFIX + "not-a-token")


def test_keyed_hashes_are_stable_per_key_and_purpose():
    box = FieldCipher("x" * 32)
    first = box.keyed_hash("1234567890123456789", "zalo-sender")
    assert first == box.keyed_hash("1234567890123456789", "zalo-sender") and len(first) == 64
    assert first != box.keyed_hash("1234567890123456789", "other-purpose")
    assert first != FieldCipher("y" * 32).keyed_hash("1234567890123456789", "zalo-sender")


def test_development_generates_one_key_file_and_production_requires_the_setting(tmp_path):
    path = tmp_path / "data_key"
    development = Settings(env="development", data_key_file=path)
    key = data_key(development)
    assert path.read_text().strip() == key and stat.S_IMODE(path.stat().st_mode) == 0o600
    assert cipher(development).decrypt(cipher(development).encrypt("a")) == "a"
    assert data_key(Settings(env="development", data_key="z" * 32, data_key_file=path)) == "z" * 32
    with pytest.raises(DataKeyMissing, match="THUTUC_DATA_KEY is not set"):
        data_key(Settings(env="production", data_key_file=tmp_path / "other"))
    assert not (tmp_path / "other").exists()
