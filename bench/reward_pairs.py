"""The reward as a reward model: pairwise accuracy on RAGTruth preferences, vs word overlap.

RAGTruth has several answers written from the same source; for one source, every
(supported, unsupported) pair of answers is a preference. A scorer gets a pair right when the
supported answer scores higher (a tie counts one half). Measured on the holdout split of
`bench/split_data.py` (by source; the checker never trained on it, the reward weights were
never tuned on it), for each objective alone, the weighted total (default weights), and the
word-overlap baseline (share of the answer's content words found in the sources).

    python bench/split_data.py       # once
    python bench/reward_pairs.py [--data eval/data] [--split holdout] [--limit N] [--scorer NAME]
"""

from __future__ import annotations

import argparse
import json
import time
from collections import defaultdict
from itertools import product
from pathlib import Path

from grounding.checking import get_scorer
from grounding.checking.reward import OBJECTIVES, parse_weights, reward

DATA = Path(__file__).resolve().parent.parent / "eval" / "data"


def pairs(rows: list[dict]) -> list[tuple[int, int]]:
    """(supported row, unsupported row) index pairs that share task and sources."""
    groups: dict[str, list[int]] = defaultdict(list)
    for i, row in enumerate(rows):
        groups[row["task"] + "\x00" + "\x00".join(row["sources"])].append(i)
    found = []
    for members in groups.values():
        good = [i for i in members if rows[i]["label"] == 0]
        bad = [i for i in members if rows[i]["label"] == 1]
        found += list(product(good, bad))
    return found


def accuracy(scores: list[float], found: list[tuple[int, int]]) -> float:
    wins = sum(1.0 if scores[g] > scores[b] else 0.5 if scores[g] == scores[b] else 0.0
               for g, b in found)  # fmt: skip
    return wins / len(found)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--split", default="holdout")
    parser.add_argument("--limit", type=int, default=0, help="at most this many answers")
    parser.add_argument("--scorer", default=None, help="the checker (default: the default one)")
    parser.add_argument("--weights", action="append", default=[],
                        help="other weights to total, e.g. concision=0 (repeatable)")  # fmt: skip
    args = parser.parse_args()
    path = args.data / f"ragtruth-{args.split}.jsonl"
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    found = pairs(rows)
    if args.limit:
        keep = {g for g, _ in found} | {b for _, b in found}
        keep = set(sorted(keep)[: args.limit])
        found = [(g, b) for g, b in found if g in keep and b in keep]
    used = sorted({i for pair in found for i in pair})
    learned, overlap = get_scorer(args.scorer), get_scorer("overlap")
    started = time.perf_counter()
    table: dict[str, list[float]] = {name: [0.0] * len(rows) for name in (*OBJECTIVES, "total")}
    baseline = [0.0] * len(rows)
    for i in used:
        row = rows[i]
        scored = reward(row["question"] or "", row["answer"], row["sources"], scorer=learned)
        for name in OBJECTIVES:
            table[name][i] = scored.objectives[name]
        table["total"][i] = scored.total
        words = reward("", row["answer"], row["sources"], scorer=overlap)
        baseline[i] = words.objectives["support"]
    seconds = time.perf_counter() - started
    rate = len(used) / seconds
    print(f"checker {learned.name}; RAGTruth {args.split}: {len(found)} pairs from "
          f"{len(used)} answers ({seconds:.0f} s, {rate:.1f} answers/s)")  # fmt: skip
    by_task = sorted({rows[g]["task"] for g, _ in found})
    print(f"{'scorer':<30} {'all':>6} " + " ".join(f"{t:>9}" for t in by_task))
    columns = {**{f"objective {n}": table[n] for n in OBJECTIVES}, "reward total": table["total"],
               "word overlap (base)": baseline}  # fmt: skip
    base_all = accuracy(baseline, found)
    for name, scores in columns.items():
        cells = [accuracy(scores, [(g, b) for g, b in found if rows[g]["task"] == t])
                 for t in by_task]  # fmt: skip
        print(f"{name:<30} {accuracy(scores, found):6.3f} " + " ".join(f"{c:9.3f}" for c in cells))
    for text in args.weights:
        weights = parse_weights(text)
        totals = [sum(weights[n] * table[n][i] for n in OBJECTIVES) for i in range(len(rows))]
        print(f"{'total ' + text:<30} {accuracy(totals, found):6.3f}")
    print(f"ratio total / word overlap: {accuracy(table['total'], found) / base_all:.2f}")


if __name__ == "__main__":
    main()
