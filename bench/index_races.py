"""Index saves under fire: readers racing a writer, and kill -9 in the middle of saves.

Baseline: the same run against the index as it was before readers took the swap
lock (`git stash` the fix to see it; 53 losses in 2,444 races over 200 saves).
Goal: 0 losses, and no `.tmp-*`/`.old-*` copy left once the index is opened again.

    python bench/index_races.py [--saves 1000] [--kills 50]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.index_races import kill_during_saves, leftovers, make_version, race  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--saves", type=int, default=1000)
    parser.add_argument("--kills", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        a, b, target = root / "a", root / "b", root / "live"
        versions = [make_version(a, 40, seed=1), make_version(b, 65, seed=2)]
        make_version(target, 40, seed=1)
        started = time.monotonic()
        raced = race(a, b, target, versions, args.saves)
        raced_s = time.monotonic() - started
        started = time.monotonic()
        killed = kill_during_saves(a, b, target, versions, args.kills)
        killed_s = time.monotonic() - started
        left = leftovers(target)
    losses = raced.losses + killed.losses
    print(f"race: {raced.saves} saves, {raced.reads} reads in {raced_s:.0f} s")
    print(f"kill: {killed.kills} kills during saves in {killed_s:.0f} s; leftovers: {len(left)}")
    for loss in losses[:10]:
        print("  loss:", loss)
    print(f"{killed.kills} kills, {raced.reads} races, {len(losses)} losses")
    sys.exit(1 if losses or left else 0)


if __name__ == "__main__":
    main()
