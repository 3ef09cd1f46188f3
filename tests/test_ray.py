"""Builds and evals on a real local Ray (two CPUs), compared with the same work in-process.

Ray takes seconds to start, so the module shares one Ray; `--ray` without an address
joins a Ray already started in the process instead of starting its own.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

ray = pytest.importorskip("ray")

from grounding.evaluation.evaluate import evaluate  # noqa: E402
from grounding.retrieval.index.local import LocalIndex  # noqa: E402
from grounding.retrieval.index.updating import Built, build_index  # noqa: E402
from grounding.retrieval.stores.base import open_store  # noqa: E402
from tests.eval_rows import make_rows, write_rows  # noqa: E402

pytestmark = pytest.mark.slow

DEMO = Path(__file__).resolve().parents[1] / "indexes" / "demo" / "docs"
_TIMINGS = {"seconds", "examples_per_second"}


@pytest.fixture(scope="module", autouse=True)
def local_ray() -> Iterator[None]:
    for attempt in (1, 2):  # on a loaded machine the raylet can miss Ray's fixed 30 s start
        try:
            ray.init(num_cpus=2, include_dashboard=False, logging_level=logging.ERROR)
            break
        except Exception:  # Ray raises a bare Exception: "The current node timed out ..."
            ray.shutdown()
            if attempt == 2:
                raise
    yield
    ray.shutdown()


@pytest.fixture(scope="module")
def docs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("ray") / "docs"
    folder.mkdir()
    for path in sorted(DEMO.glob("*.md"))[:6]:
        shutil.copy(path, folder / path.name)
    return folder


@pytest.fixture(scope="module")
def single_build(docs: Path) -> Built:
    return build_index([docs], docs.parent / "single", progress=False)


@pytest.fixture(scope="module")
def single(single_build: Built) -> LocalIndex:
    assert isinstance(single_build.index, LocalIndex)
    return single_build.index


def test_ray_build_stores_the_same_chunks_and_vectors(
    docs: Path, single: LocalIndex, single_build: Built
) -> None:
    ray_build = build_index([docs], docs.parent / "on-ray", ray=True, progress=False)
    on_ray = ray_build.index
    embedded = single_build.report.embedded_chunks
    assert ray_build.report.embedded_chunks == embedded == len(single)
    assert on_ray.chunks == single.chunks
    assert on_ray.files == single.files
    np.testing.assert_allclose(on_ray.vectors(), single.vectors(), atol=1e-6)
    # and written into Milvus from the Ray results
    pytest.importorskip("pymilvus")
    from grounding.retrieval.stores.milvus.index import MilvusIndex

    milvus = MilvusIndex.build([docs], docs.parent / "milvus", ray=True, workers=2)
    try:
        by_id = {chunk.id: row for row, chunk in enumerate(single.chunks)}
        rows = [by_id[chunk.id] for chunk in milvus.chunks]
        assert sorted(rows) == list(range(len(single)))
        assert milvus.chunks == [single.chunks[row] for row in rows]
        np.testing.assert_allclose(milvus.vectors(), single.vectors()[rows], atol=1e-6)
    finally:
        milvus.close()


def _without_timings(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_timings(v) for k, v in value.items() if k not in _TIMINGS}
    if isinstance(value, list):
        return [_without_timings(v) for v in value]
    return value


def test_ray_eval_writes_the_same_metrics(tmp_path: Path) -> None:
    data = write_rows(tmp_path / "rows.jsonl", make_rows(24), ("{broken",))
    here = evaluate(data, tmp_path / "here", report=False)
    there = evaluate(data, tmp_path / "there", report=False, ray=True, workers=2)
    assert there.runs[0].wall_seconds > 0 and len(there.runs[0].predictions) == 24
    metrics = [json.loads((tmp_path / d / "metrics.json").read_text()) for d in ("here", "there")]
    metrics[1]["data"]["path"] = metrics[0]["data"]["path"]
    assert _without_timings(metrics[1]) == _without_timings(metrics[0])
    assert [p.report for p in there.runs[0].predictions] == [
        p.report for p in here.runs[0].predictions
    ]


def test_unreachable_ray_is_one_line_and_leaves_the_index(
    docs: Path, single: LocalIndex, grounding_exe: str, tmp_path: Path
) -> None:
    target = tmp_path / "idx"
    shutil.copytree(single.directory, target)
    changed = tmp_path / "docs"
    shutil.copytree(docs, changed)
    (changed / "extra.md").write_text("A new note about the pier.\n", encoding="utf-8")
    before = {p.name: p.read_bytes() for p in target.iterdir() if p.is_file()}
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    data = write_rows(tmp_path / "rows.jsonl", make_rows(4))
    for args in (
        ["index", "build", str(changed), "--name", str(target), "--ray", "127.0.0.1:9"],
        ["eval", str(data), "--out", str(tmp_path / "out"), "--ray", "127.0.0.1:9"],
        ["index", "build", str(changed), "--name", str(target), "--ray", "nonsense"],
    ):
        done = subprocess.run(
            [grounding_exe, *args], capture_output=True, text=True, env=env, timeout=300
        )
        assert done.returncode == 1, done.stderr
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and "Ray" in lines[0], done.stderr
    assert {p.name: p.read_bytes() for p in target.iterdir() if p.is_file()} == before
    assert len(open_store(target)) == len(single)
