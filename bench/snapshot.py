"""Everything the library answers for a fixed set of inputs, as JSON lines to diff before and after
a refactor (issue 25: "behaviour unchanged").

    python bench/snapshot.py --out eval/out/snapshot-before.jsonl
    ... refactor ...
    python bench/snapshot.py --out eval/out/snapshot-after.jsonl
    diff eval/out/snapshot-before.jsonl eval/out/snapshot-after.jsonl    # empty: unchanged

It asks the demo questions on the bundled index and the tune questions of eval/realdocs,
eval/docs300 and eval/squad2e2e on their built indexes (a set whose index is not built is
skipped, and says so), and checks and rewards the first rows of eval/data/ragtruth-tune.jsonl
with the default, learned@3 and overlap scorers. Timings are left out; every other field of
each answer and report is kept, floats as written.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from grounding import Grounder, check, reward
from grounding.errors import GroundingError
from grounding.evaluation.data import read_questions, read_rows

ROOT = Path(__file__).resolve().parent.parent
SETS = [  # (name, questions, index; None = the bundled demo index)
    ("demo", ROOT / "grounding/demo_corpus/questions.jsonl", None),
    ("realdocs", ROOT / "eval/realdocs/questions-tune.jsonl", "realdocs"),
    ("docs300", ROOT / "eval/docs300/questions-tune.jsonl", "docs300"),
    ("squad2e2e", ROOT / "eval/squad2e2e/questions-tune.jsonl", "squad2e2e"),
]
SCORERS = ["learned", "learned@3", "overlap"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--questions", type=int, default=60, help="per question set")
    parser.add_argument("--checks", type=int, default=60, help="ragtruth-tune rows checked")
    args = parser.parse_args()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("w", encoding="utf-8") as out:
        for name, path, index in SETS:
            try:
                grounder = Grounder(index)
            except GroundingError as error:
                print(f"skipped {name}: {error}", file=sys.stderr)
                continue
            for question in read_questions(path).rows[: args.questions]:
                answer = grounder.ask(question.question).model_dump(mode="json")
                answer.pop("timings")
                out.write(json.dumps({"set": name, "id": question.id, "ask": answer}) + "\n")
            print(f"{name}: asked", file=sys.stderr)
        rows = read_rows(ROOT / "eval/data/ragtruth-tune.jsonl").rows[: args.checks]
        for scorer in SCORERS:
            for row in rows:
                report = check(row.answer, row.sources, scorer=scorer).model_dump(mode="json")
                out.write(json.dumps({"check": scorer, "id": row.id, "report": report}) + "\n")
        for row in rows:
            got = reward(row.question or "", row.answer, row.sources).model_dump(mode="json")
            out.write(json.dumps({"reward": row.id, "report": got}) + "\n")
        print("checked and rewarded", file=sys.stderr)


if __name__ == "__main__":
    main()
