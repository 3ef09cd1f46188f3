"""The index's parts on their own: loaders, names, filters, the FAISS store, LangChain."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from grounding.errors import ConfigError, InputError
from grounding.retrieval.base import Filter, Retriever
from grounding.retrieval.filters import FilteredRetriever, as_filter
from grounding.retrieval.index.faiss_store import HNSW_THRESHOLD, VectorStore, choose_index_type
from grounding.retrieval.index.loaders import SourceFile, discover, load_document
from grounding.retrieval.index.locations import index_dir_for_write
from grounding.retrieval.index.storage import resolve_index_dir
from grounding.schema import Chunk, SearchHit
from tests.index_docs import minimal_pdf, write_notes

# ---- loaders -----------------------------------------------------------------------------


def test_discover_names_files_by_folder_and_skips_hidden_and_other_types(tmp_path: Path) -> None:
    notes = write_notes(tmp_path / "notes")
    (notes / ".git").mkdir()
    (notes / ".git" / "HEAD.txt").write_text("ref")
    (notes / "image.png").write_bytes(b"\x89PNG")
    single = tmp_path / "extra.md"
    single.write_text("# Extra\n")
    ids = [source.doc_id for source in discover([notes, single])]
    assert ids == [
        "extra.md",
        "notes/garden.txt",
        "notes/lighthouse.md",
        "notes/storm.html",
        "notes/sub/ferry.txt",
    ]


def test_discover_refuses_clashing_ids_and_unknown_types(tmp_path: Path) -> None:
    for folder in ("a", "b"):
        (tmp_path / folder / "same").mkdir(parents=True)
        (tmp_path / folder / "same" / "x.txt").write_text(folder)
    with pytest.raises(InputError, match=r"same id 'same/x\.txt'"):
        discover([tmp_path / "a" / "same", tmp_path / "b" / "same"])
    (tmp_path / "data.csv").write_text("a,b")
    with pytest.raises(InputError, match="cannot index"):
        discover([tmp_path / "data.csv"])
    with pytest.raises(InputError, match="no paths given"):
        discover([])


def test_pdf_text_and_title(tmp_path: Path) -> None:
    path = tmp_path / "report.pdf"
    path.write_bytes(minimal_pdf("The harbour wall is 340 metres long."))
    document = load_document(SourceFile(path, "report.pdf"))
    assert "harbour wall is 340 metres" in document.text
    assert document.title == "report"  # no /Title in the file: the file name
    assert len(document.sha256) == 64


def test_pdf_without_pypdf_names_the_extra(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "report.pdf"
    path.write_bytes(minimal_pdf("x"))
    monkeypatch.setitem(sys.modules, "pypdf", None)  # what an install without the extra sees
    with pytest.raises(InputError, match=r"pip install 'grounding\[pdf\]'"):
        load_document(SourceFile(path, "report.pdf"))


def test_text_that_is_not_utf8_still_loads(tmp_path: Path) -> None:
    path = tmp_path / "old.txt"
    path.write_bytes("Café au lait".encode("latin-1"))
    assert load_document(SourceFile(path, "old.txt")).text == "Café au lait"


# ---- names -------------------------------------------------------------------------------


def test_names_live_under_grounding_home_and_paths_are_used_as_is(
    tmp_path: Path, monkeypatch
) -> None:
    home = tmp_path / "grounding-home"
    assert resolve_index_dir("notes") == home / "indexes" / "notes"
    assert index_dir_for_write("notes") == home / "indexes" / "notes"
    assert resolve_index_dir("./build/idx") == Path("build/idx")
    assert resolve_index_dir(tmp_path / "idx") == tmp_path / "idx"
    # a plain name that is an index folder in the working directory, and not under home
    monkeypatch.chdir(tmp_path)
    (tmp_path / "local").mkdir()
    (tmp_path / "local" / "manifest.json").write_text("{}")
    assert resolve_index_dir("local") == Path("local")
    for bad in ("", "a b", ".hidden", "x" * 200):
        with pytest.raises(InputError, match="invalid index name"):
            index_dir_for_write(bad)


# ---- filters -----------------------------------------------------------------------------


def _chunk(doc_id: str, tags: tuple[str, ...] = ()) -> Chunk:
    return Chunk(id=doc_id, doc_id=doc_id, title="", uri="", text="t", start=0, end=1, tags=tags)


def test_filter_globs_any_pattern_and_requires_every_tag() -> None:
    chosen = Filter(doc_ids=("notes/*.md", "web/*"), tags=("a", "b"))
    assert chosen.matches(_chunk("notes/x.md", ("a", "b", "c")))
    assert not chosen.matches(_chunk("notes/x.md", ("a",)))
    assert not chosen.matches(_chunk("notes/x.txt", ("a", "b")))
    assert Filter(doc_ids="web/*").doc_ids == ("web/*",)
    assert as_filter({"tags": ["a"]}) == Filter(tags=("a",))
    assert as_filter({}) is None and as_filter(None) is None


class _Plain(Retriever):
    """A retriever that declares no filtering: it returns every chunk it has."""

    name = "plain"

    def search(self, query: str, k: int = 5) -> list[SearchHit]:
        return [SearchHit(chunk=_chunk("notes/a.md"), score=1.0)][:k]


class _Tagged(_Plain):
    can_filter = True

    def search_filtered(self, query: str, k: int, filters: Filter) -> list[SearchHit]:
        return [hit for hit in self.search(query, k) if filters.matches(hit.chunk)]


def test_only_a_retriever_that_declares_filtering_is_filtered() -> None:
    with pytest.raises(ConfigError, match="retriever 'plain' cannot filter by tag or document"):
        FilteredRetriever(_Plain(), Filter(tags=("a",)))
    with pytest.raises(ConfigError, match="cannot filter"):
        _Plain().search_filtered("q", 1, Filter(tags=("a",)))
    assert FilteredRetriever(_Tagged(), Filter(doc_ids=("notes/*",))).search("q", 3)
    assert FilteredRetriever(_Tagged(), Filter(tags=("a",))).search("q", 3) == []


# ---- the FAISS store ---------------------------------------------------------------------


def _unit(rows: int, dim: int = 32, seed: int = 0) -> np.ndarray:
    vectors = np.random.default_rng(seed).standard_normal((rows, dim)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def test_index_type_is_chosen_by_size_unless_asked() -> None:
    assert choose_index_type("auto", HNSW_THRESHOLD - 1) == "flat"
    assert choose_index_type("auto", HNSW_THRESHOLD) == "hnsw"
    assert choose_index_type("flat", 10**7) == "flat"
    assert choose_index_type("hnsw", 3) == "hnsw"


def test_flat_store_is_exact_and_respects_allowed_rows(tmp_path: Path) -> None:
    vectors = _unit(50)
    store = VectorStore.build(vectors, "flat")
    scores, rows = store.search(vectors[:3], k=1)
    assert rows[:, 0].tolist() == [0, 1, 2]
    np.testing.assert_allclose(scores[:, 0], 1.0, atol=1e-5)
    _, rows = store.search(vectors[:1], k=5, allowed=np.array([7, 9]))
    assert sorted(r for r in rows[0].tolist() if r >= 0) == [7, 9]
    store.write(tmp_path / "v.faiss")
    again = VectorStore.read(tmp_path / "v.faiss", "flat")
    np.testing.assert_array_equal(again.vectors(), vectors)


def test_hnsw_store_tunes_its_search_to_high_recall(tmp_path: Path) -> None:
    vectors = _unit(3000, dim=48)
    store = VectorStore.build(vectors, "hnsw")
    assert store.kind == "hnsw" and store.ef_search >= 16
    queries = _unit(100, dim=48, seed=1)
    exact = np.argsort(-(queries @ vectors.T), axis=1)[:, :10]
    _, found = store.search(queries, k=10)
    recall = np.mean([len(set(a) & set(b)) / 10 for a, b in zip(exact, found, strict=True)])
    assert recall >= 0.9
    store.write(tmp_path / "h.faiss")
    again = VectorStore.read(tmp_path / "h.faiss", "hnsw", store.ef_search)
    assert again.search(queries, k=10)[1].tolist() == found.tolist()


def test_auto_keeps_the_exact_index_when_the_graph_cannot_reach_the_recall(monkeypatch) -> None:
    import grounding.retrieval.index.faiss_store as faiss_store

    vectors = _unit(600, dim=16)
    monkeypatch.setattr(faiss_store, "HNSW_THRESHOLD", 500)
    assert VectorStore.build(vectors, "auto").kind == "hnsw"  # easy data: the graph is kept
    monkeypatch.setattr(faiss_store, "AUTO_MIN_RECALL", 1.01)  # a recall no graph reaches
    assert VectorStore.build(vectors, "auto").kind == "flat"
    assert VectorStore.build(vectors, "hnsw").kind == "hnsw"  # asked for: kept


# ---- LangChain ---------------------------------------------------------------------------


@pytest.mark.slow
def test_langchain_retriever_returns_documents_with_offsets(tmp_path: Path) -> None:
    from grounding.retrieval.index.local import LocalIndex
    from grounding.retrieval.langchain import GroundingRetriever

    index = LocalIndex.build([write_notes(tmp_path / "notes")], tmp_path / "i", progress=False)
    retriever = GroundingRetriever(index=index, k=2)
    documents = retriever.invoke("When does the ferry leave?")
    assert len(documents) == 2
    top = documents[0]
    assert top.metadata["doc_id"] == "notes/sub/ferry.txt"
    assert top.metadata["source"].endswith("ferry.txt")
    assert (
        top.page_content
        == (tmp_path / "notes/sub/ferry.txt").read_text()[
            top.metadata["start"] : top.metadata["end"]
        ]
    )
    assert top.metadata["score"] > 0
    filtered = GroundingRetriever(index=index, k=3, filters={"doc_ids": ["notes/storm.html"]})
    assert {d.metadata["doc_id"] for d in filtered.invoke("ferry")} == {"notes/storm.html"}


# ---- BM25 --------------------------------------------------------------------------------


def test_keyword_index_ranks_rare_words_and_survives_chunks_without_words(tmp_path: Path) -> None:
    from grounding.retrieval.index.bm25 import KeywordIndex

    keywords = KeywordIndex.build(["the ferry leaves at noon", "gate code ZQX-4471", "x"])
    assert [row for row, _ in keywords.search("zqx 4471 code", k=3)] == [1]
    assert keywords.search("zqx", k=3, mask=np.array([1, 0, 1])) == []
    keywords.save(tmp_path / "bm25")
    again = KeywordIndex.load(tmp_path / "bm25", 3)
    assert again.search("ferry noon", k=2)[0][0] == 0
    empty = KeywordIndex.build(["a", "?"])  # no word of two letters or more
    assert empty.search("a", k=2) == []
    empty.save(tmp_path / "empty")
    assert KeywordIndex.load(tmp_path / "empty", 2).search("a", k=2) == []


def test_keyword_scores_without_bm25s_equal_bm25s_own(tmp_path: Path) -> None:
    """Searching reads bm25s's saved arrays with numpy alone; the scores must be bm25s's."""
    import json

    import bm25s

    from grounding.retrieval.index.bm25 import KeywordIndex
    from grounding.retrieval.index.chunking import chunk_text

    demo = Path(__file__).resolve().parents[1] / "indexes" / "demo"
    texts = [
        chunk.text
        for path in sorted((demo / "docs").glob("*.md"))
        for chunk in chunk_text(path.read_text(encoding="utf-8"), path.name)
    ]
    KeywordIndex.build(texts).save(tmp_path / "bm25")
    ours = KeywordIndex.load(tmp_path / "bm25", len(texts))
    theirs = bm25s.BM25.load(str(tmp_path / "bm25"), allow_pickle=False)
    questions = [json.loads(line)["question"] for line in (demo / "questions.jsonl").open()]
    for query in [*questions, "Elias Brandt 1874 lighthouse lighthouse", "Über naïve café"]:
        tokens = bm25s.tokenize([query], stopwords="en", return_ids=False, show_progress=False)[0]
        expected = theirs.get_scores(tokens) if tokens else np.zeros(len(texts))
        np.testing.assert_allclose(ours.scores(query), expected, atol=1e-5, err_msg=query)
    top = ours.search(questions[0], k=5)
    assert [score for _, score in top] == sorted((score for _, score in top), reverse=True)


def test_html_definition_terms_are_kept(tmp_path: Path) -> None:
    """texinfo and Sphinx pages name a function in a <dt>; the <dd> only describes it."""
    path = tmp_path / "api.html"
    path.write_text(
        "<html><head><title>Size and Alignment</title></head><body>"
        "<p>libffi also provides a way to get the offsets of the members of a structure.</p>"
        '<dl class="def"><dt id="f"><span>Function: </span><strong>ffi_status</strong> '
        "<em>ffi_get_struct_offsets (ffi_abi abi, ffi_type *struct_type)</em>"
        '<a href="#f"> &para;</a></dt>'
        "<dd><p>Compute the offset of each element of the given structure type.</p></dd>"
        "</dl></body></html>",
        encoding="utf-8",
    )
    text = load_document(SourceFile(path, "api.html")).text
    assert (
        "Function: ffi_status ffi_get_struct_offsets (ffi_abi abi, ffi_type *struct_type): "
        "Compute the offset of each element" in text
    )  # the term leads the sentence that describes it, without its permalink sign
