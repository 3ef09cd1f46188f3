"""The Milvus store, against a real Milvus Lite file: the same results as FAISS, the same answer.

One corpus (the demo documents) is indexed once into FAISS and once into Milvus for the
module; each test works on its own copy where it changes anything.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("pymilvus")
pytest.importorskip("milvus_lite")


from grounding.orchestration.grounder import Grounder
from grounding.retrieval.index.local import LocalIndex
from grounding.retrieval.index.updating import build_index
from grounding.retrieval.stores.base import IndexSettings, open_store
from grounding.retrieval.stores.milvus.index import MilvusIndex

pytestmark = pytest.mark.slow

DEMO = Path(__file__).resolve().parents[1] / "indexes" / "demo" / "docs"
QUESTIONS = [
    "When was the Aske road bridge opened?",
    "What is the climate like in winter?",
    "Who built the harbour?",
    "cliff path closures",
]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Path]]:
    """FAISS (flat) and Milvus (flat) indexes of the same documents, dense only, and hybrid."""
    root = tmp_path_factory.mktemp("milvus")
    docs = root / "docs"
    docs.mkdir()
    for path in sorted(DEMO.glob("*.md"))[:12]:  # about 40 chunks: quick to embed
        shutil.copy(path, docs / path.name)
    paths = {"docs": docs, "faiss": root / "faiss", "milvus": root / "milvus"}
    exact = LocalIndex.build([docs], paths["faiss"], index_type="flat", hybrid=False)
    MilvusIndex.build([docs], paths["milvus"], index_type="flat", hybrid=False).close()
    paths["hybrid"] = root / "hybrid"
    hybrid = MilvusIndex(paths["hybrid"], IndexSettings(index_type="flat"))
    hybrid.files = dict(exact.files)
    hybrid.add(exact.chunks, vectors=exact.vectors())  # vectors embedded elsewhere
    hybrid.save()
    hybrid.close()
    yield paths


def test_dense_top10_equals_exact_faiss(built: dict[str, Path]) -> None:
    faiss_index = open_store(built["faiss"])
    milvus_index = open_store(built["milvus"])
    assert isinstance(milvus_index, MilvusIndex)
    assert len(milvus_index) == len(faiss_index) >= 20
    for question in QUESTIONS:
        ours = milvus_index.search(question, k=10)
        exact = faiss_index.search(question, k=10)
        assert [hit.chunk for hit in ours] == [hit.chunk for hit in exact], question
        for a, b in zip(ours, exact, strict=True):
            assert a.score == pytest.approx(b.score, abs=1e-5)
    assert sorted(c.id for c in milvus_index.chunks) == sorted(c.id for c in faiss_index.chunks)
    milvus_index.close()  # Milvus Lite: one process at a time, and the next test starts one


def test_same_answer_from_ask_in_a_new_process(built: dict[str, Path], grounding_exe: str) -> None:
    question = QUESTIONS[0]
    expected = Grounder(index=open_store(built["faiss"])).ask(question)
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    env.pop("MILVUS_URI", None)
    done = subprocess.run(
        [grounding_exe, "ask", question, "--index", str(built["milvus"]), "--json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    assert answer["answer"] == expected.answer
    assert [s["text"] for s in answer["sources"]] == [s.text for s in expected.sources]


def test_hybrid_uses_milvus_bm25_and_filters_push_down(built: dict[str, Path]) -> None:
    index = open_store(built["hybrid"])
    try:
        keyword = index.search("Aske road bridge", k=5, mode="keyword")
        assert keyword and all("bm25" in hit.retriever for hit in keyword)
        assert all(hit.score > 0 for hit in keyword)
        assert any("aske" in hit.chunk.text.lower() for hit in keyword)
        hybrid = index.search("When was the Aske road bridge opened?", k=5)
        assert len(hybrid) == 5
        chosen = sorted(index.files)[:3]
        hits = index.search("bridge", k=10, filters={"doc_ids": chosen})
        assert hits and {hit.chunk.doc_id for hit in hits} <= set(chosen)
        globbed = index.search("bridge", k=10, filters={"doc_ids": ["docs/aske-*"]})
        assert globbed and all(h.chunk.doc_id.startswith("docs/aske-") for h in globbed)
        assert index.search("bridge", k=5, filters={"doc_ids": ["nothing/*"]}) == []
        assert index.search("bridge", k=5, filters={"tags": ["never-tagged"]}) == []
    finally:
        index.close()


def test_incremental_rebuild_and_tags(built: dict[str, Path], tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    shutil.copytree(built["docs"], docs)
    target = tmp_path / "idx"
    shutil.copytree(built["milvus"], target)  # the Lite file travels with the folder
    files = sorted(docs.glob("*.md"))
    files[0].write_text("The lighthouse keeper counted 4417 gulls in 1911.\n", encoding="utf-8")
    files[1].unlink()
    (docs / "new.md").write_text("The ferry timetable changed in March 2020.\n", "utf-8")
    built = build_index([docs], target, "milvus", index_type="flat", hybrid=False, progress=False)
    index, report = built.index, built.report
    assert isinstance(index, MilvusIndex)
    try:
        assert report.changed == (f"docs/{files[0].name}",)
        assert report.added == ("docs/new.md",)
        assert report.removed == (f"docs/{files[1].name}",)
        assert report.embedded_chunks == 2  # only the changed and the new file's chunks
        assert len(index) == len(index.chunks) == report.total_chunks
        assert not any(c.doc_id == f"docs/{files[1].name}" for c in index.chunks)
        top = index.search("how many gulls did the keeper count?", k=1)[0]
        assert "4417" in top.chunk.text
        tagged = MilvusIndex.open_for_update(target, index.settings)  # the same rows, reused
        assert tagged.update([docs], tags=["archive"]).embedded_chunks == 0  # retagged only
        tagged.save()
        hits = tagged.search("ferry", k=3, filters={"tags": ["archive"]})
        assert hits and all(hit.chunk.tags == ("archive",) for hit in hits)
        tagged.close()
    finally:
        index.close()


def test_fresh_build_swaps_the_collection_behind_the_alias(built: dict[str, Path]) -> None:
    from pymilvus import MilvusClient

    index = MilvusIndex.build(
        [built["docs"]], built["hybrid"], index_type="flat", force=True, progress=False
    )
    alias = index.location.collection
    index.close()
    client = MilvusClient(str(built["hybrid"] / "milvus.db"))
    try:
        assert len(client.list_collections()) == 1  # the previous collection is gone
        assert client.describe_alias(alias)["collection_name"] != alias
    finally:
        client.close()


def test_unreachable_milvus_is_one_line_and_leaves_the_index(
    built: dict[str, Path], grounding_exe: str, tmp_path: Path
) -> None:
    target = tmp_path / "idx"
    shutil.copytree(built["milvus"], target)
    (built["docs"] / "extra.md").write_text("A new note.\n", encoding="utf-8")
    before = (target / "manifest.json").read_bytes()
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "MILVUS_URI": "http://127.0.0.1:9"}
    try:
        for extra in ([], ["--force"]):
            done = subprocess.run(
                [
                    grounding_exe,
                    "index",
                    "build",
                    str(built["docs"]),
                    "--name",
                    str(target),
                    "--store",
                    "milvus",
                    *extra,
                ],
                capture_output=True,
                text=True,
                env=env,
                timeout=300,
            )
            assert done.returncode == 1
            lines = done.stderr.strip().splitlines()
            assert len(lines) == 1 and "cannot reach Milvus at http://127.0.0.1:9" in lines[0]
    finally:
        (built["docs"] / "extra.md").unlink()
    assert (target / "manifest.json").read_bytes() == before
    assert len(open_store(target).search("bridge", k=3)) == 3
