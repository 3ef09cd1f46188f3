"""The local index against named baselines, in one run.

1. embed:  chunks embedded per second by `LocalIndex.build` (load, chunk, embed, FAISS,
           BM25, atomic save) on each embedding backend vs plain
           `SentenceTransformer.encode` on the same chunks, on real documents (the READMEs
           of the installed packages; `--corpus demo` for copies of the demo corpus).
           Goal: the default (onnx) build >= 1.5x encode.
2. search: p50/p99 latency and recall@10 (against an exact scan) of
           `LocalIndex.search_by_vector` vs LangChain's FAISS vector store
           (`langchain_community.vectorstores.FAISS.similarity_search_by_vector`) on the
           same 384-d vectors, at 10k and 100k chunks. Goal at 100k: p50 >= 5x faster with
           recall@10 >= 0.95.
3. recall: recall@5 of the answering chunk, dense vs keyword vs hybrid, torch vs onnx
           backend, on the demo corpus's questions (indexes/demo/questions.jsonl) and on the
           RAGTruth QA questions of ../shared/data (their MS MARCO passages as the corpus)
           and on the answerable eval/realdocs questions (the corpora eval/realdocs/gather.py
           copies from this machine). Goal: onnx within 0.01 of torch.

    python bench/index.py [--only embed,search,recall] [--copies 8] [--queries 300]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
warnings.filterwarnings("ignore")

from grounding.backends.embedding_model import embedder  # noqa: E402
from grounding.retrieval.index.chunking import chunk_text  # noqa: E402
from grounding.retrieval.index.loaders import discover, load_document  # noqa: E402
from grounding.retrieval.index.local import LocalIndex  # noqa: E402
from grounding.retrieval.stores.base import IndexSettings, open_store  # noqa: E402
from grounding.schema import Chunk  # noqa: E402

DEMO = ROOT / "indexes" / "demo"
DIM = 384


# ---- 1. embedding throughput -------------------------------------------------------------


def make_corpus(folder: Path, copies: int) -> Path:
    """`copies` renamed copies of the demo documents, each line tagged so no text repeats."""
    for copy in range(copies):
        target = folder / f"copy{copy:02d}"
        target.mkdir(parents=True)
        for path in sorted((DEMO / "docs").glob("*.md")):
            text = path.read_text(encoding="utf-8")
            (target / path.name).write_text(f"(copy {copy}) {text}", encoding="utf-8")
    return folder


def package_docs(folder: Path, files: int) -> Path:
    """Real documentation nobody here wrote: the long descriptions (README) of the installed
    Python packages (`*.dist-info/METADATA`), the first `files` of at least 2 KB by name."""
    import importlib.metadata

    found = {}
    for dist in importlib.metadata.distributions():
        text = dist.read_text("METADATA") or ""
        body = text.split("\n\n", 1)[-1]
        name = dist.metadata["Name"] or ""
        if len(body) >= 2000 and name:
            found[name.lower()] = body
    folder.mkdir(parents=True)
    for name in sorted(found)[:files]:
        (folder / f"{name}.md").write_text(found[name], encoding="utf-8")
    return folder


def bench_embed(corpus_kind: str, copies: int, files: int, rounds: int) -> None:
    from grounding.backends.embedding_model import embed, onnx_embedder

    with tempfile.TemporaryDirectory() as tmp:
        if corpus_kind == "demo":
            corpus = make_corpus(Path(tmp) / "corpus", copies)
            about = f"{copies} copies of the demo corpus"
        else:
            corpus = package_docs(Path(tmp) / "corpus", files)
            about = f"READMEs of {files} installed packages"
        started = time.perf_counter()
        documents = [load_document(source) for source in discover([corpus])]
        texts = [c.text for d in documents for c in chunk_text(d.text, d.doc_id, d.title)]
        load_s = time.perf_counter() - started
        lengths = np.array([len(t) for t in texts])
        tokens = np.array([len(e.ids) for e in onnx_embedder().tokenize(texts)])
        model = embedder()
        model.encode(texts[:64], batch_size=32, normalize_embeddings=True)  # warm up
        embed(texts[:64], backend="onnx")
        timings: dict[str, list[float]] = {
            "encode": [], "build-torch": [], "build-onnx": [], "embed-onnx": []
        }  # fmt: skip
        cpu: dict[str, list[float]] = {name: [] for name in timings}

        def timed(name: str, work: Callable[[], object]) -> None:
            wall, used = time.perf_counter(), time.process_time()
            work()
            timings[name].append(time.perf_counter() - wall)
            cpu[name].append(time.process_time() - used)

        for _ in range(rounds):  # alternate, so all see the same machine load
            timed("encode", lambda: model.encode(texts, batch_size=32, normalize_embeddings=True))
            timed("embed-onnx", lambda: embed(texts, backend="onnx"))
            for backend in ("torch", "onnx"):
                shutil.rmtree(Path(tmp) / "index", ignore_errors=True)
                timed(
                    f"build-{backend}",
                    lambda backend=backend: LocalIndex.build(
                        [corpus], Path(tmp) / "index", progress=False, embedding_backend=backend
                    ),
                )
                assert len(open_store(Path(tmp) / "index")) == len(texts)
    # Best of the rounds: on shared cores the least disturbed run is the truest.
    rate = {name: len(texts) / min(values) for name, values in timings.items()}
    cpu_rate = {name: len(texts) / min(values) for name, values in cpu.items()}
    print(f"\n== embedding throughput: {len(texts)} chunks from {len(documents)} files ({about})")
    print(
        f"  chunk length: median {np.median(lengths):.0f} chars / {np.median(tokens):.0f} "
        f"word pieces (p90 {np.percentile(tokens, 90):.0f}, at the 256 limit: "
        f"{np.mean(tokens >= 256):.0%}); load+chunk {load_s:.1f} s"
    )
    print("  rounds, wall (s): " + "; ".join(f"{k} {_fmt(v)}" for k, v in timings.items()))
    print("  rounds, CPU (s):  " + "; ".join(f"{k} {_fmt(v)}" for k, v in cpu.items()))
    print(f"  SentenceTransformer.encode (torch, batch 32)  {rate['encode']:8.1f} chunks/s  "
          f"(baseline; per CPU second {cpu_rate['encode']:.1f})")  # fmt: skip
    for name, label in (
        ("embed-onnx", "int8 ONNX embed only"),
        ("build-torch", "index build, torch backend"),
        ("build-onnx", "index build, onnx (default)"),
    ):
        print(
            f"  {label:<44} {rate[name]:8.1f} chunks/s  {rate[name] / rate['encode']:.2f}x "
            f"encode; per CPU second {cpu_rate[name] / cpu_rate['encode']:.2f}x"
            + ("  (goal >= 1.5x)" if name == "build-onnx" else "")
        )


def _fmt(values: list[float]) -> str:
    return " ".join(f"{value:.1f}" for value in values)


# ---- 2. search latency -------------------------------------------------------------------


def embedding_like(count: int, seed: int, topics: int = 512) -> np.ndarray:
    """Unit vectors with the structure of sentence embeddings: topic clusters, decaying spectrum.

    Each vector is a topic centre plus anisotropic noise (variance falling as 1/sqrt(i)
    across dimensions), so same-topic cosines are about 0.5-0.7 and others near 0.1.
    """
    rng = np.random.default_rng(12345)  # the same topics for the data and the queries
    scale = (1.0 + np.arange(DIM)) ** -0.25
    centres = rng.standard_normal((topics, DIM)) * scale
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    rng = np.random.default_rng(seed)
    noise = rng.standard_normal((count, DIM)) * scale
    noise /= np.linalg.norm(noise, axis=1, keepdims=True)
    vectors = centres[rng.integers(0, topics, count)] + 0.8 * noise
    return (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)


def isotropic(count: int, seed: int) -> np.ndarray:
    vectors = np.random.default_rng(seed).standard_normal((count, DIM)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def _latencies(search, queries: np.ndarray) -> tuple[list[float], list[list[int]]]:
    times, found = [], []
    for query in queries:
        started = time.perf_counter()
        rows = search(query)
        times.append((time.perf_counter() - started) * 1000)
        found.append(rows)
    return times, found


def _recall(found: list[list[int]], exact: np.ndarray) -> float:
    return float(
        np.mean([len(set(f) & set(e)) / len(e) for f, e in zip(found, exact, strict=True)])
    )


def _pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q))


def bench_search(sizes: list[int], queries_n: int, kind: str) -> None:
    from langchain_community.vectorstores import FAISS
    from langchain_community.vectorstores.utils import DistanceStrategy
    from langchain_core.embeddings import FakeEmbeddings

    make = embedding_like if kind == "embedding-like" else isotropic
    print(f"\n== search latency, k=10, {DIM}-d {kind} vectors, {queries_n} queries, 1 at a time")
    for size in sizes:
        vectors, queries = make(size, seed=1), make(queries_n, seed=2)
        exact = np.argsort(-(queries @ vectors.T), axis=1)[:, :10]
        chunks = [
            Chunk(
                id=str(i), doc_id=f"d{i // 10}", title="", uri="", text=f"chunk {i}", start=0, end=1
            )
            for i in range(size)
        ]
        started = time.perf_counter()
        index = LocalIndex(Path(tempfile.gettempdir()) / "bench-index")
        index.add(chunks, vectors=vectors)
        index.search_by_vector(queries[0], k=10)  # builds the FAISS index
        build_s = time.perf_counter() - started
        store = index._store
        ours_ms, ours_found = _latencies(
            lambda q, index=index: [int(h.chunk.id) for h in index.search_by_vector(q, k=10)],
            queries,
        )
        lc = FAISS.from_embeddings(
            [(c.text, v.tolist()) for c, v in zip(chunks, vectors, strict=True)],
            FakeEmbeddings(size=DIM),
            distance_strategy=DistanceStrategy.MAX_INNER_PRODUCT,
        )
        lc_ms, lc_found = _latencies(
            lambda q, lc=lc: [
                int(d.page_content[6:]) for d in lc.similarity_search_by_vector(q.tolist(), k=10)
            ],
            queries,
        )
        kind_text = f"{store.kind}" + (
            f", efSearch {store.ef_search}" if store.kind == "hnsw" else ""
        )
        print(f"  {size:>7,} chunks")
        print(
            f"    LangChain FAISS store (exact)   p50 {_pct(lc_ms, 50):7.3f} ms  "
            f"p99 {_pct(lc_ms, 99):7.3f} ms  recall@10 {_recall(lc_found, exact):.3f}"
        )
        print(
            f"    LocalIndex ({kind_text:<19}) p50 {_pct(ours_ms, 50):7.3f} ms  "
            f"p99 {_pct(ours_ms, 99):7.3f} ms  recall@10 {_recall(ours_found, exact):.3f}  "
            f"(index built in {build_s:.1f} s)"
        )
        if store.kind != "flat":  # the same index forced exact: what the index type buys
            flat = LocalIndex(
                Path(tempfile.gettempdir()) / "bench-flat", IndexSettings(index_type="flat")
            )
            flat.add(chunks, vectors=vectors)
            flat_ms, flat_found = _latencies(
                lambda q, flat=flat: [int(h.chunk.id) for h in flat.search_by_vector(q, k=10)],
                queries,
            )
            print(
                f"    LocalIndex (flat, exact)        p50 {_pct(flat_ms, 50):7.3f} ms  "
                f"p99 {_pct(flat_ms, 99):7.3f} ms  recall@10 {_recall(flat_found, exact):.3f}"
            )
        print(f"    p50 speed-up over LangChain {_pct(lc_ms, 50) / _pct(ours_ms, 50):6.1f}x")


# ---- 3. recall of the answering chunk ----------------------------------------------------


def _answer_span(question: dict[str, str]) -> tuple[str, int, int]:
    source = (DEMO / "docs" / question["answer_doc"]).read_text(encoding="utf-8")
    start = source.find(question["answer_text"])
    assert start >= 0, question["id"]
    return f"docs/{question['answer_doc']}", start, start + len(question["answer_text"])


def bench_recall(depth: int = 10) -> None:
    questions = [json.loads(line) for line in (DEMO / "questions.jsonl").open() if line.strip()]
    modes = ("dense", "keyword", "hybrid")
    print(f"\n== the answering chunk: {len(questions)} demo questions")
    print("  backend mode      recall@1 recall@3 recall@5   MRR@10")
    vectors = {}
    for backend in ("torch", "onnx"):
        ranks: dict[str, list[int]] = {mode: [] for mode in modes}  # 0 = not in the top `depth`
        with tempfile.TemporaryDirectory() as tmp:
            index = LocalIndex.build(
                [DEMO / "docs"], Path(tmp) / "demo", progress=False, embedding_backend=backend
            )
            vectors[backend] = index.vectors()
            for question in questions:
                doc_id, start, end = _answer_span(question)
                for mode in modes:
                    hits = index.search(question["question"], k=depth, mode=mode)
                    answering = [
                        rank
                        for rank, h in enumerate(hits, start=1)
                        if h.chunk.doc_id == doc_id and h.chunk.start < end and start < h.chunk.end
                    ]
                    ranks[mode].append(answering[0] if answering else 0)
        for mode in modes:
            _print_ranks(f"{backend:<7} {mode:<8}", ranks[mode])
    cosine = (vectors["torch"] * vectors["onnx"]).sum(axis=1)
    print(f"  onnx vs torch chunk vectors: cosine mean {cosine.mean():.4f}, min {cosine.min():.4f}")


def _print_ranks(label: str, ranks: list[int]) -> None:
    found = np.array(ranks)
    recalls = [np.mean((found > 0) & (found <= k)) for k in (1, 3, 5)]
    mrr = np.mean([1 / r if r else 0.0 for r in found])
    print(f"  {label} " + " ".join(f"{r:8.3f}" for r in recalls) + f" {mrr:8.3f}")


def bench_recall_ragtruth(data: Path, limit: int, depth: int = 10) -> None:
    """Questions of RAGTruth's QA rows; the corpus is every passage of those rows; a hit is a
    passage of the question's own row (MS MARCO passages retrieved for that question)."""
    rows = [json.loads(line) for line in (data / "ragtruth-dev.jsonl").open() if line.strip()]
    seen, questions = set(), []
    for row in rows:
        if row["task"] == "qa" and row["question"] and row["question"] not in seen:
            seen.add(row["question"])
            questions.append(row)
    questions = questions[:limit]
    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "corpus"
        corpus.mkdir()
        for number, row in enumerate(questions):
            for part, source in enumerate(row["sources"]):
                (corpus / f"q{number:04d}-{part}.txt").write_text(source, encoding="utf-8")
        print(f"\n== RAGTruth QA: {len(questions)} questions, {len(list(corpus.iterdir()))} "
              "passages (a hit: a passage given for that question)")  # fmt: skip
        print("  backend mode      recall@1 recall@3 recall@5   MRR@10")
        for backend in ("torch", "onnx"):
            index = LocalIndex.build(
                [corpus], Path(tmp) / backend, progress=False, embedding_backend=backend
            )
            for mode in ("dense", "hybrid"):
                ranks = []
                for number, row in enumerate(questions):
                    hits = index.search(row["question"], k=depth, mode=mode)
                    mine = [
                        rank
                        for rank, hit in enumerate(hits, start=1)
                        if Path(hit.chunk.doc_id).name.startswith(f"q{number:04d}-")
                    ]
                    ranks.append(mine[0] if mine else 0)
                _print_ranks(f"{backend:<7} {mode:<8}", ranks)


def bench_recall_realdocs(depth: int = 10) -> None:
    """The answerable eval/realdocs questions over the corpora gather.py copies from this
    machine; a hit is a chunk of the expected file that holds the expected answer text."""
    import re
    import subprocess

    def norm(text: str) -> str:
        return re.sub(r"\s+", " ", text).lower()

    folder = ROOT / "eval" / "realdocs"
    questions = [json.loads(line) for name in ("questions-tune.jsonl", "questions-aside.jsonl")
                 for line in (folder / name).open() if line.strip()]  # fmt: skip
    questions = [q for q in questions if q["answerable"]]
    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "realdocs"
        subprocess.run([sys.executable, str(folder / "gather.py"), str(corpus)], check=True,
                       capture_output=True)  # fmt: skip
        vectors, found = {}, {}
        for backend in ("torch", "onnx"):
            index = LocalIndex.build(
                [corpus], Path(tmp) / backend, progress=False, embedding_backend=backend
            )
            vectors[backend] = index.vectors()
            for mode in ("dense", "hybrid"):
                ranks = []
                for q in questions:
                    hits = index.search(q["question"], k=depth, mode=mode)
                    mine = [rank for rank, hit in enumerate(hits, start=1)
                            if hit.chunk.doc_id.endswith(q["answer_doc"])
                            and norm(q["answer_text"]) in norm(hit.chunk.text)]  # fmt: skip
                    ranks.append(mine[0] if mine else 0)
                found[backend, mode] = ranks
        cosine = (vectors["torch"] * vectors["onnx"]).sum(axis=1)
        print(f"\n== eval/realdocs: {len(questions)} answerable questions, {len(cosine)} chunks "
              f"(onnx vs torch chunk vectors: cosine mean {cosine.mean():.4f}, "
              f"min {cosine.min():.4f})")  # fmt: skip
        print("  backend mode      recall@1 recall@3 recall@5   MRR@10")
        for (backend, mode), ranks in found.items():
            _print_ranks(f"{backend:<7} {mode:<8}", ranks)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="embed,search,recall")
    parser.add_argument("--corpus", default="packages", choices=["packages", "demo"])
    parser.add_argument("--files", type=int, default=60, help="package READMEs to embed")
    parser.add_argument("--copies", type=int, default=8, help="copies of the demo corpus to embed")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--ragtruth-questions", type=int, default=300)
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument(
        "--vectors", default="embedding-like", choices=["embedding-like", "isotropic"]
    )
    args = parser.parse_args()
    parts = set(args.only.split(","))
    print(f"cpus: {os.cpu_count()}, faiss threads: default")
    if "embed" in parts:
        bench_embed(args.corpus, args.copies, args.files, args.rounds)
    if "search" in parts:
        bench_search([int(s) for s in args.sizes.split(",")], args.queries, args.vectors)
    if "recall" in parts:
        bench_recall()
        data = next((p for p in (ROOT.parent / "shared" / "data", ROOT.parents[1] / "shared" /
                                 "data") if (p / "ragtruth-dev.jsonl").exists()), None)  # fmt: skip
        if data is None:
            print("\n(RAGTruth recall skipped: ../shared/data/ragtruth-dev.jsonl not found)")
        else:
            bench_recall_ragtruth(data, args.ragtruth_questions)
        bench_recall_realdocs()


if __name__ == "__main__":
    main()
