"""The ONNX Runtime encoder: int8 embeddings against the torch backend, raw outputs, export."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from grounding.backends import embedding_model
from grounding.backends.encoder import OnnxEncoder
from grounding.errors import ConfigError, ModelError
from grounding.retrieval import embedding
from grounding.retrieval.index.chunking import chunk_text

pytestmark = pytest.mark.slow

DEMO = Path(__file__).resolve().parents[1] / "indexes" / "demo" / "docs"
TOLERANCE = 0.98  # least cosine between int8 ONNX and torch vectors of one text (documented)


def _texts() -> list[str]:
    texts = []
    for path in sorted(DEMO.glob("*.md"))[:6]:
        texts += [c.text for c in chunk_text(path.read_text(encoding="utf-8"), path.name)]
    return [*texts, "When was the lighthouse first lit?", "x"]


def test_int8_and_torch_embeddings_agree_within_the_stated_tolerance() -> None:
    texts = _texts()
    onnx = embedding_model.embed(texts, backend="onnx")
    torch = embedding_model.embed(texts, backend="torch")
    assert onnx.shape == torch.shape == (len(texts), 384)
    assert np.allclose(np.linalg.norm(onnx, axis=1), 1.0, atol=1e-5)
    cosine = (onnx * torch).sum(axis=1)
    assert cosine.min() >= TOLERANCE, cosine.min()
    assert cosine.mean() >= 0.995, cosine.mean()
    # similarities between texts, what retrieval ranks by, move little
    assert np.abs(onnx @ onnx.T - torch @ torch.T).max() <= 0.06


def test_outputs_are_token_level_without_padding_and_take_pairs() -> None:
    encoder = embedding_model.onnx_embedder()
    short, long = "A lighthouse.", "The keeper lit the lamp every evening at dusk for forty years."
    rows = encoder.outputs([short, long])
    batch = encoder.run_batch([short, long])
    tokens = [len(e.ids) for e in batch.encodings]
    assert tokens == [len(e.ids) for e in encoder.tokenize([short, long])]
    assert len(encoder.tokenize(["word " * 1000])[0].ids) == encoder.max_length == 256
    assert [row.shape for row in rows] == [(tokens[0], 384), (tokens[1], 384)]
    assert batch.output.shape == (2, max(tokens), 384)
    np.testing.assert_allclose(rows[1], batch.output[1], atol=1e-4)
    # order does not change results: each input is run in a length-sorted batch
    np.testing.assert_allclose(encoder.outputs([long, short])[1], rows[0], atol=1e-4)
    paired = encoder.run_batch(["claim one"], ["the source text"])
    assert paired.encodings[0].sequence_ids.count(1) > 0  # the pair is a second segment
    with pytest.raises(ModelError):
        encoder.run_batch(["a", "b"], ["only one"])


def test_batches_are_cut_by_word_pieces_and_workers_get_the_same_vectors() -> None:
    # characters and word pieces disagree: digits cost a piece each, plain words one per word
    texts = [
        ("7 " * (i % 40)) + "lighthouse keeper " * (1 + (i * 7) % 23) if i % 2 else
        "0123456789" * (1 + i % 9) + " ok" for i in range(300)
    ]  # fmt: skip
    lengths = embedding.text_lengths(texts, backend="onnx")
    assert lengths == [len(e.ids) for e in embedding_model.onnx_embedder().tokenize(texts)]
    by_characters = sorted(range(300), key=lambda i: -len(texts[i]))
    assert [lengths[i] for i in by_characters] != sorted(lengths, reverse=True)
    batches = embedding.embedding_batches(texts, 32, backend="onnx")
    assert sorted(row for rows in batches for row in rows) == list(range(300))
    ordered = [lengths[row] for rows in batches for row in rows]
    assert ordered == sorted(lengths, reverse=True)  # longest first, in word pieces
    together = embedding.embed_texts(texts, batch_size=32, progress=False, backend="onnx")
    for rows in batches[:3] + batches[-2:]:  # a worker given one group (Ray) gets the same rows
        alone = embedding_model.embed([texts[row] for row in rows], backend="onnx")
        np.testing.assert_allclose(alone, together[rows], atol=1e-6)


def test_an_unusable_model_folder_is_a_model_error(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match=r"no config\.json"):
        OnnxEncoder.from_folder(tmp_path)


def test_unknown_backend_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GROUNDING_EMBEDDING_BACKEND", "tpu")
    with pytest.raises(ConfigError, match="GROUNDING_EMBEDDING_BACKEND"):
        embedding_model.embed(["text"])


@pytest.mark.skipif(shutil.which("unshare") is None, reason="needs unshare(1)")
def test_export_works_without_a_network(tmp_path: Path) -> None:
    if subprocess.run(["unshare", "-n", "true"], check=False).returncode != 0:
        pytest.skip("no permission to make a network namespace")
    code = (
        "from grounding.backends.embedding_model import embedding_model_path\n"
        "from grounding.backends.encoder import OnnxEncoder\n"
        "encoder = OnnxEncoder.from_folder(embedding_model_path())\n"
        "print(encoder.onnx_path)\n"
        "print(encoder.embed(['offline']).shape)\n"
    )
    env = {**os.environ, "GROUNDING_MODEL_CACHE": str(tmp_path / "cache")}
    done = subprocess.run(
        ["unshare", "-n", sys.executable, "-c", code],
        capture_output=True, text=True, env=env, timeout=600, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    path, shape = done.stdout.split()[:1][0], done.stdout.strip().splitlines()[-1]
    assert Path(path).is_file() and path.startswith(str(tmp_path / "cache"))
    assert path.endswith("model_int8.onnx") and shape == "(1, 384)"
    assert not [p for p in Path(path).parent.iterdir() if p.name.startswith(".")]  # no leftovers


def test_the_int8_recipe_fuses_attention_and_keeps_sensitive_matmuls_float() -> None:
    import onnx

    graph = onnx.load(str(embedding_model.onnx_embedder().onnx_path)).graph
    kinds = [node.op_type for node in graph.node]
    assert kinds.count("QAttention") == 6  # attention fused (and quantised) in each layer
    float_matmuls = sorted(node.name for node in graph.node if node.op_type == "MatMul")
    assert float_matmuls == sorted(
        f"/inner/encoder/layer.{layer}/{part}/dense/MatMul"
        for layer in (0, 1, 2)
        for part in ("intermediate", "output")
    )  # the first half's feed-forward MatMuls: the most error when quantised
    assert kinds.count("DynamicQuantizeMatMul") == 12  # everything else is int8
    tables = [node for node in graph.node if node.op_type == "EmbedLayerNormalization"]
    assert len(tables) == 1 and "DequantizeLinear" not in kinds  # embedding tables float
