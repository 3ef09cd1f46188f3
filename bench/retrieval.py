"""Does the right chunk reach the top k? Fusion and rerankers compared on labelled questions.

For each question with an `answer_doc` (and, where given, an `answer_text`), the index's
dense and BM25 rankings are taken once and then fused and reranked every way asked for:

- doc@k: the expected document is among the top `k` chunks;
- doc@1: it is the first chunk;
- text@k: a top-k chunk holds the expected answer text (normalised as the eval does).

    python bench/retrieval.py indexes/demo/questions.jsonl                  # the demo index
    python bench/retrieval.py eval/realdocs/questions-tune.jsonl --index realdocs \\
        --lead none --lead 0.2 --lead 0.3 --reranker none --reranker sentence

A reranker gets k x `RERANK_POOL` fused candidates, as the `Grounder` gives it; `none` the
fused top k.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from grounding.evaluation.answers import cites_document, normalize_answer  # noqa: E402
from grounding.evaluation.data import read_questions  # noqa: E402
from grounding.orchestration.grounder import RERANK_POOL, open_index  # noqa: E402
from grounding.retrieval.fusion import reciprocal_rank_fusion  # noqa: E402
from grounding.retrieval.rerank.base import get_reranker  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("questions", type=Path)
    parser.add_argument("--index", default=None, help="index name or folder (default: demo)")
    parser.add_argument("-k", type=int, default=5)
    parser.add_argument("--lead", action="append", help="keep_lead values ('none': plain RRF)")
    parser.add_argument("--reranker", action="append", help="rerankers over the fused pool")
    args = parser.parse_args()
    leads = [None if v == "none" else float(v) for v in (args.lead or ["none", "0.3"])]
    rerankers = args.reranker or ["none"]
    index = open_index(args.index)
    rows = [r for r in read_questions(args.questions).rows if r.answer_doc]
    pool = args.k * RERANK_POOL
    depth = max(pool * 4, 20)  # each ranking's depth, as LocalIndex.search takes it for the pool
    rankings = [
        [index.search(r.question, k=depth, mode=m) for m in ("dense", "keyword")]  # type: ignore[call-arg]
        for r in rows
    ]
    print(f"{len(rows)} questions with an expected document, k = {args.k}")
    print(f"{'lead':>6} {'reranker':>14} {'doc@k':>6} {'doc@1':>6} {'text@k':>6}")
    for keep in leads:
        for name in rerankers:
            reranker = get_reranker(name)
            doc_k = doc_1 = text_k = texts = 0
            for row, ranked in zip(rows, rankings, strict=True):
                size = args.k if name == "none" else pool  # as the Grounder does
                fused = reciprocal_rank_fusion(ranked, k=size, keep_lead=keep)
                hits = reranker.rerank(row.question, fused, args.k)
                uris = [h.chunk.uri for h in hits]
                doc_k += cites_document(uris, row.answer_doc or "")
                doc_1 += cites_document(uris[:1], row.answer_doc or "")
                if row.expected:
                    texts += 1
                    want = normalize_answer(row.expected)
                    text_k += any(want in normalize_answer(h.chunk.text) for h in hits)
            n = len(rows) or 1
            shown = "none" if keep is None else f"{keep:.2f}"
            print(
                f"{shown:>6} {name:>14} {doc_k / n:6.3f} {doc_1 / n:6.3f} "
                f"{text_k / (texts or 1):6.3f}"
            )


if __name__ == "__main__":
    main()
