"""How this process runs its models: CPU threads per model, one load at a time, and
transformers kept quiet while loading."""

from __future__ import annotations

import sys
import threading

__all__ = ["LOAD_LOCK", "limit_threads", "quiet_transformers", "thread_limit"]

LOAD_LOCK = threading.Lock()  # one model load at a time in this process
_THREADS: int | None = None  # CPU threads per model; None: the runtimes' own default (all cores)


def limit_threads(count: int) -> None:
    """Run this process's models on `count` CPU threads (a Ray worker: the CPUs Ray gave it).

    ONNX Runtime sizes its pool by the machine's cores, not by `OMP_NUM_THREADS`, so two
    one-CPU workers would each start a pool as wide as the machine and slow each other."""
    global _THREADS
    _THREADS = max(1, int(count))
    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(_THREADS)


def thread_limit() -> int | None:
    """The CPU threads each model may use (`limit_threads`), or None: the runtimes' default."""
    return _THREADS


def quiet_transformers() -> None:
    """No weight-loading bars from transformers: our own bars say what is slow."""
    try:
        from transformers.utils import logging as transformers_logging
    except ImportError:
        return
    transformers_logging.disable_progress_bar()
    transformers_logging.set_verbosity_error()
