"""The pair model's trainer: deterministic for a seed, and a resumed run equals an unbroken one."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
ROWS = [
    {"a": "The ferry leaves twice a day.", "b": "The ferry leaves twice a day.", "task": "support",
     "y": 1},
    {"a": "The ferry leaves twice a day.", "b": "The ferry leaves once a day.", "task": "support",
     "y": 0},
    {"a": "The museum opened in 1902.", "b": "When did the museum open?", "task": "answer", "y": 1},
    {"a": "The museum has a cafe.", "b": "When did the museum open?", "task": "answer", "y": 0},
]  # fmt: skip


def _train(data: Path, out: Path, *extra: str) -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "train" / "train_pair.py"), "--data", str(data), "--out",
         str(out), "--steps", "4", "--batch", "4", "--threads", "1", *extra],
        capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]


def _weights(out: Path) -> dict:
    from safetensors.numpy import load_file

    return load_file(str(out / "model" / "model.safetensors"))


def test_training_is_deterministic_and_resumes_where_it_stopped(tmp_path: Path) -> None:
    data = tmp_path / "pairs.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in ROWS * 4), encoding="utf-8")
    _train(data, tmp_path / "a")
    _train(data, tmp_path / "b")
    _train(data, tmp_path / "c", "--budget-s", "0")  # stops (and saves) after its first step
    import torch

    assert torch.load(tmp_path / "c" / "checkpoint.pt", weights_only=False)["step"] == 1
    _train(data, tmp_path / "c")  # picks up at step 1
    a, b, c = _weights(tmp_path / "a"), _weights(tmp_path / "b"), _weights(tmp_path / "c")
    assert a.keys() == b.keys() == c.keys()
    assert all((a[k] == b[k]).all() for k in a)  # same seed, same weights
    assert all((a[k] == c[k]).all() for k in a)  # stopped and resumed: the same run
    assert a["classifier.weight"].shape == (2, 384)  # two heads: support, answer


def test_weights_dequantized_from_the_shipped_model_score_as_it_does() -> None:
    import numpy as np
    import torch
    import transformers

    sys.path.insert(0, str(ROOT / "train"))
    from train_pair import base_folder, build, weights_from_onnx

    from grounding.backends.pair import MODEL_DIR, pair_model

    model = build(base_folder(), seed=23)
    missing, unexpected = model.load_state_dict(
        weights_from_onnx(MODEL_DIR / "model.onnx"), strict=False
    )
    assert not unexpected and all("position_ids" in k for k in missing)
    pairs = [(row["a"], row["b"]) for row in ROWS if row["task"] == "answer"] + [
        ("Paris is the capital of France.", "What is the capital of France?"),
        ("The museum is closed on Mondays.", "Who founded the museum?"),
    ]
    tokenizer = transformers.AutoTokenizer.from_pretrained(str(MODEL_DIR))
    batch = tokenizer([a for a, _ in pairs], [b for _, b in pairs], padding=True,
                      return_tensors="pt")  # fmt: skip
    model.eval()
    with torch.no_grad():
        answers = torch.sigmoid(model(**batch).logits)[:, 1].numpy()
    shipped = pair_model().answers(pairs)
    assert np.abs(answers - shipped).max() < 0.15  # int8 activations at run time, not here
    assert np.argsort(answers).tolist() == np.argsort(shipped).tolist()
