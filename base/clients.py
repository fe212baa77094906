"""Who is asking, as far as the server can tell: a client key that no client can choose, for per-client limits.

Every citizen channel puts one into the message metadata under `thutuc_client`:

- web chat and REST: ``ip:<address>``, the TCP peer — or, only when the peer is one of `THUTUC_TRUSTED_PROXIES`, the
  address in the header `THUTUC_REAL_IP_HEADER` (nginx: ``proxy_set_header X-Real-IP $remote_addr;``). IPv6
  addresses count per /64, the block one subscriber gets;
- Zalo: ``zalo:<HMAC-SHA256 of the user id>``, keyed by `THUTUC_CLIENT_KEY_SECRET`. Zalo signs the user id, so it is
  not client-chosen, and the raw id never becomes a key.

A message without a key (another channel, the Rasa HTTP API) counts as the one shared client ``unknown``.
"""
from __future__ import annotations

import hashlib
import hmac
import ipaddress
import logging
from typing import Any, Mapping, Optional, Union

logger = logging.getLogger(__name__)

CLIENT_METADATA_KEY = "thutuc_client"
UNKNOWN_CLIENT = "unknown"
IPV6_PREFIX = 64

Network = Union[ipaddress.IPv4Network, ipaddress.IPv6Network]


def parse_networks(text: str, setting: str = "THUTUC_TRUSTED_PROXIES") -> tuple[Network, ...]:
    """A comma list of IPs and CIDRs; an entry that is neither stops start-up with a message naming it."""
    networks = []
    for entry in (part.strip() for part in (text or "").split(",")):
        if not entry:
            continue
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            raise ValueError(f"{setting}: {entry!r} is not an IP address or CIDR network") from None
    return tuple(networks)


def _address(text: Optional[str]) -> Optional[Union[ipaddress.IPv4Address, ipaddress.IPv6Address]]:
    if not text:
        return None
    text = text.strip().strip("[]")
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def address_key(address: Union[ipaddress.IPv4Address, ipaddress.IPv6Address]) -> str:
    if isinstance(address, ipaddress.IPv6Address):
        return f"ip:{ipaddress.ip_network((address, IPV6_PREFIX), strict=False)}"
    return f"ip:{address}"


class ClientKeys:
    """Derives client keys from what the server itself saw (peer address, a trusted proxy's header, Zalo's id)."""

    def __init__(self, trusted_proxies: str = "", real_ip_header: str = "X-Real-IP", secret: str = ""):
        self.trusted = parse_networks(trusted_proxies)
        self.header = real_ip_header
        self._secret = secret.encode("utf-8")

    @classmethod
    def from_settings(cls, settings=None) -> "ClientKeys":
        if settings is None:
            from base.settings import get_settings

            settings = get_settings()
        return cls(settings.trusted_proxies, settings.real_ip_header, settings.client_key_secret)

    def _is_trusted(self, address) -> bool:
        return any(address.version == network.version and address in network for network in self.trusted)

    def for_peer(self, peer: Optional[str], headers: Optional[Mapping[str, str]] = None) -> str:
        """The key of an HTTP client: its own address, or the real one a trusted proxy reports."""
        address = _address(peer)
        if address is None:
            return UNKNOWN_CLIENT
        if self.trusted and self._is_trusted(address) and headers is not None:
            reported = headers.get(self.header)
            # A list (X-Forwarded-For style): the right-most entry is the one our proxy appended.
            real = _address(reported.split(",")[-1]) if isinstance(reported, str) and reported.strip() else None
            if real is not None:
                return address_key(real)
            logger.debug("trusted proxy sent no usable %s header; counting the proxy itself", self.header)
        return address_key(address)

    def for_zalo_user(self, user_id: str) -> str:
        digest = hmac.new(self._secret, f"zalo-user:{user_id}".encode("utf-8"), hashlib.sha256).hexdigest()
        return f"zalo:{digest[:32]}"


def client_from_metadata(metadata: Optional[Mapping[str, Any]]) -> str:
    """The client key a channel put into a message's metadata, else the shared "unknown" client."""
    value = metadata.get(CLIENT_METADATA_KEY) if isinstance(metadata, Mapping) else None
    if isinstance(value, str) and 0 < len(value) <= 128:
        return value
    return UNKNOWN_CLIENT
