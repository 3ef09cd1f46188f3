"""`grounding ask` end to end, as a person runs it: a subprocess on the built demo index.

Median of N runs of `grounding ask QUESTION` (extractive decoder, default checker)
for each embedding backend, in one run on one machine: `torch` (sentence-transformers,
the baseline: what every ask cost before the ONNX backend) and `onnx` (the default).
The demo index and the ONNX export are made before timing. Goal: median under 2 s.
Each run's CPU time (user+sys) is printed too: on a loaded machine it shows what
the wall time would be without the others' load.

    python bench/ask.py [--runs 5] [--question "..."]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

QUESTION = "When was the Varnholt Head Lighthouse first lit, and who was its first keeper?"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--question", default=QUESTION)
    parser.add_argument("--backends", default="torch,onnx")
    args = parser.parse_args()
    exe = Path(sys.executable).parent / "grounding"
    command = [str(exe) if exe.exists() else shutil.which("grounding") or "grounding"]
    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "GROUNDING_HOME": home, "HF_HUB_OFFLINE": "1"}
        medians = {}
        for backend in args.backends.split(","):
            env["GROUNDING_EMBEDDING_BACKEND"] = backend
            subprocess.run([*command, "ask", args.question], env=env, check=True,
                           capture_output=True)  # fmt: skip  # builds the index, exports
            seconds, cpu = [], []
            for _ in range(args.runs):
                used = _children_cpu()
                started = time.perf_counter()
                subprocess.run([*command, "ask", args.question], env=env, check=True,
                               capture_output=True)  # fmt: skip
                seconds.append(time.perf_counter() - started)
                cpu.append(_children_cpu() - used)
            medians[backend] = statistics.median(seconds)
            print(
                f"{backend:6s} grounding ask: median {medians[backend]:.2f} s over "
                f"{args.runs} runs {[round(s, 2) for s in seconds]}; CPU (user+sys) median "
                f"{statistics.median(cpu):.2f} s"
            )
    if "torch" in medians and "onnx" in medians:
        print(
            f"onnx (default) is {medians['torch'] / medians['onnx']:.1f}x faster than torch "
            f"(baseline); goal: median under 2 s -> {'met' if medians['onnx'] < 2 else 'NOT met'}"
        )


def _children_cpu() -> float:
    """CPU seconds used by finished child processes: what the load of a shared machine
    does not inflate as much as wall time."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


if __name__ == "__main__":
    main()
