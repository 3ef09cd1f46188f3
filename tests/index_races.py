"""Readers racing a writer, and `kill -9` during saves, on one small index.

Not a conftest: tests/test_index_races.py and bench/index_races.py import it. Two
versions of an index (different chunks, random vectors, so no model is loaded)
are saved in turn into one folder by a writer in another process, while this
process reads the folder; a read that fails or sees anything but one whole
version is a loss.

    python -m tests.index_races writer A B TARGET SAVES   (SAVES 0: until killed)
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from grounding.retrieval.index.local import LocalIndex
from grounding.retrieval.stores.base import open_store
from grounding.schema import Chunk

ROOT = Path(__file__).resolve().parents[1]


def make_version(folder: Path, chunks: int, seed: int) -> list[str]:
    """Save an index of `chunks` chunks at `folder`; returns its chunk texts, in order."""
    rng = np.random.default_rng(seed)
    texts = [f"version {seed} passage {i} about harbour{i} and beacon{seed}" for i in range(chunks)]
    items = [
        Chunk(id=f"v{seed}-{i}", doc_id=f"doc{seed}", title=f"Version {seed}", uri=f"v{seed}.md",
              text=text, start=0, end=len(text))
        for i, text in enumerate(texts)
    ]  # fmt: skip
    vectors = rng.standard_normal((chunks, 32)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    index = LocalIndex(folder)
    index.add(items, vectors=vectors)
    index.save()
    return texts


def read_once(target: Path, versions: list[list[str]]) -> str | None:
    """None if `target` loads as one whole version and answers a search, else what went wrong."""
    try:
        index = open_store(target)
        texts = [chunk.text for chunk in index.chunks]
        if texts not in versions:
            return f"a mixed index of {len(texts)} chunks"
        if len(index.vectors()) != len(texts):
            return f"{len(index.vectors())} vectors for {len(texts)} chunks"
        hits = index.search("harbour3 beacon", k=3, mode="keyword")
        if not hits or hits[0].chunk.text not in texts:
            return "the keyword index does not match the chunks"
    except Exception as exc:  # every failure is a loss, whatever its type
        return f"{type(exc).__name__}: {exc}"
    return None


@dataclass
class Tally:
    saves: int = 0
    reads: int = 0
    kills: int = 0
    losses: list[str] = field(default_factory=list)


def _writer(a: Path, b: Path, target: Path, saves: int) -> subprocess.Popen[str]:
    command = [sys.executable, "-m", "tests.index_races", "writer", str(a), str(b), str(target)]
    process = subprocess.Popen([*command, str(saves)], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None and process.stdout.readline().strip() == "ready"
    return process


def race(a: Path, b: Path, target: Path, versions: list[list[str]], saves: int) -> Tally:
    """Read `target` over and over while another process saves it `saves` times."""
    tally = Tally(saves=saves)
    writer = _writer(a, b, target, saves)
    while writer.poll() is None:
        problem = read_once(target, versions)
        tally.reads += 1
        if problem:
            tally.losses.append(f"read {tally.reads}: {problem}")
    assert writer.returncode == 0, "the writer failed"
    return tally


def kill_during_saves(
    a: Path, b: Path, target: Path, versions: list[list[str]], kills: int, seed: int = 0
) -> Tally:
    """Start a writer that saves without end, `kill -9` it at a random moment; read; repeat."""
    rng = random.Random(seed)
    tally = Tally()
    for _ in range(kills):
        writer = _writer(a, b, target, 0)
        time.sleep(rng.uniform(0.0, 0.4))
        os.kill(writer.pid, signal.SIGKILL)
        writer.wait()
        tally.kills += 1
        problem = read_once(target, versions)
        tally.reads += 1
        if problem:
            tally.losses.append(f"after kill {tally.kills}: {problem}")
    return tally


def leftovers(target: Path) -> list[str]:
    """The `.tmp-*` and `.old-*` copies beside `target`."""
    prefix = f".{target.name}."
    return sorted(
        p.name
        for p in target.parent.iterdir()
        if p.name.startswith(prefix) and (".tmp-" in p.name or ".old-" in p.name)
    )


def _write_forever(a: Path, b: Path, target: Path, saves: int) -> None:
    versions = [open_store(a), open_store(b)]
    print("ready", flush=True)
    done = 0
    while saves == 0 or done < saves:
        version = versions[done % 2]
        version.directory = target
        version.save()
        done += 1


if __name__ == "__main__" and sys.argv[1:2] == ["writer"]:
    _write_forever(Path(sys.argv[2]), Path(sys.argv[3]), Path(sys.argv[4]), int(sys.argv[5]))
