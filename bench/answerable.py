"""Choose the Grounder's answerability cuts on tune questions: sweep them over one run.

    python bench/answerable.py run eval/docs300/questions-tune.jsonl --index docs300 --out OUT
    python bench/answerable.py sweep OUT1 OUT2 ...

`run` evaluates the pipeline (`grounding eval --pipeline`) with both gates open: no refusal for
the best passage's answer-head score (`grounder.PASSAGES_ANSWER_AT`) nor for the answer's
relevance (`relevance.ANSWERED_AT`). `sweep` reads those runs' predictions, scores each
question's retrieved passages with the answer head again, and prints, for each pair of cuts,
the five figures `grounding eval --pipeline` leads with, over all the runs' questions: answer
right, right file cited, unanswerable refused, wrong but shown supported and answering, and
refused although the right file was retrieved (both shares of the answerable questions).
A question counts as refused at a pair of cuts when the run refused it or either score is below
its cut. Run it on tune parts only.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from grounding.backends.pair import pair_model  # noqa: E402
from grounding.checking import relevance  # noqa: E402
from grounding.evaluation.pipeline_metrics import correctness_metrics  # noqa: E402
from grounding.evaluation.pipeline_results import QuestionResult  # noqa: E402
from grounding.orchestration import grounder  # noqa: E402

PASSAGE_CUTS = (0.0, 0.02, 0.05, 0.1, 0.15, 0.2, 0.3)
ANSWER_CUTS = (0.0, 0.05, 0.1, 0.2, 0.3, 0.5)


def run(args: argparse.Namespace) -> None:
    from grounding.cli.main import main as cli
    from grounding.generation.decoders.extractive import decoder as extractive

    extractive.CHOOSE_BY = args.choose_by
    grounder.PASSAGES_ANSWER_AT = 0.0
    grounder.ANSWERED_AT = relevance.ANSWERED_AT = 0.0
    sys.argv = ["grounding", "eval", str(args.data), "--pipeline", "--index", args.index,
                "--out", str(args.out), "--fresh"]  # fmt: skip
    cli()


Row = tuple[QuestionResult, float]  # a run's result, its best passage's answer-head score


def rows_of(folders: list[Path]) -> list[Row]:
    rows = []
    model = pair_model()
    for folder in folders:
        for line in (folder / "predictions.jsonl").read_text(encoding="utf-8").splitlines():
            result = QuestionResult.model_validate_json(line)
            texts = [source.text for source in result.answer.sources]
            scores = model.answer_scores(result.question, texts) if texts else [0.0]
            rows.append((result, float(max(scores))))
    return rows


def at_cuts(row: Row, passage_at: float, answered_at: float) -> QuestionResult:
    """The run's result as the Grounder would have decided it at these cuts."""
    result, passage = row
    score = result.answer.relevance or 0.0
    refused = result.refused or passage < passage_at or score < answered_at
    shown = result.answer.support.supported and score >= relevance.RELEVANT_AT
    wrong = result.answerable is False or not result.contains
    return result.model_copy(update={
        "refused": refused,
        "contains": None if result.contains is None else result.contains and not refused,
        "right_document": None if result.right_document is None
                          else result.right_document and not refused,
        "wrong_but_shown_right": wrong and shown and not refused,
    })  # fmt: skip


def figures(rows: list[Row], passage_at: float, answered_at: float) -> dict[str, float]:
    """The five figures `grounding eval --pipeline` leads with, at these cuts."""
    metrics = correctness_metrics([at_cuts(row, passage_at, answered_at) for row in rows])
    return {
        "right": metrics["contains"],
        "file": metrics["right_document"],
        "refused_unanswerable": metrics["refusal_rate"],
        "wrong_shown": metrics["answerable_wrong_but_shown_right_rate"],
        "refused_retrieved": metrics["refused_right_document_retrieved_rate"],
    }


def sweep(args: argparse.Namespace) -> None:
    rows = rows_of(args.folders)
    print(f"{len(rows)} questions; RELEVANT_AT {relevance.RELEVANT_AT}")
    print("passage_at answered_at  right  file  refused_unans  wrong_shown  refused_retrieved")
    for p in PASSAGE_CUTS:
        for a in ANSWER_CUTS:
            f = figures(rows, p, a)
            print(f"{p:>10} {a:>11}  {f['right']:.3f} {f['file']:.3f} "
                  f"{f['refused_unanswerable']:>13.3f} {f['wrong_shown']:>12.3f} "
                  f"{f['refused_retrieved']:>18.3f}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    one = commands.add_parser("run")
    one.add_argument("data", type=Path)
    one.add_argument("--index", required=True)
    one.add_argument("--out", type=Path, required=True)
    one.add_argument("--choose-by", default="answer-head", choices=("answer-head", "similarity"))
    many = commands.add_parser("sweep")
    many.add_argument("folders", type=Path, nargs="+")
    args = parser.parse_args()
    run(args) if args.command == "run" else sweep(args)


if __name__ == "__main__":
    main()
