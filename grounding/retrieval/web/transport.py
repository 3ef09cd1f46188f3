"""The fetcher's `requests` session: checked addresses only, and a wall-clock deadline.

`check_url` vets a URL before it is requested, but `requests` would resolve the
name again to connect, and a DNS server can answer differently the second time
(rebinding). Here the connection itself resolves the name once, refuses it
unless every address is public, and connects to one of exactly those addresses.
TLS still verifies the certificate against the name, not the address.

A per-request timeout bounds each socket read, not the whole exchange: a server
that sends one header byte a second never trips it. So every socket the session
opens is registered with a `Deadline`, which shuts them all when the page's
time is up, whatever the request is waiting for (headers, body, a retry).

Hosts in `allowed_hosts` are trusted by name, as in `check_url`. A proxy from the
environment (HTTP(S)_PROXY) is the operator's and is not checked; behind one, the
proxy resolves names and `check_url` is the only guard.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Collection

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import NewConnectionError

from grounding.errors import RetrievalError
from grounding.retrieval.web.safety import public_addresses

__all__ = ["Deadline", "DeadlineExceededError", "guarded_session"]


class DeadlineExceededError(RetrievalError):
    """A fetch ran past its wall-clock deadline."""


class Deadline:
    """A point in time after which the registered sockets are shut down."""

    def __init__(self, at: float, what: str) -> None:
        self.at = at  # time.monotonic() value
        self.what = what  # "example.com/page took longer than 15 s": the error message
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._expired = False
        self._timer = threading.Timer(max(0.0, at - time.monotonic()), self._expire)
        self._timer.daemon = True
        self._timer.start()

    @property
    def expired(self) -> bool:
        return self._expired or time.monotonic() >= self.at

    def remaining(self) -> float:
        return max(0.0, self.at - time.monotonic())

    def check(self) -> None:
        """DeadlineExceededError if the time is up."""
        if self.expired:
            raise DeadlineExceededError(self.what)

    def sleep(self, seconds: float) -> None:
        """Sleep, unless that would end after the deadline (then DeadlineExceededError at once)."""
        if seconds >= self.remaining():
            raise DeadlineExceededError(self.what)
        time.sleep(seconds)

    def register(self, sock: socket.socket) -> None:
        with self._lock:
            if not self._expired:
                self._sockets.append(sock)
                return
        _shut(sock)

    def cancel(self) -> None:
        self._timer.cancel()
        with self._lock:
            self._sockets.clear()

    def _expire(self) -> None:
        with self._lock:
            self._expired = True
            sockets, self._sockets = self._sockets, []
        for sock in sockets:
            _shut(sock)


def _shut(sock: socket.socket) -> None:
    """Wake whoever waits on `sock` (a read returns at once); closing is left to its owner."""
    with contextlib.suppress(OSError):  # already closed
        sock.shutdown(socket.SHUT_RDWR)


class _GuardedConnection(HTTPConnection):
    """Resolves, checks, connects to a checked address, and registers with the deadline."""

    allowed_hosts: frozenset[str] = frozenset()
    check_addresses = True
    deadline: Deadline | None = None

    def _new_conn(self) -> socket.socket:
        deadline = self.deadline
        if deadline is not None:
            deadline.check()
            if self.timeout is None or not isinstance(self.timeout, int | float):
                self.timeout = deadline.remaining()
            else:
                self.timeout = min(float(self.timeout), deadline.remaining())
        sock = self._connect()
        if deadline is not None:
            deadline.register(sock)
        return sock

    def _connect(self) -> socket.socket:
        name = self._dns_host
        if not self.check_addresses or name.lower().rstrip(".") in self.allowed_hosts:
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


class _GuardedHTTPSConnection(_GuardedConnection, HTTPSConnection):
    pass


def guarded_session(
    allowed_hosts: Collection[str] = (),
    *,
    check_addresses: bool = True,
    deadline: Deadline | None = None,
) -> requests.Session:
    """A session whose connections go only to checked public addresses, within `deadline`.

    `check_addresses=False` (private addresses allowed) keeps only the deadline.
    """
    settings = {
        "allowed_hosts": frozenset(host.lower().rstrip(".") for host in allowed_hosts),
        "check_addresses": check_addresses,
        "deadline": deadline,
    }
    plain = type("GuardedConnection", (_GuardedConnection,), settings)
    tls = type("GuardedHTTPSConnection", (_GuardedHTTPSConnection,), settings)
    pools = {
        "http": type("GuardedPool", (HTTPConnectionPool,), {"ConnectionCls": plain}),
        "https": type("GuardedHTTPSPool", (HTTPSConnectionPool,), {"ConnectionCls": tls}),
    }
    adapter = _GuardedAdapter(pools)
    session = requests.Session()
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


class _GuardedAdapter(HTTPAdapter):
    def __init__(self, pools: dict[str, type[HTTPConnectionPool]]) -> None:
        self._pools = pools
        super().__init__()

    def init_poolmanager(self, *args: object, **kwargs: object) -> None:
        # requests' own arguments, passed through unchanged
        super().init_poolmanager(*args, **kwargs)  # type: ignore[arg-type]
        self.poolmanager.pool_classes_by_scheme = self._pools
