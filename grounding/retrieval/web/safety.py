"""The URL guard: which pages the fetcher may touch.

Search results are chosen by strangers, so a result (or a redirect it answers
with) must not make us read our own network: cloud metadata at 169.254.169.254,
an admin page on localhost, a printer on 10.0.0.7. Only http(s) is allowed, and
every address a host name resolves to must be public. The provider endpoint the
user configured is trusted and never passes through here.

Known limit: the check resolves the name, then `requests` resolves it again to
connect, so a DNS server that answers differently the second time (rebinding)
can slip past; run the fetcher behind an egress proxy where that matters.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Collection
from urllib.parse import urlsplit

from grounding.config import Settings
from grounding.errors import FetchRefusedError, RetrievalError

__all__ = [
    "ALLOWED_SCHEMES",
    "ALLOW_PRIVATE_ENV",
    "check_url",
    "is_public_address",
    "looks_like_instructions",
]

ALLOW_PRIVATE_ENV = "GROUNDING_ALLOW_PRIVATE_URLS"
ALLOWED_SCHEMES = frozenset({"http", "https"})

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def is_public_address(address: IPAddress) -> bool:
    """False for private, loopback, link-local, multicast, reserved and unspecified addresses."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return not (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
    )


def check_url(
    url: str,
    allow_private: bool | None = None,
    allowed_hosts: Collection[str] = (),
) -> str:
    """Return `url` if the fetcher may request it, else raise FetchRefusedError.

    `allow_private=None` reads GROUNDING_ALLOW_PRIVATE_URLS. `allowed_hosts` are
    host names trusted as written (an intranet wiki), whatever they resolve to.
    """
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ALLOWED_SCHEMES:
        raise FetchRefusedError(f"refused {url!r}: only http and https URLs are fetched")
    host = (parts.hostname or "").lower()
    if not host:
        raise FetchRefusedError(f"refused {url!r}: the URL has no host")
    if allow_private is None:
        allow_private = Settings.from_env().allow_private_urls
    if allow_private or host in {h.lower() for h in allowed_hosts}:
        return url
    for address in _resolve(url, host, parts.port or (443 if scheme == "https" else 80)):
        if not is_public_address(address):
            raise FetchRefusedError(
                f"refused {url!r}: {host} resolves to the non-public address {address} "
                f"(set {ALLOW_PRIVATE_ENV}=1 to allow private addresses)"
            )
    return url


def _resolve(url: str, host: str, port: int) -> list[IPAddress]:
    try:
        infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError) as exc:
        raise RetrievalError(f"cannot resolve {host} for {url!r}: {exc}") from exc
    addresses: list[IPAddress] = []
    for info in infos:
        text = str(info[4][0]).split("%", 1)[0]  # drop an IPv6 zone id
        addresses.append(ipaddress.ip_address(text))
    if not addresses:
        raise RetrievalError(f"cannot resolve {host} for {url!r}: no address")
    return addresses


_INSTRUCTION_PATTERNS = re.compile(
    r"\b(?:ignore|disregard|forget|override)\b[^.\n]{0,40}\b(?:instructions?|prompts?|rules|context)\b"
    r"|\b(?:you are now|new instructions|system prompt|as an ai (?:language )?model)\b"
    r"|\b(?:respond|reply|answer) (?:only )?with\b"
    r"|\bdo not (?:cite|mention|tell)\b",
    re.IGNORECASE,
)


def looks_like_instructions(text: str) -> bool:
    """True when page text reads like orders to a language model (a prompt injection).

    A heuristic for flagging, not a filter: flagged text is still evidence,
    fenced as data in the prompt; the flag lets users see who tried what.
    """
    return _INSTRUCTION_PATTERNS.search(text) is not None
