"""Does a signal tell right answers from wrong ones? Relevance and embedding features compared.

Reads the predictions of `grounding eval --pipeline` runs (each OUT folder's
predictions.jsonl) and takes the answers that were shown (not refused) and supported: the
ones where relevance alone decides whether a wrong answer is shown as right. An answer is
right when it contains an expected answer (answerable questions with one); an answer to an
unanswerable question is wrong. For each signal it prints the ROC AUC of right against
wrong, then a logistic regression over several signals validated out of fold (leave one
corpus out; the corpus is the id's prefix, "libffi-03" -> libffi, else the folder), beside the
same regression over relevance alone as the baseline, and how many wrong and right answers
fall below RELEVANT_AT.

Signals: `relevance` (recomputed with this checkout's code), the MiniLM cosine of the
question with the whole answer and with its first sentence (the packaged embedder, trained on
question-answer pairs), the answer's share of words the question does not have, and its
number of sentences.

    grounding eval eval/realdocs/questions-tune.jsonl --pipeline --index realdocs --out OUT1
    grounding eval indexes/demo/questions.jsonl --pipeline --out OUT2
    python bench/relevance.py OUT1 OUT2
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.metrics import roc_auc_score  # noqa: E402

from grounding.backends.embedding_model import embed  # noqa: E402
from grounding.checking.relevance import RELEVANT_AT, relevance  # noqa: E402
from grounding.core.text import blank_citation_markers, content_words, sentence_spans  # noqa: E402

SIGNALS = ("relevance", "cosine", "cosine_first", "new_words", "sentences")


def shown_answers(folders: list[Path]) -> list[dict]:
    """The shown, supported answers of the runs, each with its label and corpus."""
    rows = []
    for folder in folders:
        for line in (folder / "predictions.jsonl").read_text().splitlines():
            row = json.loads(line)
            answer = row["answer"]
            if row["refused"] or not answer["support"]["supported"]:
                continue
            if row["answerable"] is not False and row.get("contains") is None:
                continue  # answerable without an expected answer: no label
            text = blank_citation_markers(answer["answer"])
            rows.append({
                "question": row["question"],
                "answer": text,
                "answer_text": answer["answer"],
                "right": bool(row["answerable"] is not False and row["contains"]),
                "group": f"{folder.name}:{row['id'].rsplit('-', 1)[0] if '-' in row['id'] else ''}",
            })  # fmt: skip
    return rows


def features(rows: list[dict]) -> np.ndarray:
    questions = embed([r["question"] for r in rows])
    answers = embed([r["answer"] for r in rows])
    firsts = embed([_first_sentence(r["answer"]) for r in rows])
    table = []
    for i, row in enumerate(rows):
        asked = set(content_words(row["question"]))
        words = content_words(row["answer"])
        table.append([
            relevance(row["question"], row["answer_text"]),
            float(questions[i] @ answers[i]),
            float(questions[i] @ firsts[i]),
            sum(w not in asked for w in words) / max(len(words), 1),
            len(sentence_spans(row["answer"])),
        ])  # fmt: skip
    return np.array(table, dtype=float)


def _first_sentence(text: str) -> str:
    spans = sentence_spans(text)
    return text[spans[0][0] : spans[0][1]] if spans else text


def out_of_fold(x: np.ndarray, y: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """Each group's probabilities from a regression fitted on the other groups."""
    scores = np.zeros(len(y))
    for group in sorted(set(groups)):
        held = groups == group
        model = LogisticRegression(C=1.0, max_iter=2000).fit(x[~held], y[~held])
        scores[held] = model.predict_proba(x[held])[:, 1]
    return scores


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("folders", nargs="+", type=Path, help="grounding eval --pipeline OUTs")
    args = parser.parse_args()
    rows = shown_answers(args.folders)
    y = np.array([r["right"] for r in rows])
    if y.all() or not y.any():
        sys.exit("need both right and wrong shown answers")
    x = features(rows)
    groups = np.array([r["group"] for r in rows])
    print(f"{len(rows)} shown supported answers: {y.sum()} right, {(~y).sum()} wrong")
    for j, name in enumerate(SIGNALS):
        print(f"  AUC {name:<13} {roc_auc_score(y, x[:, j]):.3f}")
    baseline = roc_auc_score(y, out_of_fold(x[:, :1], y, groups))
    combined = roc_auc_score(y, out_of_fold(x, y, groups))
    print(f"  out of fold (leave one corpus out): relevance alone {baseline:.3f}, "
          f"all signals {combined:.3f}")  # fmt: skip
    low = x[:, 0] < RELEVANT_AT
    print(f"  below RELEVANT_AT {RELEVANT_AT}: {(low & ~y).sum()} of {(~y).sum()} wrong, "
          f"{(low & y).sum()} of {y.sum()} right")  # fmt: skip


if __name__ == "__main__":
    main()
