"""Scaling out, in one run on one corpus: Ray builds, Milvus Lite search, Ray evals.

Corpus: the distinct source passages of RAGTruth (../shared/data/ragtruth-dev.jsonl;
Niu et al., ACL 2024, MIT licence), one .txt file each; data nobody here wrote.

1. build:  chunks per second of `LocalIndex.build` in this process (the baseline) and
           with `ray=True` on 1 and 2 Ray workers (a local Ray started once, timed apart).
           Goal: 2 workers >= 1.7x one worker.
2. search: p50/p99 of `search_by_vector` on Milvus Lite vs FAISS at 100k chunks (the
           built chunks' real vectors, repeated with noise to 100k rows), exact (flat)
           and graph (hnsw) indexes each; recall@10 against the exact FAISS scan.
3. eval:   rows per second of `evaluate` (default scorer) in this process vs on Ray with
           2 workers, on RAGTruth rows; metrics.json compared (timings aside).

    python bench/scale.py [--docs 1000] [--rows 40] [--rows-search 100000]
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
warnings.filterwarnings("ignore")

from grounding.evaluation.evaluate import evaluate  # noqa: E402
from grounding.retrieval.embedding import embed_texts  # noqa: E402
from grounding.retrieval.index.local import LocalIndex  # noqa: E402
from grounding.retrieval.stores.base import IndexSettings  # noqa: E402
from grounding.retrieval.stores.milvus.index import MilvusIndex  # noqa: E402
from grounding.schema import Chunk  # noqa: E402

DATA = (
    next(  # ../shared/data beside the checkout (or beside its worktree folder)
        (p for p in (ROOT.parent / "shared", ROOT.parents[1] / "shared") if p.is_dir()),
        ROOT.parent / "shared",
    )
    / "data"
    / "ragtruth-dev.jsonl"
)
_TIMINGS = {"seconds", "examples_per_second"}


def _rows(limit: int | None = None) -> list[dict]:
    with DATA.open(encoding="utf-8") as handle:
        rows = [json.loads(line) for line in handle if line.strip()]
    return rows if limit is None else rows[:limit]


def make_corpus(folder: Path, docs: int) -> Path:
    seen: set[str] = set()
    for row in _rows():
        for source in row["sources"]:
            if source not in seen and len(seen) < docs:
                seen.add(source)
                (folder / f"passage{len(seen):05d}.txt").write_text(source, encoding="utf-8")
    return folder


def bench_build(corpus: Path, tmp: Path) -> LocalIndex:
    import ray

    started = time.perf_counter()
    ray.init(num_cpus=2, include_dashboard=False, logging_level=logging.ERROR)
    print(f"  local Ray started in {time.perf_counter() - started:.1f} s (not counted below)")
    started = time.perf_counter()
    embed_texts(["warm up"])
    print(f"  model loaded here in {time.perf_counter() - started:.1f} s (not counted below;")
    print("  each Ray build's workers load theirs inside its timing)")
    results = {}
    single = None
    for label, options in (
        ("in-process", {}),
        ("ray, 1 worker", {"ray": True, "workers": 1}),
        ("ray, 2 workers", {"ray": True, "workers": 2}),
    ):
        started = time.perf_counter()
        built = LocalIndex.build([corpus], tmp / label.replace(" ", "-").replace(",", ""),
                                 progress=False, **options)  # fmt: skip
        seconds = time.perf_counter() - started
        results[label] = len(built) / seconds
        print(
            f"  {label:<15} {len(built):6d} chunks {seconds:7.1f} s {results[label]:7.1f} chunks/s"
        )
        if single is None:
            single = built
        else:
            same = built.chunks == single.chunks and np.allclose(
                built.vectors(), single.vectors(), atol=1e-6
            )
            print(f"  {'':<15} same chunks and vectors as in-process: {same}")
    ratio = results["ray, 2 workers"] / results["ray, 1 worker"]
    base = results["ray, 2 workers"] / results["in-process"]
    print(f"  2 workers / 1 worker = {ratio:.2f}x (goal >= 1.7x)")
    print(f"  2 workers / in-process = {base:.2f}x")
    assert single is not None
    return single


def _grow(index: LocalIndex, count: int, seed: int = 0) -> tuple[list[Chunk], np.ndarray]:
    """`count` rows: the real chunks and vectors, repeated with noise (ids made unique)."""
    rng = np.random.default_rng(seed)
    base_chunks, base = index.chunks, index.vectors()
    picks = rng.integers(0, len(base), size=count)
    vectors = base[picks] + 0.05 * rng.standard_normal((count, base.shape[1])).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    chunks = [
        base_chunks[p].model_copy(
            update={"id": f"{base_chunks[p].id}-{i}", "doc_id": f"d{i % 997}"}
        )
        for i, p in enumerate(picks)
    ]
    return chunks, vectors.astype(np.float32)


def _latency(search, queries: np.ndarray) -> tuple[float, float, list[list[str]]]:
    times, found = [], []
    for query in queries:
        started = time.perf_counter()
        hits = search(query)
        times.append((time.perf_counter() - started) * 1000)
        found.append([hit.chunk.id for hit in hits])
    return float(np.percentile(times, 50)), float(np.percentile(times, 99)), found


def bench_search(index: LocalIndex, tmp: Path, count: int, queries: int) -> None:
    chunks, vectors = _grow(index, count)
    rng = np.random.default_rng(1)
    picks = rng.integers(0, count, size=queries)
    asked = vectors[picks] + 0.1 * rng.standard_normal((queries, vectors.shape[1])).astype(
        np.float32
    )
    asked /= np.linalg.norm(asked, axis=1, keepdims=True)
    exact: list[list[str]] | None = None
    for kind in ("flat", "hnsw"):
        for store in ("faiss", "milvus"):
            started = time.perf_counter()
            cls = LocalIndex if store == "faiss" else MilvusIndex
            made = cls(tmp / f"{store}-{kind}", IndexSettings(index_type=kind, hybrid=False))
            made.add(chunks, vectors=vectors)
            made.save()
            loaded = time.perf_counter() - started
            p50, p99, found = _latency(lambda q, m=made: m.search_by_vector(q, 10), asked)
            if exact is None:
                exact = found
            recall = np.mean([len(set(a) & set(b)) / 10 for a, b in zip(exact, found, strict=True)])
            print(f"  {store:<6} {kind:<4} {count} chunks: p50 {p50:8.2f} ms  p99 {p99:8.2f} ms  "
                  f"recall@10 {recall:.3f}  (write {loaded:.0f} s)")  # fmt: skip
            if isinstance(made, MilvusIndex):
                made.close()


def _without_timings(value):
    if isinstance(value, dict):
        return {k: _without_timings(v) for k, v in value.items() if k not in _TIMINGS}
    if isinstance(value, list):
        return [_without_timings(v) for v in value]
    return value


def bench_eval(tmp: Path, rows: int) -> None:
    data = tmp / "rows.jsonl"
    data.write_text("".join(json.dumps(row) + "\n" for row in _rows(rows)), encoding="utf-8")
    rates = {}
    for label, options in (("in-process", {}), ("ray, 2 workers", {"ray": True, "workers": 2})):
        out = tmp / label.replace(" ", "-").replace(",", "")
        started = time.perf_counter()
        evaluate(data, out, report=False, **options)
        seconds = time.perf_counter() - started
        rates[label] = rows / seconds
        print(f"  {label:<15} {rows} rows {seconds:7.1f} s {rates[label]:6.2f} rows/s")
    same = [
        _without_timings(json.loads((tmp / d / "metrics.json").read_text()))
        for d in ("in-process", "ray-2-workers")
    ]
    print(f"  ray / in-process = {rates['ray, 2 workers'] / rates['in-process']:.2f}x; "
          f"metrics.json equal (timings aside): {same[0] == same[1]}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=1000, help="RAGTruth passages to index")
    parser.add_argument("--rows", type=int, default=40, help="RAGTruth rows to evaluate")
    parser.add_argument("--rows-search", type=int, default=100_000, help="chunks for search")
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        corpus = (
            make_corpus(tmp / "corpus", args.docs) if (tmp / "corpus").mkdir() is None else None
        )
        assert corpus is not None
        print(f"corpus: {args.docs} RAGTruth passages; {os.cpu_count()} CPUs")
        print("1. build")
        single = bench_build(corpus, tmp)
        print(f"2. search ({args.queries} queries, k=10)")
        bench_search(single, tmp, args.rows_search, args.queries)
        print("3. eval (default scorer)")
        bench_eval(tmp, args.rows)


if __name__ == "__main__":
    main()
