"""Split the labelled checker data by source into a tune part and a holdout part.

Deterministic: a row goes to holdout when the SHA-256 of its sources text falls in the
top `--holdout` share of the hash space, so every answer written from the same sources
lands on the same side (RAGTruth has six answers per source). Never tune on holdout.

    python bench/split_data.py [--data ../shared/data] [--out eval/data] [--holdout 0.3]

Writes OUT/{ragtruth,qags}-{tune,holdout}.jsonl and prints the counts.
"""

from __future__ import annotations

import argparse
import hashlib
import json
from pathlib import Path

__all__ = ["is_holdout", "source_key", "split_file"]

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA = ROOT.parent / "shared" / "data"  # ../shared/data beside the checkout
DEFAULT_OUT = ROOT / "eval" / "data"
FILES = {"ragtruth": "ragtruth-dev.jsonl", "qags": "qags.jsonl"}


def source_key(sources: list[str]) -> str:
    """The hash that decides a row's side: the same sources always give the same key."""
    joined = "\n\u241e\n".join(source.strip() for source in sources)
    return hashlib.sha256(joined.encode("utf-8")).hexdigest()


def is_holdout(sources: list[str], holdout: float = 0.3) -> bool:
    """True when the row's sources hash into the holdout share of the hash space."""
    return int(source_key(sources)[:8], 16) / 0xFFFFFFFF < holdout


def split_file(path: Path, out_dir: Path, stem: str, holdout: float) -> dict[str, int]:
    """Write STEM-tune.jsonl and STEM-holdout.jsonl; return the row count of each."""
    out_dir.mkdir(parents=True, exist_ok=True)
    counts = {"tune": 0, "holdout": 0}
    with (
        path.open(encoding="utf-8") as rows,
        (out_dir / f"{stem}-tune.jsonl").open("w", encoding="utf-8") as tune,
        (out_dir / f"{stem}-holdout.jsonl").open("w", encoding="utf-8") as aside,
    ):
        for line in rows:
            if not line.strip():
                continue
            row = json.loads(line)
            side = "holdout" if is_holdout(row["sources"], holdout) else "tune"
            (aside if side == "holdout" else tune).write(json.dumps(row, ensure_ascii=False) + "\n")
            counts[side] += 1
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--holdout", type=float, default=0.3)
    args = parser.parse_args()
    for stem, name in FILES.items():
        counts = split_file(args.data / name, args.out, stem, args.holdout)
        print(f"{stem}: tune {counts['tune']}, holdout {counts['holdout']} -> {args.out}")


if __name__ == "__main__":
    main()
