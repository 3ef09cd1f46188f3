"""Exporting a model folder to ONNX once, offline, and caching the file.

The export needs torch and transformers (the packaged weights are PyTorch
safetensors); running the file afterwards needs neither (`grounding/backends/encoder.py`).
The graph is traced with torch's TorchScript exporter (with the model's plain
"eager" attention: the SDPA form traces a NaN guard over every attention matrix
that cost a sixth of the run time on 256-token inputs), its attention, GELU and
layer norms are fused by onnxruntime's transformer optimiser (exact in float32),
then its weights are dynamically quantised to int8 by onnxruntime
(`quantize_dynamic`, one scale per output channel). The weights are signed 7-bit
(`reduce_range`): on AVX2 CPUs without VNNI that is the fast kernel (signed 8-bit
saturates there), 1.2x the unsigned 8-bit one. The feed-forward MatMuls of the
first half of the layers stay float32: quantised one at a time they caused over half of
the int8 error (their inputs, per-tensor quantised at run time, have outliers), and
with them float the mean cosine to torch went from 0.994 to 0.997 (bench/index.py
shows the recall). Embedding tables stay float32 too. Then ONNX Runtime's
portable graph optimisations are applied and saved, so each later process opens
the file faster. Nothing is downloaded.

sentence-transformers has `export_dynamic_quantized_onnx_model` and
`backend="onnx"`, but both need optimum, and its ONNX model runs through
transformers and torch at inference; exporting here keeps inference torch-free.

Files live in `$GROUNDING_MODEL_CACHE` (default `$GROUNDING_HOME/models`) under
`onnx/<folder name>-<key>/model[_int8].onnx`; the key hashes the model's config
and weight files (name, size, modification time) and the exporter version, so a
changed model is exported again. Writes go to a temporary file renamed into place,
so an interrupted export leaves nothing half-written and concurrent exports agree.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import re
import uuid
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from grounding.config import model_cache_dir
from grounding.core.progress import note
from grounding.errors import ModelError

__all__ = ["cached_export", "export_onnx"]

_EXPORTER_VERSION = "5"  # bump when the export or quantisation settings change
_WEIGHTS = ("model.safetensors", "pytorch_model.bin")


def cached_export(folder: Path, quantize: bool = True) -> Path:
    """The ONNX file for `folder`, exported on the first call and reused after."""
    if not (folder / "config.json").exists():
        raise ModelError(f"{folder} is not a model folder (no config.json)")
    target_dir = model_cache_dir() / "onnx" / f"{folder.name}-{_key(folder, quantize)}"
    target = target_dir / ("model_int8.onnx" if quantize else "model.onnx")
    if target.exists():
        return target
    note(f"exporting the model in {folder.parent.name}/{folder.name} to ONNX once "
         f"(about a minute; later runs reuse {target_dir})")  # fmt: skip
    target_dir.mkdir(parents=True, exist_ok=True)
    export_onnx(folder, target, quantize)
    return target


def export_onnx(folder: Path, target: Path, quantize: bool = True, compact: bool = False) -> None:
    """Export the model in `folder` to `target` (int8 when `quantize`), atomically.

    `compact` quantises every MatMul and the embedding tables too (about a quarter of the
    float32 size): for a model shipped inside the package, such as the pair model."""
    token = uuid.uuid4().hex[:8]
    plain = target.with_name(f".{target.stem}.f32-{token}.onnx")
    quantized = target.with_name(f".{target.stem}.int8-{token}.onnx")
    staging = target.with_name(f".{target.stem}.tmp-{token}.onnx")
    try:
        _export_float(folder, plain)
        _fuse(folder, plain, embeddings=not compact)
        if quantize:
            _quantize(plain, quantized, compact)
        _optimize(quantized if quantize else plain, staging)
        os.replace(staging, target)
    except ModelError:
        raise
    except Exception as exc:  # torch, onnx and onnxruntime raise many types
        raise ModelError(f"cannot export {folder} to ONNX: {exc}") from exc
    finally:
        for leftover in (plain, quantized, staging):
            with contextlib.suppress(OSError):
                leftover.unlink()


def _export_float(folder: Path, target: Path) -> None:
    try:
        import torch
        import transformers
    except ImportError as exc:
        raise ModelError(
            f"exporting {folder} to ONNX needs torch and transformers: pip install grounding"
        ) from exc
    config = transformers.AutoConfig.from_pretrained(str(folder), local_files_only=True)
    architecture = (getattr(config, "architectures", None) or ["AutoModel"])[0]
    model_class = getattr(transformers, architecture, transformers.AutoModel)
    transformers.utils.logging.disable_progress_bar()
    transformers.utils.logging.set_verbosity_error()
    model = model_class.from_pretrained(
        str(folder), local_files_only=True, attn_implementation="eager"
    ).eval()

    class FirstOutput(torch.nn.Module):
        """The model's logits when it has a head, else its last hidden state."""

        def __init__(self, inner: Any) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            out = self.inner(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            )
            return out.logits if getattr(out, "logits", None) is not None else out[0]

    token_level = "SequenceClassification" not in architecture
    axes = {name: {0: "batch", 1: "tokens"} for name in _INPUTS}
    axes["output"] = {0: "batch", 1: "tokens"} if token_level else {0: "batch"}
    dummy = tuple(torch.ones((2, 16), dtype=torch.long) for _ in _INPUTS)
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            FirstOutput(model),
            dummy,
            str(target),
            dynamo=False,  # the TorchScript exporter: no onnxscript needed
            input_names=list(_INPUTS),
            output_names=["output"],
            dynamic_axes=axes,
            opset_version=17,
        )


_INPUTS = ("input_ids", "attention_mask", "token_type_ids")


def _fuse(folder: Path, model: Path, embeddings: bool = True) -> None:
    """Fuse attention, GELU and layer norms in place (BERT-style models; float32, exact).

    Without `embeddings` the embedding lookup stays a plain Gather, which the quantiser can
    then store as int8 (a fused embedding layer keeps its tables float32)."""
    from onnxruntime.transformers import optimizer
    from onnxruntime.transformers.fusion_options import FusionOptions

    config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    options = FusionOptions("bert")
    options.enable_embed_layer_norm = embeddings
    with _quiet_logging():
        fused = optimizer.optimize_model(
            str(model),
            model_type="bert",
            num_heads=int(config.get("num_attention_heads", 0)),
            hidden_size=int(config.get("hidden_size", 0)),
            optimization_options=options,
        )
        fused.save_model_to_file(str(model))


def _float_matmuls(model: Path) -> list[str]:
    """The feed-forward MatMuls of the first half of the layers: kept float32."""
    import onnx

    names = [node.name for node in onnx.load(str(model)).graph.node if node.op_type == "MatMul"]
    layers = {int(m.group(1)) for n in names if (m := re.search(r"/layer\.(\d+)/", n))}
    first = {layer for layer in layers if layer < (max(layers, default=-1) + 1) // 2}
    return [
        name
        for name in names
        if (m := re.search(r"/layer\.(\d+)/(intermediate|output)/dense/MatMul$", name))
        and int(m.group(1)) in first
    ]


def _quantize(source: Path, target: Path, compact: bool = False) -> None:
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    with _quiet_logging():
        quantize_dynamic(
            source,
            target,
            op_types_to_quantize=["MatMul", "Attention"] + (["Gather"] if compact else []),
            weight_type=QuantType.QInt8,
            per_channel=True,
            reduce_range=True,
            nodes_to_exclude=[] if compact else _float_matmuls(source),
            # fused nodes (com.microsoft) have no inferred output types: they are float
            extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},
        )


@contextlib.contextmanager
def _quiet_logging() -> Iterator[None]:
    """The quantiser and optimiser log at WARNING and may configure the root logger: mute
    them, and leave the root logger as it was."""
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    root.setLevel(logging.ERROR)
    try:
        yield
    finally:
        root.setLevel(level)
        for handler in root.handlers[:]:
            if handler not in handlers:
                root.removeHandler(handler)


def _optimize(source: Path, target: Path) -> None:
    """Save ONNX Runtime's graph optimisations (the portable, "extended" level), so opening
    the file later skips them: `OnnxEncoder(..., optimized=True)`."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED
    options.optimized_model_filepath = str(target)
    ort.InferenceSession(str(source), options, providers=["CPUExecutionProvider"])


def _key(folder: Path, quantize: bool) -> str:
    digest = hashlib.sha256()
    digest.update(f"{_EXPORTER_VERSION}:{quantize}".encode())
    digest.update((folder / "config.json").read_bytes())
    for name in _WEIGHTS:
        path = folder / name
        if path.exists():
            stat = path.stat()
            digest.update(json.dumps([name, stat.st_size, stat.st_mtime_ns]).encode())
    return digest.hexdigest()[:16]
