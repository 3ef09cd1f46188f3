"""The pair model on the aside parts of its data: ROC AUC per set and head.

    python train/pair_data.py            # once: writes train/out/pair/{train,aside}.jsonl
    python bench/pair.py [--model grounding/backends/pair_model] [--per-set 400]

For each aside set (documents the model never trained on; `train/pair_data.py` splits by
source document) scores up to `--per-set` pairs (a fixed sample) with the model's head for that
task, and prints AUROC, accuracy at 0.5 and pairs per second. Baseline in the same run: the
share of b's content words found in a (word overlap), the signal the project had before.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from grounding.backends.pair import MODEL_DIR, PairModel  # noqa: E402
from grounding.core.text import content_words  # noqa: E402
from grounding.evaluation.metrics import auroc  # noqa: E402


def overlap(a: str, b: str) -> float:
    words = set(content_words(b))
    return len(words & set(content_words(a))) / (len(words) or 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--aside", type=Path, default=ROOT / "train/out/pair/aside.jsonl")
    parser.add_argument("--model", type=Path, default=MODEL_DIR)
    parser.add_argument("--per-set", type=int, default=400)
    parser.add_argument("--sets", default="", help="comma-separated set names (default: all)")
    args = parser.parse_args()
    rows = [json.loads(line) for line in args.aside.open(encoding="utf-8")]
    by_set: dict[str, list[dict]] = {}
    for row in rows:
        by_set.setdefault(row["set"], []).append(row)
    model = PairModel(args.model)
    print(f"model {model.version}; aside pairs from {args.aside}")
    print(f"{'set':<12} {'task':<8} {'n':>5} {'AUROC':>6} {'acc':>6} {'overlap AUROC':>13} "
          f"{'pairs/s':>8}")  # fmt: skip
    wanted = set(filter(None, args.sets.split(",")))
    for name in sorted(by_set):
        if wanted and name not in wanted:
            continue
        sample = by_set[name]
        random.Random(name).shuffle(sample)
        sample = sample[: args.per_set]
        task = sample[0]["task"]
        pairs = [(r["a"], r["b"]) for r in sample]
        y = [r["y"] for r in sample]
        started = time.perf_counter()
        p = model.support(pairs) if task == "support" else model.answers(pairs)
        rate = len(pairs) / (time.perf_counter() - started)
        # auroc() ranks the positive class (label 1) by score: here the positive is y == 0
        # (not supported / not answered), scored by 1 - p
        labels = [1 - v for v in y]
        auc = auroc(labels, [1 - float(v) for v in p])
        base = auroc(labels, [1 - overlap(a, b) for a, b in pairs])
        acc = sum((float(v) >= 0.5) == bool(t) for v, t in zip(p, y, strict=True)) / len(y)
        print(f"{name:<12} {task:<8} {len(y):>5} {auc:>6.3f} {acc:>6.3f} {base:>13.3f} "
              f"{rate:>8.0f}")  # fmt: skip


if __name__ == "__main__":
    main()
