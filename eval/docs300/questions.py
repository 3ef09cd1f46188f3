"""Check the docs300 questions against the gathered files, and write the tune/aside split.

    python eval/docs300/questions.py check eval/out/docs300
    python eval/docs300/questions.py build eval/out/docs300 DRAFT.tsv ...

`check` reads questions-tune.jsonl and questions-aside.jsonl next to this script and
verifies, against the text `grounding index build` extracts from each file:

- every answerable row's `answer_text` occurs in its `answer_doc` (after the answer
  normalisation of `grounding/evaluation/answers.py`, so "contains expected" can score it);
- `paraphrased` is true exactly when no content word of the question
  (`grounding.core.text.content_words`) occurs in any sentence of the document that holds the
  answer (a strict reading: every such sentence counts);
- ids are unique, each row sits on the side its hash gives, and the shares of paraphrased
  and unanswerable questions.

`build` turns tab-separated drafts (`DOC<TAB>ANSWER<TAB>QUESTION` for an answerable
question, `-near<TAB><TAB>QUESTION` or `-far<TAB><TAB>QUESTION` for one the corpus does not
answer, with or without a closely related fact; `#` starts a comment; the corpus is the
first folder of DOC, or given as `corpus=NAME` on a line of its own) into the two files.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
from collections import Counter
from functools import cache
from pathlib import Path
from typing import Any

from grounding.core.text import content_words
from grounding.evaluation.answers import normalize_answer
from grounding.retrieval.index.loaders import SourceFile, load_document

HERE = Path(__file__).resolve().parent
SIDES = ("tune", "aside")
TUNE_SHARE = 0.6
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z(\"'`])|\n\s*\n|\n(?=\S)")


def side(corpus: str, key: str) -> str:
    """tune or aside, from the hash of corpus and document (or id, for unanswerable rows)."""
    digest = hashlib.sha256(f"docs300:{corpus}:{key}".encode()).hexdigest()
    return "tune" if int(digest[:8], 16) / 0xFFFFFFFF < TUNE_SHARE else "aside"


@cache
def document_text(folder: Path, relative: str) -> str:
    path = folder / relative
    return load_document(SourceFile(path, f"{folder.name}/{relative}")).text


def sentences(text: str) -> list[str]:
    """Sentences and blocks (a man page option with its description) of a document."""
    return [s.strip() for s in _SENTENCE_END.split(text) if s and s.strip()]


def answer_sentences(text: str, answer: str) -> list[str]:
    want = f" {normalize_answer(answer)} "
    found = [s for s in sentences(text) if want in f" {normalize_answer(s)} "]
    if not found and want in f" {normalize_answer(text)} ":  # the answer spans a break
        flat = " ".join(text.split())
        start = normalize_answer(flat).find(want.strip())
        found = [flat[max(0, start - 200) : start + 200]]
    return found


def is_paraphrased(question: str, found: list[str]) -> bool:
    asked = set(content_words(question))
    return bool(found) and not any(asked & set(content_words(s)) for s in found)


def read_drafts(paths: list[Path]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    counts: Counter[str] = Counter()
    corpus = ""
    for path in paths:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            if line.startswith("corpus="):
                corpus = line.split("=", 1)[1].strip()
                continue
            parts = line.split("\t")
            if len(parts) != 3:
                raise SystemExit(f"{path}:{number}: expected 3 tab-separated fields: {line!r}")
            doc, answer, question = (p.strip() for p in parts)
            answerable = not doc.startswith("-")
            name = doc.split("/", 1)[0] if answerable else corpus
            counts[name] += 1
            row: dict[str, Any] = {
                "id": f"{name}-{counts[name]:03d}",
                "question": question,
                "answer_text": answer if answerable else None,
                "answer_doc": doc if answerable else None,
                "answerable": answerable,
                "corpus": name,
                "paraphrased": False,
            }
            if not answerable:
                if doc not in {"-near", "-far"}:
                    raise SystemExit(f"{path}:{number}: expected -near or -far, got {doc!r}")
                row["near_miss"] = doc == "-near"
            rows.append(row)
    return rows


def check(rows: list[dict[str, Any]], folder: Path, sides: dict[str, str]) -> list[str]:
    problems = []
    seen: set[str] = set()
    for row in rows:
        where = row["id"]
        if where in seen:
            problems.append(f"{where}: duplicate id")
        seen.add(where)
        key = row["answer_doc"] if row["answerable"] else row["id"]
        if sides.get(where, side(row["corpus"], key)) != side(row["corpus"], key):
            problems.append(f"{where}: on the wrong side")
        if not row["answerable"]:
            if row["paraphrased"] or "near_miss" not in row:
                problems.append(f"{where}: unanswerable rows need near_miss, not paraphrased")
            continue
        if not (folder / row["answer_doc"]).is_file():
            problems.append(f"{where}: no file {row['answer_doc']}")
            continue
        found = answer_sentences(document_text(folder, row["answer_doc"]), row["answer_text"])
        if not found:
            problems.append(f"{where}: {row['answer_text']!r} not in {row['answer_doc']}")
        elif row["paraphrased"] != is_paraphrased(row["question"], found):
            problems.append(f"{where}: paraphrased should be {not row['paraphrased']}")
    return problems


def stats(rows: list[dict[str, Any]]) -> str:
    n = len(rows)
    answerable = [r for r in rows if r["answerable"]]
    paraphrased = sum(r["paraphrased"] for r in rows)
    near = sum(bool(r.get("near_miss")) for r in rows)
    corpora = Counter(r["corpus"] for r in rows)
    return (
        f"{n} questions, {len(answerable)} answerable, {n - len(answerable)} unanswerable "
        f"({(n - len(answerable)) / max(n, 1):.1%}, {near} near misses), {paraphrased} "
        f"paraphrased ({paraphrased / max(n, 1):.1%} of all, "
        f"{paraphrased / max(len(answerable), 1):.1%} of answerable); "
        + ", ".join(f"{c} {k}" for c, k in sorted((v, k) for k, v in corpora.items()))
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=("check", "build"))
    parser.add_argument("folder", type=Path, help="the folder gather.py wrote")
    parser.add_argument("drafts", nargs="*", type=Path)
    args = parser.parse_args()
    if args.action == "build":
        rows = read_drafts(args.drafts)
        for row in rows:
            if row["answerable"] and (args.folder / row["answer_doc"]).is_file():
                text = document_text(args.folder, row["answer_doc"])
                found = answer_sentences(text, row["answer_text"])
                row["paraphrased"] = is_paraphrased(row["question"], found)
        for name in SIDES:
            chosen = [
                r
                for r in rows
                if side(r["corpus"], r["answer_doc"] if r["answerable"] else r["id"]) == name
            ]
            with (HERE / f"questions-{name}.jsonl").open("w", encoding="utf-8") as handle:
                for row in chosen:
                    handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    sides: dict[str, str] = {}
    rows = []
    for name in SIDES:
        for line in (HERE / f"questions-{name}.jsonl").read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            sides[row["id"]] = name
            rows.append(row)
    problems = check(rows, args.folder, sides)
    for problem in problems:
        print(problem, file=sys.stderr)
    for name in SIDES:
        print(f"{name}: {stats([r for r in rows if sides[r['id']] == name])}")
    print(f"all: {stats(rows)}")
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
