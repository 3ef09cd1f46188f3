"""The URL guard: which pages the fetcher may touch.

Search results are chosen by strangers, so a result (or a redirect it answers
with) must not make us read our own network: cloud metadata at 169.254.169.254
or 100.100.100.200, an admin page on localhost, a printer on 10.0.0.7. Only
http(s) is allowed, and every address a host name resolves to must be globally
routable. The provider endpoint the user configured is trusted and never passes
through here.

Two layers, both needed:
- `check_url` reads the URL exactly as urllib3 (which `requests` connects with)
  reads it, and refuses any URL another parser could read differently: a
  backslash, user info, control characters, a host urllib's `urlsplit` sees
  otherwise. It resolves the name and refuses non-public answers early, with a
  clear reason.
- `guarded_session` (in `transport.py`) resolves the name again at connect time,
  checks each address and connects to that very address, so a DNS server that
  answers differently the second time (rebinding) cannot slip past.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Collection
from urllib.parse import urlsplit

from urllib3.exceptions import LocationParseError
from urllib3.util import parse_url

from grounding.config import setting
from grounding.core.text import looks_like_instructions
from grounding.errors import FetchRefusedError, RetrievalError

__all__ = [
    "ALLOWED_SCHEMES",
    "ALLOW_PRIVATE_ENV",
    "check_url",
    "is_public_address",
    "looks_like_instructions",
    "public_addresses",
    "url_host",
]

ALLOW_PRIVATE_ENV = "GROUNDING_ALLOW_PRIVATE_URLS"
ALLOWED_SCHEMES = frozenset({"http", "https"})

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Ranges Python 3.11's `is_global` still calls global but that reach, or are
# translated to, somebody's private network; judged by prefix, whole.
_NOT_GLOBAL = tuple(
    ipaddress.ip_network(net)
    for net in (
        "0.0.0.0/8",  # "this network"
        "100.64.0.0/10",  # carrier-grade NAT; 100.100.100.200 is a cloud metadata address
        "192.0.0.0/24",  # IETF protocol assignments
        "198.18.0.0/15",  # benchmarking
        "240.0.0.0/4",  # reserved, and the broadcast address
        "::/96",  # IPv4-compatible (deprecated): ::7f00:1 is 127.0.0.1
        "64:ff9b::/96",  # NAT64: 64:ff9b::7f00:1 is translated to 127.0.0.1
        "64:ff9b:1::/48",  # local-use NAT64
        "100::/64",  # discard-only
        "2001::/32",  # Teredo tunnels
        "2002::/16",  # 6to4: 2002:7f00:1:: embeds 127.0.0.1
        "fec0::/10",  # site-local (deprecated)
    )
)
# Characters that no parser may read two ways: a backslash (a slash to browsers and
# urllib's urlsplit, part of the user info to urllib3), whitespace, controls.
_AMBIGUOUS = re.compile(r"[\\\x00-\x20\x7f]")
_HOST = re.compile(r"[a-z0-9._-]+|\[[0-9a-f:.]+\]")


def is_public_address(address: IPAddress) -> bool:
    """True only for globally routable unicast addresses; IPv4-mapped IPv6 judged as IPv4."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if not address.is_global or address.is_multicast or address.is_reserved:
        return False
    return not any(address in net for net in _NOT_GLOBAL if net.version == address.version)


def url_host(url: str) -> tuple[str, str, int]:
    """(scheme, host, port) exactly as urllib3 will connect; FetchRefusedError if ambiguous."""
    if _AMBIGUOUS.search(url):
        raise FetchRefusedError(
            f"refused {url!r}: backslashes, spaces and control characters are not allowed in URLs"
        )
    try:
        parts = parse_url(url)
        other = urlsplit(url)
        other_host = other.hostname or ""
        other.port  # noqa: B018 - raises ValueError on a bad port
    except (LocationParseError, ValueError) as exc:
        raise FetchRefusedError(f"refused {url!r}: not a valid URL ({exc})") from exc
    scheme = (parts.scheme or "").lower()
    if scheme not in ALLOWED_SCHEMES:
        raise FetchRefusedError(f"refused {url!r}: only http and https URLs are fetched")
    host = (parts.host or "").lower()
    if not host:
        raise FetchRefusedError(f"refused {url!r}: the URL has no host")
    if parts.auth is not None or other.username is not None:
        raise FetchRefusedError(f"refused {url!r}: user names and passwords in URLs are refused")
    if not _HOST.fullmatch(host) or host.strip("[]") != _idna(other_host).lower():
        raise FetchRefusedError(f"refused {url!r}: the host is ambiguous")
    return scheme, host.strip("[]"), parts.port or (443 if scheme == "https" else 80)


def check_url(
    url: str,
    allow_private: bool | None = None,
    allowed_hosts: Collection[str] = (),
) -> str:
    """Return `url` if the fetcher may request it, else raise FetchRefusedError.

    `allow_private=None` reads GROUNDING_ALLOW_PRIVATE_URLS. `allowed_hosts` are
    host names trusted as written (an intranet wiki), whatever they resolve to.
    Schemes and ambiguous URLs are refused even when private addresses are allowed.
    """
    _, host, port = url_host(url)
    if allow_private is None:
        allow_private = setting("allow_private_urls")
    if allow_private or host in {h.lower() for h in allowed_hosts}:
        return url
    public_addresses(host, port, url)
    return url


def public_addresses(host: str, port: int, url: str | None = None) -> list[IPAddress]:
    """Every address `host` resolves to, if all are public; else FetchRefusedError."""
    addresses = _resolve(url or host, host, port)
    for address in addresses:
        if not is_public_address(address):
            raise FetchRefusedError(
                f"refused {url or host!r}: {host} resolves to the non-public address {address} "
                f"(set {ALLOW_PRIVATE_ENV}=1 to allow private addresses)"
            )
    return addresses


def _resolve(url: str, host: str, port: int) -> list[IPAddress]:
    try:
        infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError) as exc:
        raise RetrievalError(f"cannot resolve {host} for {url!r}: {exc}") from exc
    addresses: list[IPAddress] = []
    for info in infos:
        text = str(info[4][0]).split("%", 1)[0]  # drop an IPv6 zone id
        address = ipaddress.ip_address(text)
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise RetrievalError(f"cannot resolve {host} for {url!r}: no address")
    return addresses


def _idna(host: str) -> str:
    """`host` as urllib3 sends it: international names in their ASCII (punycode) form."""
    try:
        return host.encode("idna").decode("ascii") if not host.isascii() else host
    except UnicodeError:
        return host
