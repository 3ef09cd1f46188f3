"""The mixes the pair model went on training with: the answer task weighed up.

    python train/finetune_mix.py [--train train/out/pair/train.jsonl] [--out FILE]
    python train/finetune_mix.py --near-misses --out train/out/pair/near.jsonl \
        --near-aside train/out/pair/near-aside.jsonl                          # pair-4

From `train/pair_data.py`'s training file (nothing aside is read): every answer pair, the
SQuAD 2.0 passage pairs (a question against a passage on its article's topic, answered or
not) three times, and a third of the support pairs so the shared encoder keeps what
the support head reads. Shuffled with a fixed seed. pair-3 trained on the default mix.

`--near-misses` adds what the Grounder meets and the default mix lacks: each SQuAD 2.0
question of a training article against *another* paragraph of its article, the one that
shares the most of the question's content words and holds none of its answers, as a
negative (the evidence `select_evidence` picks from it, as at run time). Articles aside in
`pair_data.py` (eval/squad2e2e's) are never read for training; `--near-aside FILE` writes
their near misses, with their answered questions' passages as positives, as one set
(`squad2-near`) for measuring: `python bench/pair.py --aside FILE`.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "train"))

from pair_data import is_aside, load  # noqa: E402

from grounding.backends.evidence import select_evidence, sentences_of  # noqa: E402
from grounding.core.text import content_words  # noqa: E402

SQUAD_COPIES = 3
SUPPORT_SHARE = 1 / 3


def near_misses(squad: list[dict], aside: bool = False) -> list[dict]:
    """One negative per question of a training article (`aside`: of an aside article, for
    measuring only): its article's closest other paragraph."""
    paragraphs: dict[str, list[str]] = defaultdict(list)
    for row in squad:
        title = row["origin"]["title"]
        if is_aside(title) == aside and row["passage"] not in paragraphs[title]:
            paragraphs[title].append(row["passage"])
    pairs = []
    for row in squad:
        title = row["origin"]["title"]
        if is_aside(title) != aside:
            continue
        asked = set(content_words(row["question"]))
        answers = [a.lower() for a in row.get("answers") or [] if a]
        others = [
            p for p in paragraphs[title]
            if p != row["passage"] and not any(a in p.lower() for a in answers)
        ]  # fmt: skip
        if not others or not asked:
            continue
        closest = max(others, key=lambda p: len(asked & set(content_words(p))))
        evidence = select_evidence(sentences_of(closest), row["question"])
        pairs.append({"a": evidence, "b": row["question"], "task": "answer", "y": 0,
                      "set": "squad2-other", "synthetic": False})  # fmt: skip
    return pairs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--train", type=Path, default=Path("train/out/pair/train.jsonl"))
    parser.add_argument("--out", type=Path, default=Path("train/out/pair/finetune.jsonl"))
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--near-misses", action="store_true")
    parser.add_argument("--near-aside", type=Path, default=None,
                        help="also write the aside articles' near misses with the aside SQuAD "
                             "2.0 passage positives here, for bench/pair.py --aside")  # fmt: skip
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
    squad = load(args.data / "pairs" / "answer-squad2.jsonl")
    if args.near_misses:
        mix += [json.dumps(pair, ensure_ascii=False) for pair in near_misses(squad)]
    if args.near_aside:
        answered = [row for row in load(args.train.parent / "aside.jsonl")
                    if row["set"] == "squad2" and row["y"] == 1]  # fmt: skip
        lines = [
            json.dumps({**row, "set": "squad2-near"}, ensure_ascii=False)
            for row in answered + near_misses(squad, True)
        ]  # one set: one AUROC
        args.near_aside.write_text("\n".join(lines) + "\n", encoding="utf-8")
    rng.shuffle(mix)
    args.out.write_text("\n".join(mix) + "\n", encoding="utf-8")
    print(f"{len(mix)} pairs -> {args.out}")


if __name__ == "__main__":
    main()
