"""The light ask path: a built index and the extractive decoder need neither torch nor
transformers, and the index manifest records which embedding backend made its vectors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from grounding.errors import EmbeddingMismatchError
from grounding.retrieval.index.loaders import Document
from grounding.retrieval.index.local import LocalIndex
from grounding.retrieval.index.updating import build_index
from grounding.retrieval.stores.base import open_store

pytestmark = pytest.mark.slow

ASK = """
import sys
from grounding.cli.main import main
sys.argv = ["grounding", "ask", "When was the Varnholt Head Lighthouse first lit?"]
main()
heavy = sorted(name for name in ("torch", "transformers", "sentence_transformers", "bm25s",
                                 "scipy", "langchain_text_splitters") if name in sys.modules)
print("HEAVY:", ",".join(heavy) or "none")
"""


def test_ask_on_a_built_index_imports_neither_torch_nor_transformers(tmp_path: Path) -> None:
    """Nor what only building needs: bm25s (and scipy under it), the text splitter."""
    env = {**os.environ, "GROUNDING_HOME": str(tmp_path / "home"), "HF_HUB_OFFLINE": "1"}
    env.pop("GROUNDING_EMBEDDING_BACKEND", None)

    def ask() -> str:
        done = subprocess.run(
            [sys.executable, "-c", ASK], capture_output=True, text=True, env=env, timeout=600,
            check=False,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        assert "1874" in done.stdout
        return done.stdout.strip().splitlines()[-1]

    ask()  # builds the demo index (and exports the model if this run has not yet)
    assert ask() == "HEAVY: none"


def _doc(doc_id: str, text: str) -> Document:
    return Document(doc_id=doc_id, title=doc_id, uri=f"file:///{doc_id}", text=text, sha256=doc_id)


def test_manifest_records_the_backend_and_mixing_is_handled(tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "a.md").write_text("The ferry leaves the harbour at nine every morning.")
    (folder / "b.md").write_text("The lighthouse was first lit in 1874 by Elias Brandt.")
    built = LocalIndex.build([folder], tmp_path / "idx", embedding_backend="torch")
    manifest = json.loads((tmp_path / "idx" / "manifest.json").read_text())
    assert manifest["embedding_backend"] == "torch"

    # searching it with the default (onnx) backend is allowed and finds the same best chunk
    loaded = open_store(tmp_path / "idx")
    assert loaded.settings.embedding_backend == "onnx" and loaded.built_backend == "torch"
    assert loaded.search("When was the lighthouse lit?", k=1, mode="dense")[0].chunk.doc_id == (
        built.search("When was the lighthouse lit?", k=1, mode="dense")[0].chunk.doc_id
    )
    # adding onnx vectors to torch ones would mix them: refused, naming the fix
    with pytest.raises(EmbeddingMismatchError, match="--force"):
        loaded.add([_doc("c.md", "Tickets cost four crowns.")])
    # a build over it embeds every chunk again, and the manifest says onnx
    again = build_index([folder], tmp_path / "idx")  # the index and what the build did
    rebuilt, report = again.index, again.report
    assert report.embedded_chunks == report.total_chunks == 2
    manifest = json.loads((tmp_path / "idx" / "manifest.json").read_text())
    assert manifest["embedding_backend"] == "onnx"
    torch_vectors = built.vectors()
    assert np.min((rebuilt.vectors() * torch_vectors).sum(axis=1)) >= 0.97


def test_an_index_from_before_backends_were_recorded_reads_as_torch(tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "a.md").write_text("The ferry leaves the harbour at nine every morning.")
    LocalIndex.build([folder], tmp_path / "idx", embedding_backend="torch")
    path = tmp_path / "idx" / "manifest.json"
    manifest = json.loads(path.read_text())
    del manifest["embedding_backend"]
    path.write_text(json.dumps(manifest))
    assert open_store(tmp_path / "idx").built_backend == "torch"
