"""Client keys: the TCP peer unless a trusted proxy vouches for another address; Zalo ids only as keyed hashes."""
from __future__ import annotations

import pytest

from base.clients import UNKNOWN_CLIENT, ClientKeys, client_from_metadata, parse_networks


def test_the_peer_is_the_client_when_no_proxy_is_trusted():
    keys = ClientKeys()
    assert keys.for_peer("203.0.113.7", {"X-Real-IP": "198.51.100.1"}) == "ip:203.0.113.7"  # header ignored
    assert keys.for_peer("", {}) == keys.for_peer(None) == UNKNOWN_CLIENT


def test_a_trusted_proxy_reports_the_real_address():
    keys = ClientKeys("127.0.0.1, 10.0.0.0/8", "X-Real-IP")
    assert keys.for_peer("10.1.2.3", {"X-Real-IP": "203.0.113.7"}) == "ip:203.0.113.7"
    assert keys.for_peer("127.0.0.1", {"X-Real-IP": " 203.0.113.8 "}) == "ip:203.0.113.8"
    # X-Forwarded-For style list: the right-most entry is the one the proxy appended; the rest is client-written.
    assert keys.for_peer("127.0.0.1", {"X-Real-IP": "1.1.1.1, 203.0.113.9"}) == "ip:203.0.113.9"
    # No usable header from the proxy: count the proxy itself (stricter, never a client-chosen value).
    assert keys.for_peer("127.0.0.1", {"X-Real-IP": "not-an-ip"}) == "ip:127.0.0.1"
    assert keys.for_peer("127.0.0.1", {}) == "ip:127.0.0.1"
    # A peer outside the trusted list cannot speak for anyone else.
    assert keys.for_peer("192.0.2.1", {"X-Real-IP": "203.0.113.7"}) == "ip:192.0.2.1"


def test_the_header_name_is_configurable():
    keys = ClientKeys("127.0.0.1", "X-Forwarded-For")
    assert keys.for_peer("127.0.0.1", {"X-Forwarded-For": "203.0.113.7", "X-Real-IP": "1.1.1.1"}) == "ip:203.0.113.7"


def test_ipv6_counts_per_64_block_and_mapped_ipv4_as_ipv4():
    keys = ClientKeys()
    assert keys.for_peer("2001:db8:1:2:aaaa::1") == keys.for_peer("2001:db8:1:2:ffff::9") == "ip:2001:db8:1:2::/64"
    assert keys.for_peer("2001:db8:1:3::1") != keys.for_peer("2001:db8:1:2::1")
    assert keys.for_peer("::ffff:203.0.113.7") == "ip:203.0.113.7"
    assert ClientKeys("::1").for_peer("::1", {"X-Real-IP": "203.0.113.7"}) == "ip:203.0.113.7"


def test_a_wrong_trusted_proxy_entry_is_named():
    with pytest.raises(ValueError, match="THUTUC_TRUSTED_PROXIES: 'proxy.local' is not an IP address or CIDR"):
        parse_networks("127.0.0.1, proxy.local")
    assert parse_networks(" , ") == ()


def test_zalo_ids_become_keyed_hashes():
    user = "8470117331209467721"
    key = ClientKeys(secret="one").for_zalo_user(user)
    assert key.startswith("zalo:") and user not in key and len(key) == 5 + 32
    assert key == ClientKeys(secret="one").for_zalo_user(user) != ClientKeys(secret="two").for_zalo_user(user)


def test_metadata_without_a_key_is_the_shared_unknown_client():
    assert client_from_metadata({"thutuc_client": "ip:203.0.113.7"}) == "ip:203.0.113.7"
    for metadata in (None, {}, {"thutuc_client": ""}, {"thutuc_client": 7}, {"thutuc_client": "x" * 500}, "text"):
        assert client_from_metadata(metadata) == UNKNOWN_CLIENT
