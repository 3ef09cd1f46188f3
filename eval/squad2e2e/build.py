"""Build the squad2e2e set: SQuAD 2.0 articles the pair model never trains on, end to end.

    python eval/squad2e2e/build.py eval/out/squad2e2e      # then:
    grounding index build eval/out/squad2e2e --name squad2e2e

Reads ../shared/data/pairs/answer-squad2.jsonl (SQuAD 2.0 dev rows, Rajpurkar et al., ACL
2018, CC BY-SA 4.0) and keeps only the articles that train/pair_data.py sets aside (the same
`is_aside` test: sha256 of "pair-aside:" + title, first 8 hex digits / 0xFFFFFFFF < 0.15),
so neither the pair model's SQuAD nor its QNLI pairs saw them. Writes one text file per
paragraph (`<article>/pNNN.txt`, the article title on the first line) into the folder given,
and questions-tune.jsonl / questions-aside.jsonl next to this script: up to 200 answerable
and 100 unanswerable questions, chosen by the hash of their id, split by article (the first
60% of the articles by hash are tune); `answer_text` is the first gold answer that
occurs as whole words in the paragraph (rows with none are not picked). Rows have the
format of eval/docs300 (id, question, answer_text, answer_doc, answerable, corpus,
paraphrased; near_miss on unanswerable rows).
SQuAD 2.0's unanswerable questions were written against one paragraph to look answerable
from it, and that paragraph is in the corpus, so each is a near miss.
"""

from __future__ import annotations

import argparse
import hashlib
import json
from pathlib import Path
from typing import Any

from grounding.core.text import content_words, sentence_spans
from grounding.evaluation.answers import normalize_answer

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
_PAIRS = "shared/data/pairs/answer-squad2.jsonl"  # ../shared of the main checkout or a worktree
SOURCE = next((p / _PAIRS for p in (ROOT.parent, ROOT.parent.parent) if (p / _PAIRS).is_file()),
              ROOT.parent / _PAIRS)  # fmt: skip
ASIDE_SHARE = 0.15  # train/pair_data.py
ANSWERABLE, UNANSWERABLE = 200, 100
TUNE_SHARE = 0.6


def _hash(text: str) -> float:
    return int(hashlib.sha256(text.encode("utf-8")).hexdigest()[:8], 16) / 0xFFFFFFFF


def is_aside(key: str) -> bool:
    """train/pair_data.py's test: the pair model neither trains nor selects on these."""
    return _hash("pair-aside:" + key) < ASIDE_SHARE


def is_paraphrased(question: str, passage: str, answer: str) -> bool:
    """No content word of the question is in any sentence of the passage holding the answer."""
    want = f" {normalize_answer(answer)} "
    found = [
        passage[s:e]
        for s, e in sentence_spans(passage)
        if want in f" {normalize_answer(passage[s:e])} "
    ]
    asked = set(content_words(question))
    return bool(found) and not any(asked & set(content_words(s)) for s in found)


def scorable_answer(row: dict[str, Any]) -> str | None:
    """The first gold answer that "contains expected" can find in its passage (after
    normalisation: "Saudi" is not a token of "Saudi-interpretation")."""
    text = f" {normalize_answer(row['passage'])} "
    return next((a for a in row["answers"] if f" {normalize_answer(a)} " in text), None)


def build(source: Path, out: Path) -> dict[str, list[dict[str, Any]]]:
    rows = [json.loads(line) for line in source.read_text(encoding="utf-8").splitlines()]
    rows = [r for r in rows if is_aside(r["origin"]["title"])]
    files: dict[str, str] = {}  # passage -> relative path
    counts: dict[str, int] = {}
    for row in rows:
        title, passage = row["origin"]["title"], row["passage"]
        if passage not in files:
            counts[title] = counts.get(title, 0) + 1
            files[passage] = f"{title}/p{counts[title]:03d}.txt"
            target = out / files[passage]
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(f"{title.replace('_', ' ')}\n\n{passage}\n", encoding="utf-8")
    titles = sorted(counts, key=lambda t: _hash("squad2e2e:" + t))
    tune = set(titles[: round(len(titles) * TUNE_SHARE)])
    by_id = sorted(rows, key=lambda r: _hash("squad2e2e-pick:" + r["id"]))
    picked = [r for r in by_id if r["answerable"] and scorable_answer(r)][:ANSWERABLE]
    picked += [r for r in by_id if not r["answerable"]][:UNANSWERABLE]
    sides: dict[str, list[dict[str, Any]]] = {"tune": [], "aside": []}
    for row in sorted(picked, key=lambda r: (files[r["passage"]], r["id"])):
        title = row["origin"]["title"]
        item: dict[str, Any] = {
            "id": row["id"],
            "question": row["question"],
            "answer_text": scorable_answer(row) if row["answerable"] else None,
            "answer_doc": files[row["passage"]] if row["answerable"] else None,
            "answerable": bool(row["answerable"]),
            "corpus": title,
            "paraphrased": bool(row["answerable"])
            and is_paraphrased(row["question"], row["passage"], scorable_answer(row) or ""),
        }
        if not row["answerable"]:
            item["near_miss"] = True
        sides["tune" if title in tune else "aside"].append(item)
    for name, items in sides.items():
        with (HERE / f"questions-{name}.jsonl").open("w", encoding="utf-8") as handle:
            for item in items:
                handle.write(json.dumps(item, ensure_ascii=False) + "\n")
    manifest = {"source": str(source), "articles": counts, "files": len(files)}
    (out / "MANIFEST.json").write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
    return sides


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="folder to write the paragraphs into")
    parser.add_argument("--source", type=Path, default=SOURCE)
    args = parser.parse_args()
    sides = build(args.source, args.out)
    for name, items in sides.items():
        n = len(items)
        unanswerable = sum(not i["answerable"] for i in items)
        paraphrased = sum(i["paraphrased"] for i in items)
        corpora = sorted({i["corpus"] for i in items})
        print(
            f"{name}: {n} questions, {unanswerable} unanswerable, {paraphrased} paraphrased; "
            f"articles {', '.join(corpora)}"
        )


if __name__ == "__main__":
    main()
