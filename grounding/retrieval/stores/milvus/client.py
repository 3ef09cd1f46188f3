"""Reaching Milvus: a server named by $MILVUS_URI (token in $MILVUS_TOKEN) or a Milvus Lite file.

Milvus Lite runs inside this process and locks its file: one process at a time.
`release_lite` stops this process's Lite server once the last index using it closed,
so another process (or a test) can open the file.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from grounding.config import setting
from grounding.errors import ConfigError, IndexStoreError
from grounding.retrieval.stores.milvus.schema import FIELDS, hit_chunk
from grounding.schema import Chunk

__all__ = [
    "LITE_FILE",
    "MILVUS_TOKEN_ENV",
    "MILVUS_URI_ENV",
    "all_rows",
    "collection_name",
    "connect",
    "quiet",
    "release_lite",
]

MILVUS_URI_ENV = "MILVUS_URI"
MILVUS_TOKEN_ENV = "MILVUS_TOKEN"
LITE_FILE = "milvus.db"


def connect(recorded_uri: str, lite_file: Path) -> Any:
    """A client for a server (`recorded_uri`) or else the Milvus Lite `lite_file`.

    One-line IndexStoreError when Milvus cannot be reached.

    A server index uses $MILVUS_URI when set (replicas may reach the server by
    another name), else the URI recorded at build time; $MILVUS_TOKEN is the token.
    """
    try:
        from pymilvus import MilvusClient, MilvusException
    except ModuleNotFoundError as exc:
        raise ConfigError(
            f"the milvus store needs {exc.name}: pip install 'grounding[milvus]'"
        ) from exc
    if recorded_uri:
        uri = setting("milvus_uri") or recorded_uri
    else:
        lite_file.parent.mkdir(parents=True, exist_ok=True)
        uri = str(lite_file)
    token = setting("milvus_token") or ""
    try:
        with quiet("pymilvus", "milvus_lite"):  # they log tracebacks; we say it in one line
            client = MilvusClient(uri=uri, token=token, timeout=30)
        if not recorded_uri:
            key = os.path.abspath(uri)
            _LITE_USERS[key] = _LITE_USERS.get(key, 0) + 1
        return client
    except MilvusException as exc:
        if not recorded_uri:
            raise IndexStoreError(
                f"cannot open the Milvus Lite file {uri}: {exc.message}; Milvus Lite lets one "
                "process at a time open it (stop the other one, or use a Milvus server: "
                f"{MILVUS_URI_ENV})"
            ) from exc
        raise IndexStoreError(
            f"cannot reach Milvus at {uri}: {exc.message}; check {MILVUS_URI_ENV} "
            f"(and {MILVUS_TOKEN_ENV}), or unset {MILVUS_URI_ENV} for a Milvus Lite file"
        ) from exc


_LITE_USERS: dict[str, int] = {}  # Lite file -> open MilvusIndex clients in this process


def release_lite(path: Path) -> None:
    """Stop this process's Milvus Lite server for `path` once its last user closed."""
    key = os.path.abspath(path)
    _LITE_USERS[key] = _LITE_USERS.get(key, 1) - 1
    if _LITE_USERS[key] <= 0:
        del _LITE_USERS[key]
        from milvus_lite.server_manager import server_manager_instance

        server_manager_instance.release_server(key)


@contextlib.contextmanager
def quiet(*names: str) -> Iterator[None]:
    """Silence these loggers for the block."""
    loggers = [logging.getLogger(name) for name in names]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


def collection_name(folder: Path) -> str:
    """The alias an index's collection goes by: from the folder's name."""
    cleaned = re.sub(r"[^A-Za-z0-9_]", "_", folder.resolve().name or "index")
    return f"grounding_{cleaned}"[:200]


def all_rows(client: Any, collection: str) -> list[tuple[Chunk, list[float]]]:
    """Every row's chunk and vector, by document and position."""
    with quiet("pymilvus"):  # Milvus Lite: "failed to get mvccTs", harmless
        iterator = client.query_iterator(
            collection, batch_size=1000, output_fields=[*FIELDS, "vector"]
        )
        rows: list[tuple[Chunk, list[float]]] = []
        while batch := iterator.next():
            rows += [(hit_chunk(row), row["vector"]) for row in batch]
        iterator.close()
    rows.sort(key=lambda pair: (pair[0].doc_id, pair[0].start, pair[0].id))
    return rows
