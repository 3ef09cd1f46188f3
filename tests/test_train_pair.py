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


def test_a_near_miss_is_the_closest_other_paragraph_of_the_article_without_the_answer(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.syspath_prepend(str(ROOT / "bench"))
    monkeypatch.syspath_prepend(str(ROOT / "train"))
    from finetune_mix import near_misses

    def row(title: str, question: str, passage: str, answers: list[str]) -> dict:
        return {"question": question, "passage": passage, "answers": answers,
                "answerable": bool(answers), "origin": {"title": title}}  # fmt: skip

    timetable = "The Ostrey ferry leaves Dunmore harbour twice a day, at 7:15 and 16:40."
    history = "The Ostrey ferry first sailed from Dunmore in 1921, with a crew of four."
    fares = "A return ticket costs nine pounds; bicycles travel free."
    ticket = "Leave the Ostrey ferry at Dunmore with a return: it costs 7:15 pounds."
    squad = [
        row("Ferries", "When does the Ostrey ferry leave Dunmore?", timetable, ["7:15"]),
        row("Ferries", "What does a return ticket cost?", fares, ["nine pounds"]),
        row("Ferries", "When did the ferry first sail?", history, ["1921"]),
        row("Ferries", "Unused paragraph", ticket, []),
        row("Harbours", "Which harbour is aside?", "Dunmore harbour ferry 7:15.", ["Dunmore"]),
    ]
    pairs = {pair["b"]: pair for pair in near_misses(squad)}
    # the closest paragraph without "7:15" is the history one; "ticket" shares more words
    # but holds the answer string
    assert pairs["When does the Ostrey ferry leave Dunmore?"]["a"] == history
    assert all(p["y"] == 0 and p["task"] == "answer" for p in pairs.values())
    assert "Which harbour is aside?" not in pairs  # an aside article is never trained on
    aside = near_misses(squad, aside=True)
    assert aside == []  # the aside article has one paragraph: no other to miss with
