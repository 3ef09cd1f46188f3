"""Fanning work out over Ray: a local Ray started for the run, or an existing cluster.

    with ray_workers(address=None, workers=2) as pool:         # a local Ray, two workers
        for result in pool.map(make_scorer, ("learned",), rows):  # results in input order
            ...

Each worker is a Ray actor holding one object made once by `factory(*args)` (a model
stays loaded across items); `map` sends it items and yields the results in the
order of the items. The same functions run in-process without Ray, so both paths
give the same results. `address`: None or "" starts a local Ray for the run (and
stops it after); "auto", "ray://HOST:10001" or "HOST:6379" joins a running cluster.
A Ray already started in this process (`ray.init()` by the caller) is used as it is.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from grounding.errors import ConfigError

__all__ = ["RayPool", "batches", "ray_workers"]

# Settings a worker needs to behave as this process does (models offline, same model).
_PROBE_SECONDS = 5
_FORWARDED = ("GROUNDING_", "HF_", "TRANSFORMERS_", "SENTENCE_TRANSFORMERS_", "TOKENIZERS_")


class _Worker:
    """A Ray actor: one object made from `factory(*args)`, called on each item."""

    def __init__(self, factory: Callable[..., Callable[[Any], Any]], args: tuple[Any, ...]) -> None:
        import ray

        from grounding.backends.runtime import limit_threads

        cpus = ray.get_runtime_context().get_assigned_resources().get("CPU", 1)
        limit_threads(max(1, int(cpus)))  # models sized to this actor's CPUs, not the machine's
        self.call = factory(*args)

    def run(self, item: Any) -> Any:
        return self.call(item)


@dataclass
class RayPool:
    """`workers` Ray actors ready to run items through one factory-made callable each."""

    workers: int

    def map(
        self,
        factory: Callable[..., Callable[[Any], Any]],
        args: tuple[Any, ...],
        items: Sequence[Any],
    ) -> Iterator[Any]:
        """`factory(*args)(item)` for each item, on the workers; results in item order."""
        import ray
        from ray.util import ActorPool

        actor = ray.remote(num_cpus=1)(_Worker)
        count = max(1, min(self.workers, len(items)))
        actors: list[Any] = [actor.remote(factory, args) for _ in range(count)]
        try:
            pool = ActorPool(actors)
            yield from pool.map(lambda worker, item: worker.run.remote(item), list(items))
        finally:
            for worker in actors:
                ray.kill(worker)


def _environment() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k.startswith(_FORWARDED)}


def _connect(address: str | None, workers: int | None) -> bool:
    """Start or join Ray; True when this call started it (and so must stop it)."""
    try:
        import ray
    except ModuleNotFoundError as exc:
        raise ConfigError(f"--ray needs {exc.name}: pip install 'grounding[ray]'") from exc
    if ray.is_initialized():
        return False
    options: dict[str, Any] = {
        "include_dashboard": False,
        "logging_level": logging.ERROR,
        "log_to_driver": False,
    }
    if address:  # a cluster's workers do not inherit this process's environment
        _probe(address)
        options["address"] = address
        options["runtime_env"] = {"env_vars": _environment()}
    else:
        options["num_cpus"] = workers or os.cpu_count() or 1
    try:
        ray.init(**options)
    except (ConnectionError, RuntimeError, ValueError) as exc:
        where = address or "a local Ray"
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ConfigError(
            f"cannot reach the Ray cluster at {where}: {reason}; give --ray auto, "
            "--ray ray://HOST:10001 or --ray HOST:6379 for a running cluster, or --ray "
            "alone for a local one"
        ) from exc
    return True


def _probe(address: str) -> None:
    """ConfigError now when HOST:PORT does not answer (Ray itself would retry for minutes)."""
    if address == "auto":
        return  # Ray finds the address itself, and says at once when there is none
    where = address.removeprefix("ray://")
    host, _, port = where.rpartition(":")
    if not host or not port.isdigit():
        raise ConfigError(f"bad Ray address {address!r}: give auto, ray://HOST:10001 or HOST:6379")
    try:
        with socket.create_connection((host.strip("[]"), int(port)), timeout=_PROBE_SECONDS):
            pass
    except OSError as exc:
        raise ConfigError(
            f"cannot reach the Ray cluster at {address}: {exc.strerror or exc}; check the "
            "address, or give --ray alone for a local Ray"
        ) from exc


@contextlib.contextmanager
def ray_workers(address: str | None = None, workers: int | None = None) -> Iterator[RayPool]:
    """A pool of `workers` (default: every CPU of the cluster) on the Ray at `address`."""
    started = _connect(address, workers)
    import ray

    try:
        available = int(ray.cluster_resources().get("CPU", 1))
        yield RayPool(max(1, min(workers or available, available)))
    finally:
        if started:
            ray.shutdown()


def batches(sizes: Sequence[int], parts: int) -> Iterable[range]:
    """Contiguous ranges of item indices with about equal total `sizes`, at most `parts`."""
    total = sum(sizes) or 1
    target = total / max(1, parts)
    begin, running = 0, 0
    for i, size in enumerate(sizes):
        running += size
        if running >= target and i + 1 < len(sizes):
            yield range(begin, i + 1)
            begin, running = i + 1, 0
    if begin < len(sizes):
        yield range(begin, len(sizes))
