"""Time from question to fused sources with web search: parallel page fetching vs one by one.

Ten result pages are served on loopback, each answering after 200 ms (a
typical page's time to first byte). Both runs do the same work (ask the
provider, fetch and extract all ten pages, pick passages with the embedder,
fuse with local hits); the baseline fetches the pages one after another
(max_workers=1), the default fetches them together. Goal: at least 4x faster.

`--quality` also checks what the pre-filter costs: on the demo corpus's 40
questions, with its 34 documents as the result pages, how often the passage
holding the answer is the first web hit or among the first five, with the
default pre-filter (short windows of the chunks, 2 per page on average, chosen
by BM25 across all pages) and with more or fewer windows or whole chunks.

    python bench/web.py [--latency 0.2] [--repeats 5] [--candidates N] [--quality]
"""

from __future__ import annotations

import argparse
import html
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from grounding.backends.embedding_model import onnx_embedder  # noqa: E402
from grounding.retrieval.base import Retriever  # noqa: E402
from grounding.retrieval.index.chunking import chunk_text  # noqa: E402
from grounding.retrieval.web import passages  # noqa: E402
from grounding.retrieval.web.augment import LocalAndWeb  # noqa: E402
from grounding.retrieval.web.fetch import Fetcher  # noqa: E402
from grounding.retrieval.web.passages import (  # noqa: E402
    DEFAULT_CANDIDATES_PER_PAGE,
    WINDOW_CHARS,
    WebDocument,
    embed_texts,
    select_passages,
)
from grounding.retrieval.web.registry import get_provider  # noqa: E402
from grounding.retrieval.web.search import WebSearch  # noqa: E402
from grounding.schema import Chunk, SearchHit  # noqa: E402
from tests.web_server import serving  # noqa: E402

QUESTION = "When was the Varnholt lighthouse first lit and who kept it?"
DEMO = ROOT / "indexes" / "demo"
DOCS = DEMO / "docs"
PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>{title} | Varnholt Guide</title>
<script>window.dataLayer=[];function gtag(){{dataLayer.push(arguments)}}</script></head>
<body><div class="cookies">We use cookies. <button>Accept</button></div>
<nav><a href="/">Home</a> | <a href="/visit">Visit</a> | <a href="/shop">Shop</a></nav>
<main><article><h1>{title}</h1>{paragraphs}</article></main>
<aside><h3>Related</h3><ul><li><a href="/a">Harbour</a></li><li><a href="/b">Ferry</a></li></ul>
</aside>
<footer>&copy; 2024 Varnholt Guide | <a href="/privacy">Privacy</a></footer></body></html>"""


def build_site(count: int) -> tuple[dict[str, bytes], list[dict[str, str]]]:
    """`count` HTML pages made from the demo corpus's documents, and their search results."""
    pages: dict[str, bytes] = {}
    results: list[dict[str, str]] = []
    for path in sorted(DOCS.glob("*.md"))[:count]:
        lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        title = lines[0].lstrip("# ").strip()
        body = "".join(f"<p>{html.escape(line)}</p>" for line in lines[1:])
        name = f"{path.stem}.html"
        pages[name] = PAGE.format(title=html.escape(title), paragraphs=body).encode()
        results.append({"title": title, "content": " ".join(lines[1:2])[:200], "name": name})
    return pages, results


def searxng_reply(base: str, results: list[dict[str, str]]) -> bytes:
    items = [
        {"url": f"{base}/pages/{r['name']}", "title": r["title"], "content": r["content"],
         "engine": "duckduckgo", "engines": ["duckduckgo"], "score": 1.0, "category": "general"}
        for r in results
    ]  # fmt: skip
    return json.dumps({"query": QUESTION, "number_of_results": 0, "results": items}).encode()


class Fixed(Retriever):
    """The local side: the same hits for every query, so only the web side is timed."""

    name = "bench"

    def __init__(self, hits: list[SearchHit]) -> None:
        self.hits = hits

    def search(self, query: str, k: int = 5) -> list[SearchHit]:
        return self.hits[:k]


def time_once(both: LocalAndWeb, k: int) -> tuple[float, int]:
    started = time.perf_counter()
    fused = both.retrieve(QUESTION, k=k)
    return time.perf_counter() - started, sum(hit.origin == "web" for hit in fused.hits)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=10)
    parser.add_argument("--latency", type=float, default=0.2)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument(
        "--candidates",
        type=float,
        default=None,
        help="windows embedded per page on average (default: WebSearch's default)",
    )
    parser.add_argument("--quality", action="store_true", help="also measure the pre-filter's cost")
    args = parser.parse_args()

    pages, results = build_site(args.pages)
    embed_texts(["warm up the embedder"])  # model loading is not what is measured
    local = [
        SearchHit(chunk=chunk, score=1.0, origin="local", retriever="bench")
        for chunk in chunk_text((DOCS / "lighthouse.md").read_text(), "lighthouse.md")[:3]
    ]
    with serving(latency=args.latency, pages=pages) as server:
        server.replies["searxng"] = searxng_reply(server.base, results)
        urls = [f"{server.base}/pages/{r['name']}" for r in results]
        totals: dict[str, float] = {}
        for label, workers in (("one by one (max_workers=1)", 1), ("parallel (pool)", args.pages)):
            provider = get_provider("searxng", base_url=f"{server.base}/searxng")
            fetcher = Fetcher(allowed_hosts={"127.0.0.1"}, max_workers=workers)
            chosen = {} if args.candidates is None else {"candidates_per_page": args.candidates}
            search = WebSearch(provider, fetcher=fetcher, **chosen)
            both = LocalAndWeb(Fixed(local), search)
            time_once(both, args.pages)  # warm-up: caches, connection set-up
            runs = [time_once(both, args.pages) for _ in range(args.repeats)]
            fetches = [time_fetch(fetcher, urls) for _ in range(args.repeats)]
            totals[label] = statistics.median(seconds for seconds, _ in runs)
            print(
                f"{label:27s} question -> fused sources: median {totals[label]:.3f} s "
                f"(runs {[round(seconds, 3) for seconds, _ in runs]}, web sources {runs[-1][1]}); "
                f"fetch+extract only: {statistics.median(fetches):.3f} s"
            )
    baseline, parallel = totals.values()
    print(
        f"{args.pages} pages at {args.latency * 1000:.0f} ms each: parallel is "
        f"{baseline / parallel:.1f}x faster than one by one, question to fused sources "
        f"(goal >= 4x)"
    )

    if args.quality:
        quality()


def quality() -> None:
    """The answering passage's place among the web hits, per pre-filter setting."""
    questions = [json.loads(line) for line in (DEMO / "questions.jsonl").open() if line.strip()]
    documents = [
        WebDocument(url=path.name, title=path.stem, text=path.read_text(encoding="utf-8"), rank=i)
        for i, path in enumerate(sorted(DOCS.glob("*.md")))
    ]
    print(f"answering passage among the web hits ({len(questions)} demo questions, "
          f"{len(documents)} pages):")  # fmt: skip
    settings = (
        (DEFAULT_CANDIDATES_PER_PAGE, WINDOW_CHARS, "default"),
        (1.0, WINDOW_CHARS, ""),
        (3.0, WINDOW_CHARS, ""),
        (DEFAULT_CANDIDATES_PER_PAGE, 10**6, ""),
    )
    for per_page, window, note in settings:
        first = top5 = embedded = pieces = 0
        for question in questions:
            hits = select_passages(
                question["question"], documents, candidates_per_page=per_page, window_chars=window
            )
            texts = [
                text for _, text in _embedded(question["question"], documents, per_page, window)
            ]
            embedded += len(texts)
            pieces += sum(len(e.ids) for e in onnx_embedder().tokenize(texts))
            answer = " ".join(question["answer_text"].split())
            found = [
                hit.chunk.doc_id == question["answer_doc"]
                and answer in " ".join(hit.chunk.text.split())
                for hit in hits
            ]
            first += bool(found) and found[0]
            top5 += any(found[:5])
        shape = f"windows <= {window} chars" if window < 10**6 else "whole chunks"
        label = f"{per_page:g} per page, {shape}"
        n = len(questions)
        print(f"  {label:<32}: first {first}/{n}, top 5 {top5}/{n}; per question "
              f"{embedded / n:.0f} passages embedded, {pieces / n:.0f} word pieces"
              + (f"  ({note})" if note else ""))  # fmt: skip


def _embedded(
    question: str, documents: list[WebDocument], per_page: float, window: int
) -> list[tuple[Chunk, str]]:
    """The (chunk, window) pairs that `select_passages` embeds for `question`."""
    pages = [
        [(c, passages._windows(c.text, window)) for c in passages._chunks(d)] for d in documents
    ]
    return passages._prefilter(question, pages, per_page)


def time_fetch(fetcher: Fetcher, urls: list[str]) -> float:
    started = time.perf_counter()
    fetcher.fetch_many(urls)
    return time.perf_counter() - started


if __name__ == "__main__":
    main()
