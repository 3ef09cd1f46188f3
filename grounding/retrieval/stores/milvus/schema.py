"""The Milvus side of a Milvus index: the collection's schema, rows, filter expressions, searches.

One row per chunk: `id` (primary key), `doc_id`, `title`, `uri`, `text`, `start`,
`end`, `tags` (an array), `section` (the headings the chunk starts under), `vector` (the unit
embedding) and, for hybrid indexes,
`sparse`: a BM25 vector that Milvus computes from `text` with its BM25 function.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import numpy as np

from grounding.errors import IndexStoreError
from grounding.retrieval.base import Filter
from grounding.retrieval.index.faiss_store import HNSW_EF_CONSTRUCTION, HNSW_M
from grounding.schema import Chunk, SearchHit

__all__ = [
    "FIELDS",
    "create_collection",
    "dense_hits",
    "expression",
    "hit_chunk",
    "hybrid_hits",
    "keyword_hits",
    "row_of",
]

FIELDS = ("id", "doc_id", "title", "uri", "text", "start", "end", "tags", "section")
RRF_K = 60  # the same constant as the local index's reciprocal-rank fusion
_LONG = 8192
_TEXT = 65535
_TAGS = 256


def _vector_index(index_type: str) -> tuple[str, dict[str, int]]:
    """Milvus's index type and build parameters for our index type."""
    if index_type == "flat":
        return "FLAT", {}
    if index_type == "hnsw":
        return "HNSW", {"M": HNSW_M, "efConstruction": HNSW_EF_CONSTRUCTION}
    if index_type == "auto":
        return "AUTOINDEX", {}
    raise IndexStoreError(f"unknown index type {index_type!r}: use 'auto', 'flat' or 'hnsw'")


def create_collection(
    client: Any, name: str, dimension: int, index_type: str, hybrid: bool
) -> None:
    """Create (and load) the collection `name`; IndexStoreError when Milvus refuses it."""
    from pymilvus import DataType, Function, FunctionType, MilvusException

    schema = client.create_schema(auto_id=False, enable_dynamic_field=False)
    schema.add_field("id", DataType.VARCHAR, is_primary=True, max_length=_LONG)
    schema.add_field("doc_id", DataType.VARCHAR, max_length=_LONG)
    schema.add_field("title", DataType.VARCHAR, max_length=_LONG)
    schema.add_field("uri", DataType.VARCHAR, max_length=_LONG)
    schema.add_field("text", DataType.VARCHAR, max_length=_TEXT, enable_analyzer=hybrid)
    schema.add_field("start", DataType.INT64)
    schema.add_field("end", DataType.INT64)
    schema.add_field(
        "tags", DataType.ARRAY, element_type=DataType.VARCHAR, max_capacity=_TAGS, max_length=512
    )
    schema.add_field("section", DataType.VARCHAR, max_length=_LONG)
    schema.add_field("vector", DataType.FLOAT_VECTOR, dim=dimension)
    params = client.prepare_index_params()
    kind, build = _vector_index(index_type)
    params.add_index(field_name="vector", index_type=kind, metric_type="IP", params=build)
    if hybrid:
        schema.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
        schema.add_function(
            Function(
                name="bm25",
                function_type=FunctionType.BM25,
                input_field_names=["text"],
                output_field_names=["sparse"],
            )
        )
        params.add_index(
            field_name="sparse", index_type="SPARSE_INVERTED_INDEX", metric_type="BM25"
        )
    try:
        client.create_collection(name, schema=schema, index_params=params)
    except MilvusException as exc:
        hint = (
            "; this Milvus has no BM25 full-text search: build with --no-hybrid "
            "(dense only) or use Milvus 2.5 or later"
            if hybrid
            else ""
        )
        raise IndexStoreError(f"Milvus refused collection {name!r}: {exc.message}{hint}") from exc


def row_of(chunk: Chunk, vector: np.ndarray) -> dict[str, Any]:
    """The Milvus row of one chunk."""
    row: dict[str, Any] = chunk.model_dump(include=set(FIELDS))
    row["tags"] = list(chunk.tags)
    row["vector"] = np.asarray(vector, dtype=np.float32).tolist()
    return row


def hit_chunk(hit: dict[str, Any]) -> Chunk:
    """The chunk of a search hit or query row."""
    entity = hit.get("entity", hit)
    values = {name: entity[name] for name in FIELDS}
    values["tags"] = tuple(values["tags"] or ())
    return Chunk(**values)


def _strings(values: Sequence[str]) -> str:
    return json.dumps(list(values), ensure_ascii=False)  # a JSON array is a Milvus list literal


def expression(chosen: Filter, doc_ids: Sequence[str] | None) -> str:
    """A Milvus filter expression: these documents (exact ids) and every tag of `chosen`."""
    parts = []
    if doc_ids is not None:
        parts.append(f"doc_id in {_strings(doc_ids)}")
    if chosen.tags:
        parts.append(f"array_contains_all(tags, {_strings(chosen.tags)})")
    return " and ".join(parts)


def dense_hits(
    client: Any, collection: str, vector: np.ndarray, k: int, where: str, tag: str
) -> list[SearchHit]:
    """Inner-product search over the unit vectors, best first."""
    found = client.search(
        collection,
        data=[np.asarray(vector, dtype=np.float32).reshape(-1).tolist()],
        anns_field="vector",
        limit=k,
        filter=where,
        output_fields=list(FIELDS),
        search_params={"metric_type": "IP", "params": {"ef": max(64, k)}},
    )
    return [
        SearchHit(chunk=hit_chunk(hit), score=float(hit["distance"]), retriever=tag)
        for hit in found[0]
    ]


def keyword_hits(
    client: Any, collection: str, query: str, k: int, where: str, tag: str
) -> list[SearchHit]:
    """BM25 search inside Milvus, best first."""
    found = client.search(
        collection,
        data=[query],
        anns_field="sparse",
        limit=k,
        filter=where,
        output_fields=list(FIELDS),
        search_params={"metric_type": "BM25"},
    )
    # Milvus Lite reports BM25 scores negated (as distances); a server reports them as
    # they are. The order is Milvus's either way; the score shown is the BM25 score.
    return [
        SearchHit(chunk=hit_chunk(hit), score=abs(float(hit["distance"])), retriever=f"bm25-{tag}")
        for hit in found[0]
    ]


def hybrid_hits(
    client: Any,
    collection: str,
    vector: np.ndarray,
    query: str,
    sizes: tuple[int, int],
    where: str,
    tag: str,
) -> list[SearchHit]:
    """Dense and BM25 rankings (`depth` deep each) fused by Milvus's RRF ranker, top `k`."""
    from pymilvus import AnnSearchRequest, RRFRanker

    k, depth = sizes
    dense = AnnSearchRequest(
        data=[vector.astype(np.float32).tolist()],
        anns_field="vector",
        param={"metric_type": "IP", "params": {"ef": max(64, depth)}},
        limit=depth,
        expr=where or None,
    )
    sparse = AnnSearchRequest(
        data=[query],
        anns_field="sparse",
        param={"metric_type": "BM25"},
        limit=depth,
        expr=where or None,
    )
    found = client.hybrid_search(
        collection, [dense, sparse], RRFRanker(RRF_K), limit=k, output_fields=list(FIELDS)
    )
    return [
        SearchHit(chunk=hit_chunk(hit), score=float(hit["distance"]), retriever=tag)
        for hit in found[0]
    ]
