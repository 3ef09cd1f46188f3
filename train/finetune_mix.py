"""The mix pair-3 went on training with: the answer task weighed up, SQuAD 2.0 most.

    python train/finetune_mix.py [--train train/out/pair/train.jsonl] [--out FILE]

From `train/pair_data.py`'s training file (nothing aside is read): every answer pair, the
SQuAD 2.0 passage pairs (a question against a passage on its article's topic, answered or
not: the near misses the Grounder meets) twice more, and a third of the support pairs so
the shared encoder keeps what the support head reads. Shuffled with a fixed seed.
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

SQUAD_COPIES = 3
SUPPORT_SHARE = 1 / 3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--train", type=Path, default=Path("train/out/pair/train.jsonl"))
    parser.add_argument("--out", type=Path, default=Path("train/out/pair/finetune.jsonl"))
    parser.add_argument("--seed", type=int, default=23)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    mix = []
    for line in args.train.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        if row["task"] == "answer":
            mix += [line] * (SQUAD_COPIES if row["set"] == "squad2" else 1)
        elif rng.random() < SUPPORT_SHARE:
            mix.append(line)
    rng.shuffle(mix)
    args.out.write_text("\n".join(mix) + "\n", encoding="utf-8")
    print(f"{len(mix)} pairs -> {args.out}")


if __name__ == "__main__":
    main()
