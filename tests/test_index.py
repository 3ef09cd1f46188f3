"""The local index with the real embedding model, FAISS and BM25, on a few tiny notes."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

import grounding.retrieval.index.staging as staging_module
import grounding.retrieval.index.updating as updating_module
from grounding.errors import EmbeddingMismatchError, IndexNotFoundError, InputError
from grounding.retrieval.base import Filter, Retriever
from grounding.retrieval.embedding import embed_texts
from grounding.retrieval.index.faiss_store import VectorStore
from grounding.retrieval.index.loaders import Document
from grounding.retrieval.index.local import LocalIndex
from grounding.retrieval.index.updating import build_index
from grounding.retrieval.stores.base import open_store
from tests.index_docs import write_notes

pytestmark = pytest.mark.slow  # loads the MiniLM model once per session


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> LocalIndex:
    root = tmp_path_factory.mktemp("built")
    notes = write_notes(root / "notes")
    return LocalIndex.build([notes], root / "index", tags=("notes",), progress=False)


def _count_embedded(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Wrap the real embedding function to count the texts it is given."""
    calls: list[int] = []

    def counting(texts, *args, **kwargs):
        calls.append(len(texts))
        return embed_texts(texts, *args, **kwargs)

    monkeypatch.setattr(updating_module, "embed_texts", counting)  # Index.add of documents
    monkeypatch.setattr(staging_module, "embed_texts", counting)  # a build (staged vectors)
    return calls


def test_build_reads_every_file_type(built: LocalIndex) -> None:
    assert isinstance(built, Retriever)
    assert built.name == "index"
    by_doc = {chunk.doc_id: chunk for chunk in built.chunks}
    assert set(by_doc) == {
        "notes/garden.txt",
        "notes/lighthouse.md",
        "notes/storm.html",
        "notes/sub/ferry.txt",
    }
    assert by_doc["notes/lighthouse.md"].title == "The Lighthouse"
    html = by_doc["notes/storm.html"]
    assert html.title == "Storm & Sea"
    assert "pier was rebuilt" in html.text
    assert "Home | About" not in html.text and "Copyright" not in html.text
    assert html.uri.startswith("file://") and html.uri.endswith("storm.html")
    assert all(chunk.tags == ("notes",) for chunk in built.chunks)


def test_dense_search_ranks_the_answering_note_first(built: LocalIndex) -> None:
    hits = built.search("When did the ferry leave for the mainland?", k=2, mode="dense")
    assert hits[0].chunk.doc_id == "notes/sub/ferry.txt"
    assert hits[0].score > hits[1].score
    assert -1.0 <= hits[1].score <= 1.0
    assert hits[0].retriever == "local:index"


def test_hybrid_search_finds_a_keyword_only_match(tmp_path: Path) -> None:
    # Codes that look alike to the embedding; only BM25 tells the exact one apart.
    notes = {
        "garden": (
            "Garden notes. The allotment gate uses the padlock code ZQX-4471. "
            "Tomatoes are planted in May."
        ),
        "shed": "The shed padlock code is ZXQ-7144; change it every spring.",
        "boat": "Boathouse lock: code QZX-1744. Keep the key in the blue tin.",
        "bike": "Bike lock combination XZQ-4714, written on the frame.",
        "wifi": "Wifi password is QXZ-7441 for the guest network.",
    }
    index = LocalIndex(tmp_path / "codes")
    index.add([Document(doc_id=k, title=k, uri=k, text=v) for k, v in notes.items()])
    query = "ZQX-4471"
    dense = [hit.chunk.doc_id for hit in index.search(query, k=3, mode="dense")]
    assert "garden" not in dense  # the embedding alone misses it
    assert [hit.chunk.doc_id for hit in index.search(query, k=3, mode="keyword")] == ["garden"]
    assert index.search(query, k=3)[0].chunk.doc_id == "garden"  # hybrid is the default
    assert index.search("quantum chromodynamics", k=3, mode="keyword") == []


def test_round_trip_keeps_chunks_vectors_and_results(built: LocalIndex) -> None:
    loaded = open_store(built.directory)
    assert loaded.chunks == built.chunks
    np.testing.assert_allclose(loaded.vectors(), built.vectors(), atol=1e-6)
    query = "who kept the lamp during the storm?"
    assert [h.chunk.id for h in loaded.search(query, k=3)] == [
        h.chunk.id for h in built.search(query, k=3)
    ]
    manifest = json.loads((built.directory / "manifest.json").read_text())
    assert manifest["embedding_model"] == "all-MiniLM-L6-v2"
    assert manifest["dimension"] == 384
    assert manifest["index_type"] == "flat"
    assert manifest["chunks"] == len(built) and manifest["documents"] == 4
    assert set(manifest["files"]) == {c.doc_id for c in built.chunks}
    assert not any(p.suffix in {".pkl", ".pickle"} for p in built.directory.rglob("*"))


def test_filters_by_doc_glob_and_tag(built: LocalIndex) -> None:
    query = "storm"
    only_sub = built.search(query, k=5, filters={"doc_ids": ["notes/sub/*"]})
    assert {hit.chunk.doc_id for hit in only_sub} == {"notes/sub/ferry.txt"}
    two = built.search(query, k=5, filters=Filter(doc_ids=("*.md", "*.html")))
    assert {hit.chunk.doc_id for hit in two} == {"notes/lighthouse.md", "notes/storm.html"}
    assert built.search(query, k=5, filters={"tags": ["notes"]})
    assert built.search(query, k=5, filters={"tags": ["nope"]}) == []
    with pytest.raises(InputError, match="unknown filter keys"):
        built.search(query, filters={"file": "x"})


def test_incremental_build_embeds_only_new_and_changed_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    notes = write_notes(tmp_path / "notes")
    first = LocalIndex.build([notes], "notes", progress=False)
    old_vectors = dict(zip([c.id for c in first.chunks], first.vectors(), strict=True))
    calls = _count_embedded(monkeypatch)

    (notes / "sub" / "ferry.txt").write_text("The ferry now leaves at 08:00.\n", encoding="utf-8")
    (notes / "garden.txt").unlink()
    (notes / "bees.md").write_text("# Bees\n\nThe hives are on the south slope.\n")
    built = build_index([notes], "notes", progress=False)  # the index and what the build did
    second, report = built.index, built.report

    assert report.added == ("notes/bees.md",)
    assert report.changed == ("notes/sub/ferry.txt",)
    assert report.removed == ("notes/garden.txt",)
    assert set(report.unchanged) == {"notes/lighthouse.md", "notes/storm.html"}
    assert sum(calls) == report.embedded_chunks == 2  # one chunk each for bees and ferry
    docs = {c.doc_id for c in second.chunks}
    assert "notes/garden.txt" not in docs and "notes/bees.md" in docs
    for chunk, vector in zip(second.chunks, second.vectors(), strict=True):
        if chunk.id in old_vectors:  # kept vectors are the very same
            np.testing.assert_array_equal(vector, old_vectors[chunk.id])
    assert open_store("notes").search("hives", k=1)[0].chunk.doc_id == "notes/bees.md"

    calls.clear()
    third = build_index([notes], "notes", tags=("garden",), progress=False)
    assert sum(calls) == 0 and third.report.embedded_chunks == 0
    assert all(chunk.tags == ("garden",) for chunk in open_store("notes").chunks)

    forced = build_index([notes], "notes", force=True, progress=False)
    assert sum(calls) == forced.report.embedded_chunks == len(forced.index)


def test_interrupted_save_leaves_the_previous_index_loadable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    notes = write_notes(tmp_path / "notes")
    before = LocalIndex.build([notes], "notes", progress=False).chunks
    (notes / "bees.md").write_text("# Bees\n\nThe hives are on the south slope.\n")

    def crash(self, path: Path) -> None:
        path.write_bytes(b"half a faiss file")
        raise OSError("disk full")

    with monkeypatch.context() as patch:
        patch.setattr(VectorStore, "write", crash)
        with pytest.raises(OSError, match="disk full"):
            LocalIndex.build([notes], "notes", progress=False)
    assert open_store("notes").chunks == before
    home = tmp_path / "grounding-home" / "indexes"
    leftovers = [p.name for p in home.iterdir() if not p.name.endswith(".lock")]
    assert sorted(leftovers) == [".notes.staging", "notes"]  # the new vectors, for a re-run

    # A crash between the two renames of the swap: the old copy is put back on load.
    real_replace = os.replace
    calls = []

    def second_rename_fails(source, target):
        calls.append(source)
        if len(calls) == 2:
            raise OSError("power cut")
        real_replace(source, target)

    with monkeypatch.context() as patch:
        patch.setattr("grounding.retrieval.index.swap.os.replace", second_rename_fails)
        with pytest.raises(OSError, match="power cut"):
            LocalIndex.build([notes], "notes", progress=False)
    assert open_store("notes").chunks == before

    calls = _count_embedded(monkeypatch)  # a re-run takes the staged vectors: embeds nothing
    again = build_index([notes], "notes", progress=False).report
    assert sum(calls) == 0 and again.reused_chunks == 1 and again.embedded_chunks == 0
    assert not (home / ".notes.staging").exists()


def test_mismatched_embedding_model_is_refused(
    built: LocalIndex, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(EmbeddingMismatchError, match="all-MiniLM-L6-v2"):
        open_store(built.directory, embedding_model="other-model")
    monkeypatch.setenv("GROUNDING_EMBEDDING_MODEL", "/models/e5-small")
    with pytest.raises(EmbeddingMismatchError, match="GROUNDING_EMBEDDING_MODEL"):
        open_store(built.directory)


def test_missing_index_names_the_build_command() -> None:
    with pytest.raises(IndexNotFoundError, match="grounding index build"):
        open_store("never-built")


def test_add_documents_to_a_new_index_and_replace_by_id(tmp_path: Path) -> None:
    index = LocalIndex(tmp_path / "manual")
    doc = Document(doc_id="a", title="A", uri="mem://a", text="Otters live by the river.")
    index.add([doc, Document(doc_id="b", title="B", uri="mem://b", text="Owls hunt at night.")])
    index.add([Document(doc_id="a", title="A", uri="mem://a", text="Otters moved to the lake.")])
    texts = sorted(chunk.text for chunk in index.chunks)
    assert texts == ["Otters moved to the lake.", "Owls hunt at night."]
    index.save()
    hits = open_store(tmp_path / "manual").search("where do otters live now?", k=1)
    assert hits[0].chunk.text == "Otters moved to the lake."


def test_hnsw_index_type_round_trips(tmp_path: Path) -> None:
    notes = write_notes(tmp_path / "notes")
    index = LocalIndex.build([notes], tmp_path / "hnsw", index_type="hnsw", progress=False)
    manifest = json.loads((tmp_path / "hnsw" / "manifest.json").read_text())
    assert manifest["index_type"] == "hnsw" and manifest["ef_search"] >= 16
    loaded = open_store(tmp_path / "hnsw")
    query = "When does the ferry leave?"
    assert loaded.search(query, k=1, mode="dense")[0].chunk.doc_id == "notes/sub/ferry.txt"
    assert len(loaded.search(query, k=10)) == len(index)


def test_empty_query_is_an_input_error(built: LocalIndex) -> None:
    with pytest.raises(InputError, match="empty query"):
        built.search("   ")


def test_update_returns_its_report(tmp_path: Path) -> None:
    notes = write_notes(tmp_path / "notes")
    index = LocalIndex(tmp_path / "idx")
    first = index.update([notes], progress=False)
    assert first.embedded_chunks == first.total_chunks == len(index) > 0
    assert first.added and not first.changed and not first.removed
    again = index.update([notes], progress=False)
    assert again.embedded_chunks == 0 and set(again.unchanged) == set(first.added)
