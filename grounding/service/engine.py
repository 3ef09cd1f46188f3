"""Where the blocking work runs: a bounded pool of worker threads, shared models, deadlines.

The event loop never runs model code. At most `max_concurrent` generations run
at once (the pool's size) and at most `max_queue` more wait; past that a
request gets 429 at once. A request that waits past its deadline gets 503 and
never starts; one that runs past it gets 504, and its worker finishes in the
background still counted, so the bound stays true.
"""

from __future__ import annotations

import asyncio
import threading
from collections import OrderedDict
from collections.abc import AsyncGenerator, Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from grounding.checking import Scorer, get_scorer
from grounding.schema import Delta, Final, GroundedAnswer, Message
from grounding.service.errors import ServiceError
from grounding.service.settings import ServiceSettings

__all__ = ["Engine", "GrounderFactory", "GrounderKey", "GrounderLike"]

T = TypeVar("T")


class GrounderLike(Protocol):
    """What the service needs of `grounding.pipeline.Grounder`."""

    def ask(
        self, question: str, history: Sequence[Message] = (), max_tokens: int | None = None
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


def pipeline_factory(settings: ServiceSettings) -> GrounderFactory:
    """Build real Grounders (imported lazily: the pipeline pulls in torch)."""

    def build(key: GrounderKey) -> GrounderLike:
        from grounding.pipeline import Grounder

        grounder: GrounderLike = Grounder(
            index=key.index, web=key.web, decoder=key.decoder, scorer=settings.scorer, k=settings.k
        )
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
        self._lock = threading.Lock()
        self._build_lock = threading.Lock()
        self._in_flight = 0
        self._executor = ThreadPoolExecutor(settings.max_concurrent, "grounding-worker")

    @property
    def in_flight(self) -> int:
        """Requests running or waiting for a worker."""
        return self._in_flight

    @property
    def capacity(self) -> int:
        return self.settings.max_concurrent + self.settings.max_queue

    def load(self) -> None:
        """Load the default grounder (models, index) now, in this thread."""
        self.grounder(self.default_key)

    async def start(self) -> None:
        """Load the default grounder (models, index) before the first request."""
        if self.settings.preload:
            await asyncio.get_running_loop().run_in_executor(self._executor, self.load)

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)

    def grounder(self, key: GrounderKey) -> GrounderLike:
        """The grounder for `key`, built once and kept (least recently used ones are dropped)."""
        with self._lock:
            if key in self._grounders:
                self._grounders.move_to_end(key)
                return self._grounders[key]
        with self._build_lock:
            with self._lock:
                if key in self._grounders:
                    return self._grounders[key]
            built = self._factory(key)
            with self._lock:
                self._grounders[key] = built
                while len(self._grounders) > self.settings.max_cached_grounders:
                    oldest = next(iter(self._grounders))
                    if oldest == self.default_key:
                        self._grounders.move_to_end(oldest)
                        oldest = next(iter(self._grounders))
                    del self._grounders[oldest]
            return built

    def scorer(self, name: str | None) -> Scorer:
        """The scorer called `name` (the default when None), loaded once."""
        key = name or ""
        with self._build_lock:
            if key not in self._scorers:
                self._scorers[key] = get_scorer(name)
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

    async def run(self, fn: Callable[[], T]) -> T:
        """Run `fn` on a worker, within the request deadline."""
        future = self._submit(fn)
        waiter = asyncio.wrap_future(future)
        waiter.add_done_callback(_consume)
        try:
            return await asyncio.wait_for(asyncio.shield(waiter), self.settings.request_timeout_s)
        except TimeoutError:
            raise self._timed_out(future) from None

    async def stream(self, make: Callable[[], Iterator[T]]) -> AsyncGenerator[T, None]:
        """Items of `make()`, produced on one worker and handed to the loop as they come."""
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
                try:
                    kind, value = await asyncio.wait_for(queue.get(), deadline - loop.time())
                except TimeoutError:
                    raise self._timed_out(future) from None
                if kind == "end":
                    return
                if kind == "error":
                    raise value
                yield value
        finally:
            stop.set()
            future.cancel()


def _consume(waiter: asyncio.Future[Any]) -> None:
    """Retrieve a late result so an abandoned future logs no 'never retrieved' warning."""
    if not waiter.cancelled():
        waiter.exception()
