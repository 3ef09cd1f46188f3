"""A `requests` session that connects only to the public addresses it checked.

`check_url` vets a URL before it is requested, but `requests` would resolve the
name again to connect, and a DNS server can answer differently the second time
(rebinding). Here the connection itself resolves the name once, refuses it
unless every address is public, and connects to one of exactly those addresses.
TLS still verifies the certificate against the name, not the address.

Hosts in `allowed_hosts` are trusted by name, as in `check_url`. A proxy from the
environment (HTTP(S)_PROXY) is the operator's and is not checked; behind one, the
proxy resolves names and `check_url` is the only guard.
"""

from __future__ import annotations

import socket
from collections.abc import Collection

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import NewConnectionError

from grounding.retrieval.web.safety import public_addresses

__all__ = ["guarded_session"]


class _PinnedConnection(HTTPConnection):
    """Resolves, checks, and connects to a checked address (see the module docstring)."""

    allowed_hosts: frozenset[str] = frozenset()

    def _new_conn(self) -> socket.socket:
        name = self._dns_host
        if name.lower().rstrip(".") in self.allowed_hosts:
            return super()._new_conn()
        addresses = public_addresses(name.strip("[]"), self.port or 80)
        failure: NewConnectionError | None = None
        for address in addresses:
            self._dns_host = str(address)  # urllib3 connects to this; TLS still uses the name
            try:
                return super()._new_conn()
            except NewConnectionError as exc:
                failure = exc
            finally:
                self._dns_host = name
        assert failure is not None  # public_addresses never returns an empty list
        raise failure


class _PinnedHTTPSConnection(_PinnedConnection, HTTPSConnection):
    pass


def guarded_session(allowed_hosts: Collection[str] = ()) -> requests.Session:
    """A session whose http and https connections go only to checked public addresses."""
    trusted = frozenset(host.lower().rstrip(".") for host in allowed_hosts)
    plain = type("PinnedConnection", (_PinnedConnection,), {"allowed_hosts": trusted})
    tls = type("PinnedHTTPSConnection", (_PinnedHTTPSConnection,), {"allowed_hosts": trusted})
    pools = {
        "http": type("PinnedPool", (HTTPConnectionPool,), {"ConnectionCls": plain}),
        "https": type("PinnedHTTPSPool", (HTTPSConnectionPool,), {"ConnectionCls": tls}),
    }
    adapter = _PinnedAdapter(pools)
    session = requests.Session()
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


class _PinnedAdapter(HTTPAdapter):
    def __init__(self, pools: dict[str, type[HTTPConnectionPool]]) -> None:
        self._pools = pools
        super().__init__()

    def init_poolmanager(self, *args: object, **kwargs: object) -> None:
        super().init_poolmanager(*args, **kwargs)  # type: ignore[arg-type]
        self.poolmanager.pool_classes_by_scheme = self._pools
