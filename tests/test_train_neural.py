"""The neural tagger's training recipe (train/neural_data.py, train/train_neural.py).

The tagger was trained and measured (README, "Checking answers") and is not shipped; these
tests keep its recipe runnable: windows hold the evidence that matters, labels land on the
unsupported tokens, and training on CPU is deterministic.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from grounding.backends.embedding_model import embedding_model_path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "train"))

from neural_data import encode, windows  # noqa: E402

SOURCE = (
    "The harbour was dredged in 1911. Ferries to the island leave every hour from pier 4. "
    "A lighthouse stands on the northern breakwater. The fish market opens at dawn on Fridays."
)
ROWS = [
    {"id": "a", "task": "qa", "question": "When do ferries leave?", "sources": [SOURCE],
     "answer": "Ferries leave every hour from pier 4.", "label": 0, "spans": []},
    {"id": "b", "task": "qa", "question": "When do ferries leave?", "sources": [SOURCE],
     "answer": "Ferries leave every hour from pier 9.", "label": 1,
     "spans": [{"start": 35, "end": 36}]},
    {"id": "c", "task": "summary", "question": None, "sources": [SOURCE],
     "answer": "The harbour was dredged in 1911. The fish market opens on Mondays.", "label": 1,
     "spans": [{"start": 58, "end": 65}]},
]  # fmt: skip


def _count(text: str) -> int:
    return len(text.split())


def test_windows_keep_the_matching_sentences_within_the_budget() -> None:
    answer = "Ferries leave every hour from pier 4."
    (window,) = windows("When do ferries leave?", [SOURCE], answer, _count, max_length=24)
    assert (window.start, window.end) == (0, len(answer))
    assert window.evidence.startswith("When do ferries leave?\n")
    assert "Ferries to the island leave every hour from pier 4." in window.evidence
    assert "lighthouse" not in window.evidence  # no room left, and it shares no words
    assert _count(answer) + _count(window.evidence) <= 24 - 3


def test_long_answers_are_cut_at_sentence_ends() -> None:
    answer = "The harbour was dredged in 1911. A lighthouse stands on the northern breakwater."
    found = windows(None, [SOURCE], answer, _count, max_length=64, answer_tokens=8)
    assert [answer[w.start : w.end] for w in found] == [
        "The harbour was dredged in 1911.",
        "A lighthouse stands on the northern breakwater.",
    ]
    assert "1911" in found[0].evidence and "breakwater" in found[1].evidence


def test_labels_mark_the_unsupported_tokens_only() -> None:
    arrays = encode(ROWS, [True] * 3, max_length=128, answer_tokens=64)
    assert list(arrays["row"]) == [0, 1, 2]
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(Path(embedding_model_path()) / "tokenizer.json"))
    marked = [
        tokenizer.decode([int(i) for i in ids[labels == 1]])
        for ids, labels in zip(arrays["ids"], arrays["labels"], strict=True)
    ]
    assert marked == ["", "9", "mondays"]
    assert (arrays["labels"][:, 0] == -1).all()  # [CLS] is never labelled


@pytest.mark.slow
def test_training_is_deterministic_on_cpu(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    arrays = encode(ROWS * 2, [True] * 6, max_length=384, answer_tokens=192)
    arrays["fold"] = np.asarray([0, 1, 0, 1, 0, 1], dtype=np.int8)
    np.savez_compressed(data / "windows-L384.npz", **arrays)
    with (data / "rows.jsonl").open("w") as out:
        for row in ROWS * 2:
            out.write(json.dumps({k: row[k] for k in ("id", "task", "label")}) + "\n")
    saved = []
    for run in ("one", "two"):
        command = [sys.executable, str(ROOT / "train" / "train_neural.py"),
                   "--data", str(data), "--base", str(embedding_model_path()),
                   "--out", str(tmp_path / run), "--configs", "t4l384",
                   "--epochs", "1", "--batch", "2", "--folds", "2"]  # fmt: skip
        done = subprocess.run(command, capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stderr[-2000:]
        saved.append(sorted((tmp_path / run).iterdir()))
    first, second = saved
    assert [p.name for p in first] == [p.name for p in second]
    assert any(p.name.endswith(".safetensors") for p in first)
    for a, b in zip(first, second, strict=True):
        assert a.read_bytes() == b.read_bytes(), a.name
