"""The collections behind an index's alias: searches and writes go through the alias, a fresh
build fills a new collection, and moving the alias onto it switches every reader at once."""

from __future__ import annotations

import uuid
from typing import Any

from grounding.errors import IndexStoreError
from grounding.retrieval.stores.milvus.schema import FIELDS, create_collection

__all__ = ["aliased", "count_rows", "move_alias", "new_collection", "open_collection"]


def open_collection(client: Any, alias: str, shown_as: str) -> None:
    """Load the collection behind `alias`; IndexStoreError if it is missing or predates `FIELDS`."""
    if not client.has_collection(alias):
        raise IndexStoreError(
            f"index {shown_as!r}: Milvus has no collection {alias!r}; rebuild it with --force"
        )
    described = client.describe_collection(alias)
    stored = {field["name"] for field in described["fields"]}
    if missing := [name for name in FIELDS if name not in stored]:
        raise IndexStoreError(
            f"index {shown_as!r} was built by an older grounding (its Milvus rows "
            f"have no {', '.join(missing)}); rebuild it with --force"
        )
    client.load_collection(alias)


def aliased(client: Any, alias: str) -> str | None:
    """The collection `alias` points at now, if any."""
    if not client.has_collection(alias):  # true for an alias too
        return None
    return str(client.describe_alias(alias)["collection_name"])


def new_collection(client: Any, alias: str, dimension: int, index_type: str, hybrid: bool) -> str:
    """A new, empty collection named after `alias`, for a fresh build to fill."""
    name = f"{alias}_{uuid.uuid4().hex[:8]}"
    create_collection(client, name, dimension, index_type, hybrid)
    return name


def move_alias(client: Any, alias: str, fresh: str) -> None:
    """Point `alias` at the filled collection `fresh` and drop the one it pointed at before."""
    client.flush(fresh)
    old = aliased(client, alias)
    if old is None:
        client.create_alias(fresh, alias)
    else:
        client.alter_alias(fresh, alias)
    if old is not None:
        client.drop_collection(old)


def count_rows(client: Any, collection: str) -> int:
    result = client.query(collection, filter="", output_fields=["count(*)"])
    return int(result[0]["count(*)"])
