"""Where the blocking work runs: a bounded pool of worker threads, shared models, deadlines.

The event loop never runs model code. At most `max_concurrent` generations run
at once (the pool's size) and at most `max_queue` more wait; past that a
request gets 429 at once. A request that waits past its deadline gets 503 and
never starts; one that runs past it gets 504, and its worker finishes in the
background still counted, so the bound stays true. A request whose client has
gone is taken out of the queue before it starts.

The server serves only what its operator allowed (`ServiceSettings.allowed_*`):
every allowed grounder and scorer is built and warmed at start-up, and no lock
shared by all requests is held while one of them is built.
"""

from __future__ import annotations

import asyncio
import threading
from collections import OrderedDict
from collections.abc import AsyncGenerator, Awaitable, Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from grounding.checking import Scorer, get_scorer
from grounding.schema import Delta, Final, GroundedAnswer, Message
from grounding.service.errors import ServiceError
from grounding.service.settings import ServiceSettings

if TYPE_CHECKING:
    from grounding.orchestration.grounder import Refiner

__all__ = ["Engine", "GrounderFactory", "GrounderKey", "GrounderLike"]

T = TypeVar("T")


class GrounderLike(Protocol):
    """What the service needs of `grounding.orchestration.grounder.Grounder`."""

    def ask(
        self,
        question: str,
        history: Sequence[Message] = (),
        max_tokens: int | None = None,
        refiner: Refiner | None = None,
    ) -> GroundedAnswer: ...

    def stream(
        self, question: str, history: Sequence[Message] = (), max_tokens: int | None = None
    ) -> Iterator[Delta | Final]: ...


@dataclass(frozen=True)
class GrounderKey:
    index: str | None
    web: str | None
    decoder: str


GrounderFactory = Callable[[GrounderKey], GrounderLike]
Disconnected = Callable[[], Awaitable[bool]]  # Starlette's Request.is_disconnected
_POLL_S = 0.25  # how often a waiting request looks whether its client is still there


def pipeline_factory(settings: ServiceSettings) -> GrounderFactory:
    """Build real Grounders (imported lazily: the pipeline pulls in torch)."""

    def build(key: GrounderKey) -> GrounderLike:
        from grounding.orchestration.grounder import Grounder, open_index
        from grounding.retrieval.filters import FilteredRetriever
        from grounding.retrieval.web.augment import open_web

        environment = settings.environment
        if key.web:  # a missing web key fails first, before the index is opened (or built)
            open_web(key.web, settings=environment)
        local = open_index(key.index, environment)
        if settings.filters is not None:  # `serve --filter`: every search keeps only these
            local = FilteredRetriever(local, settings.filters)
        grounder = Grounder(
            index=local, web=key.web, decoder=key.decoder, scorer=settings.scorer, k=settings.k,
            settings=environment,
        )  # fmt: skip
        # One tiny question through every stage loads every model now, not on the first
        # request; a twin on the local index alone, so that start-up sends nothing out.
        twin = Grounder(
            index=local, decoder=grounder.decoder, scorer=grounder.scorer, settings=environment
        )
        twin.ask("Which models are loaded?", max_tokens=4)
        return grounder

    return build


class Engine:
    """Shared grounders and scorers, and the bounded pool that runs them."""

    def __init__(self, settings: ServiceSettings, factory: GrounderFactory | None = None) -> None:
        self.settings = settings
        self.default_key = GrounderKey(settings.index, settings.web, settings.decoder)
        self._factory = factory or pipeline_factory(settings)
        self._grounders: OrderedDict[GrounderKey, GrounderLike] = OrderedDict()
        self._scorers: dict[str, Scorer] = {}
        self._lock = threading.Lock()  # held for bookkeeping only, never across a build
        self._build_locks: dict[object, threading.Lock] = {}  # one per grounder or scorer
        self._in_flight = 0
        self._executor = ThreadPoolExecutor(settings.max_concurrent, "grounding-worker")

    @property
    def in_flight(self) -> int:
        """Requests running or waiting for a worker."""
        return self._in_flight

    @property
    def capacity(self) -> int:
        return self.settings.max_concurrent + self.settings.max_queue

    def allowed_keys(self) -> list[GrounderKey]:
        """Every grounder a client may ask for, the default first."""
        settings = self.settings
        decoders = [settings.decoder, *sorted(settings.allowed_decoders - {settings.decoder})]
        indexes = [settings.index, *sorted(settings.allowed_indexes - {settings.index or ""})]
        return [GrounderKey(i, settings.web, d) for d in decoders for i in indexes]

    def key_for(self, index: str | None, web: str | None, decoder: str | None) -> GrounderKey:
        """The grounder a request asks for; a 400 unless the operator allowed it.

        The answer is the same for a name that exists and one that does not, so
        a client cannot probe the server for indexes or models.
        """
        settings = self.settings
        key = GrounderKey(
            index=settings.index if index is None else index,
            web=settings.web if web is None else web,
            decoder=decoder or settings.decoder,
        )
        decoders = {settings.decoder, *settings.allowed_decoders}
        if key.decoder not in decoders:
            raise _not_allowed("decoder", key.decoder, decoders)
        if key.index != settings.index and key.index not in settings.allowed_indexes:
            served = {settings.index or "demo", *settings.allowed_indexes}
            raise _not_allowed("index", key.index or "", served)
        if key.web != settings.web:
            served = {settings.web} if settings.web else set()
            raise _not_allowed("web", key.web or "", served)
        return key

    def scorer_name(self, name: str | None) -> str | None:
        """The scorer a /v1/check request asks for; a 400 unless the operator allowed it."""
        settings = self.settings
        allowed = {settings.scorer or "", *settings.allowed_scorers}
        if name is not None and name not in allowed:
            raise _not_allowed("scorer", name, allowed - {""} or {"the default"})
        return name or settings.scorer

    def load(self) -> None:
        """Build and warm every allowed grounder and scorer now, in this thread."""
        for key in self.allowed_keys():
            self.grounder(key)
        from grounding.checking import check

        for name in {self.settings.scorer, *self.settings.allowed_scorers}:
            check("The lamp was lit.", ["The lamp was lit."], scorer=self.scorer(name))

    async def start(self) -> None:
        """Load every allowed grounder and scorer before the first request."""
        if self.settings.preload:
            await asyncio.get_running_loop().run_in_executor(self._executor, self.load)

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)

    def _build_lock(self, what: object) -> threading.Lock:
        with self._lock:
            return self._build_locks.setdefault(what, threading.Lock())

    def grounder(self, key: GrounderKey) -> GrounderLike:
        """The grounder for `key`, built once and kept (least recently used ones are dropped).

        Only a request for the same key waits while one is built.
        """
        with self._lock:
            if key in self._grounders:
                self._grounders.move_to_end(key)
                return self._grounders[key]
        with self._build_lock(key):
            with self._lock:
                if key in self._grounders:
                    return self._grounders[key]
            built = self._factory(key)
            keep = max(self.settings.max_cached_grounders, len(self.allowed_keys()))
            with self._lock:
                self._grounders[key] = built
                while len(self._grounders) > keep:
                    oldest = next(iter(self._grounders))
                    if oldest == self.default_key:
                        self._grounders.move_to_end(oldest)
                        oldest = next(iter(self._grounders))
                    del self._grounders[oldest]
            return built

    def scorer(self, name: str | None) -> Scorer:
        """The scorer called `name` (the default when None), loaded once."""
        key = name or ""
        with self._lock:
            if key in self._scorers:
                return self._scorers[key]
        with self._build_lock(("scorer", key)):
            if key not in self._scorers:
                built = get_scorer(name, self.settings.environment)
                with self._lock:
                    self._scorers[key] = built
            return self._scorers[key]

    def _submit(self, fn: Callable[[], T]) -> Future[T]:
        with self._lock:
            if self._in_flight >= self.capacity:
                raise ServiceError(
                    429,
                    f"the server is busy ({self._in_flight} requests in flight); retry shortly",
                    type_="rate_limit_error",
                    code="server_busy",
                    headers={"Retry-After": "1"},
                )
            self._in_flight += 1
        future = self._executor.submit(fn)
        future.add_done_callback(self._finished)
        return future

    def _finished(self, _: Future[Any]) -> None:
        with self._lock:
            self._in_flight -= 1

    def _timed_out(self, future: Future[Any]) -> ServiceError:
        limit = self.settings.request_timeout_s
        if future.cancel():
            return ServiceError(
                503,
                f"no worker was free within {limit:g} s; retry later",
                type_="server_error",
                code="no_capacity",
                headers={"Retry-After": "1"},
            )
        return ServiceError(
            504, f"the request ran past its {limit:g} s limit", type_="server_error", code="timeout"
        )

    async def run(self, fn: Callable[[], T], disconnected: Disconnected | None = None) -> T:
        """Run `fn` on a worker, within the request deadline.

        `disconnected` (the request's `is_disconnected`) is polled while waiting:
        when the client has gone, work still queued is cancelled.
        """
        loop = asyncio.get_running_loop()
        future = self._submit(fn)
        waiter = asyncio.wrap_future(future)
        waiter.add_done_callback(_consume)
        deadline = loop.time() + self.settings.request_timeout_s
        while True:
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise self._timed_out(future)
            await asyncio.wait([waiter], timeout=min(_POLL_S, remaining))
            if waiter.done():
                return waiter.result()
            if disconnected is not None and await disconnected():
                raise _client_gone(future)

    async def stream(
        self, make: Callable[[], Iterator[T]], disconnected: Disconnected | None = None
    ) -> AsyncGenerator[T, None]:
        """Items of `make()`, produced on one worker and handed to the loop as they come.

        Stops the worker (and takes queued work out of the queue) when the
        consumer stops, or when `disconnected()` says the client has gone.
        """
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()
        stop = threading.Event()

        def post(kind: str, value: Any) -> None:
            try:
                loop.call_soon_threadsafe(queue.put_nowait, (kind, value))
            except RuntimeError:  # the loop is gone: nobody is listening
                stop.set()

        def pump() -> None:
            items: Iterator[T] | None = None
            try:
                items = make()
                for item in items:
                    if stop.is_set():
                        return
                    post("item", item)
                post("end", None)
            except Exception as exc:
                post("error", exc)
            finally:
                close = getattr(items, "close", None)
                if callable(close):
                    close()

        future = self._submit(pump)
        deadline = loop.time() + self.settings.request_timeout_s
        try:
            while True:
                remaining = deadline - loop.time()
                if remaining <= 0:
                    raise self._timed_out(future)
                try:
                    kind, value = await asyncio.wait_for(queue.get(), min(_POLL_S, remaining))
                except TimeoutError:
                    if disconnected is not None and await disconnected():
                        raise _client_gone(future) from None
                    continue
                if kind == "end":
                    return
                if kind == "error":
                    raise value
                yield value
        finally:
            stop.set()
            future.cancel()


def _not_allowed(field: str, name: str, served: set[str]) -> ServiceError:
    listed = ", ".join(sorted(served)) or "none"
    return ServiceError(
        400,
        f"{field} {name!r} is not served here; this server serves: {listed}",
        code=f"{field}_not_allowed",
        param=field,
    )


def _client_gone(future: Future[Any]) -> ServiceError:
    """The client closed the connection: drop its queued work (running work cannot stop)."""
    future.cancel()
    return ServiceError(499, "the client closed the request", code="client_closed")


def _consume(waiter: asyncio.Future[Any]) -> None:
    """Retrieve a late result so an abandoned future logs no 'never retrieved' warning."""
    if not waiter.cancelled():
        waiter.exception()
