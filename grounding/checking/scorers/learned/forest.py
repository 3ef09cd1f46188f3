"""Gradient-boosted trees and isotonic calibration as plain arrays: no pickle on disk.

scikit-learn trains them (`train/train_checker.py`); `Forest.from_sklearn` flattens a fitted
`HistGradientBoostingClassifier` into arrays that `numpy.savez` stores and `Forest.predict`
evaluates with vectorised traversal, so loading the checker never unpickles anything.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["Forest", "Isotonic", "Linear"]

_PRUNE_EVERY = 4  # steps between dropping the paths that have reached a leaf


@dataclass(frozen=True)
class Forest:
    """A binary gradient-boosted tree ensemble flattened into node arrays."""

    feature: np.ndarray  # int64 per node
    threshold: np.ndarray  # float64 per node: go left when x <= threshold
    missing_left: np.ndarray  # bool per node: NaN goes left
    left: np.ndarray  # int64 per node, global index
    right: np.ndarray
    is_leaf: np.ndarray  # bool per node
    value: np.ndarray  # float64 per node (leaf raw score)
    roots: np.ndarray  # int64 per tree
    baseline: float
    depth: int

    @classmethod
    def from_sklearn(cls, model: Any) -> Forest:
        """Flatten a fitted binary `HistGradientBoostingClassifier`."""
        parts: dict[str, list[np.ndarray]] = {k: [] for k in ("f", "t", "m", "l", "r", "leaf", "v")}
        roots: list[int] = []
        offset, depth = 0, 0
        for (predictor,) in model._predictors:
            nodes = predictor.nodes
            roots.append(offset)
            parts["f"].append(nodes["feature_idx"].astype(np.int64))
            parts["t"].append(nodes["num_threshold"].astype(np.float64))
            parts["m"].append(nodes["missing_go_to_left"].astype(bool))
            parts["l"].append(nodes["left"].astype(np.int64) + offset)
            parts["r"].append(nodes["right"].astype(np.int64) + offset)
            parts["leaf"].append(nodes["is_leaf"].astype(bool))
            parts["v"].append(nodes["value"].astype(np.float64))
            depth = max(depth, int(nodes["depth"].max()))
            offset += len(nodes)
        joined = {k: np.concatenate(v) for k, v in parts.items()}
        return cls(
            feature=joined["f"],
            threshold=joined["t"],
            missing_left=joined["m"],
            left=joined["l"],
            right=joined["r"],
            is_leaf=joined["leaf"],
            value=joined["v"],
            roots=np.asarray(roots, dtype=np.int64),
            baseline=float(np.ravel(model._baseline_prediction)[0]),
            depth=depth,
        )

    def raw(self, x: np.ndarray) -> np.ndarray:
        """The summed raw score (log-odds) of each row of `x`.

        All (row, tree) paths descend one level per step; a leaf leads to itself, so paths
        that reach one stay there, and every few steps those are dropped. Flat `take`s on
        the raveled rows keep each step to a few array passes.
        """
        x = np.ascontiguousarray(x, dtype=np.float64)
        if len(x) == 0:
            return np.zeros(0)
        feature, threshold, children, missing_right = self._steps
        rows, trees = len(x), len(self.roots)
        flat = x.ravel()
        node = np.tile(self.roots, rows)
        offset = np.repeat(np.arange(rows) * x.shape[1], trees)  # where each path's row starts
        active = np.arange(len(node))
        current = node.copy()
        has_missing = bool(np.isnan(flat).any())
        for step in range(self.depth + 1):
            values = flat.take(offset + feature.take(current))
            right = values > threshold.take(current)
            if has_missing:
                right = np.where(np.isnan(values), missing_right.take(current), right)
            following = children.take(2 * current + right)
            if step % _PRUNE_EVERY == _PRUNE_EVERY - 1 or step == self.depth:
                node[active] = following
                moving = following != current
                active, current, offset = active[moving], following[moving], offset[moving]
                if not len(active):
                    break
            else:
                current = following
        raw: np.ndarray = self.baseline + self.value.take(node).reshape(rows, trees).sum(axis=1)
        return raw

    @functools.cached_property
    def _steps(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Per node: the feature and threshold tested (a leaf: feature 0 against +inf), the
        children packed as [left, right] pairs (a leaf's are itself) and where NaN goes."""
        leaf = self.is_leaf.astype(bool)
        nodes = np.arange(len(leaf))
        children = np.empty(2 * len(leaf), dtype=np.intp)
        children[0::2] = np.where(leaf, nodes, self.left)
        children[1::2] = np.where(leaf, nodes, self.right)
        return (
            np.where(leaf, 0, self.feature).astype(np.intp),
            np.where(leaf, np.inf, self.threshold).astype(np.float64),
            children,
            ~self.missing_left.astype(bool),
        )

    def predict(self, x: np.ndarray) -> np.ndarray:
        """Probability of the positive class for each row of `x`."""
        p: np.ndarray = 1.0 / (1.0 + np.exp(-self.raw(x)))
        return p

    def to_arrays(self, prefix: str) -> dict[str, np.ndarray]:
        """Arrays for `numpy.savez`, keys prefixed so several forests share one file."""
        return {
            f"{prefix}.feature": self.feature,
            f"{prefix}.threshold": self.threshold,
            f"{prefix}.missing_left": self.missing_left,
            f"{prefix}.left": self.left,
            f"{prefix}.right": self.right,
            f"{prefix}.is_leaf": self.is_leaf,
            f"{prefix}.value": self.value,
            f"{prefix}.roots": self.roots,
            f"{prefix}.meta": np.asarray([self.baseline, float(self.depth)]),
        }

    @classmethod
    def from_arrays(cls, arrays: Any, prefix: str) -> Forest:
        """The forest stored by `to_arrays` under `prefix`."""
        meta = arrays[f"{prefix}.meta"]
        return cls(
            feature=arrays[f"{prefix}.feature"],
            threshold=arrays[f"{prefix}.threshold"],
            missing_left=arrays[f"{prefix}.missing_left"],
            left=arrays[f"{prefix}.left"],
            right=arrays[f"{prefix}.right"],
            is_leaf=arrays[f"{prefix}.is_leaf"],
            value=arrays[f"{prefix}.value"],
            roots=arrays[f"{prefix}.roots"],
            baseline=float(meta[0]),
            depth=int(meta[1]),
        )


@dataclass(frozen=True)
class Isotonic:
    """A monotone map from a raw score to a calibrated probability (piecewise linear)."""

    x: np.ndarray
    y: np.ndarray

    def __call__(self, raw: np.ndarray) -> np.ndarray:
        calibrated: np.ndarray = np.interp(np.asarray(raw, dtype=np.float64), self.x, self.y)
        return calibrated

    @classmethod
    def from_sklearn(cls, model: Any) -> Isotonic:
        """From a fitted `sklearn.isotonic.IsotonicRegression`."""
        return cls(
            np.asarray(model.X_thresholds_, dtype=np.float64),
            np.asarray(model.y_thresholds_, dtype=np.float64),
        )


@dataclass(frozen=True)
class Linear:
    """Standardised logistic regression: P = sigmoid(((x - mean) / scale) @ coef + intercept)."""

    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float

    def predict(self, x: np.ndarray) -> np.ndarray:
        z = ((np.asarray(x, dtype=np.float64) - self.mean) / self.scale) @ self.coef
        p: np.ndarray = 1.0 / (1.0 + np.exp(-(z + self.intercept)))
        return p

    @classmethod
    def from_sklearn(cls, scaler: Any, model: Any) -> Linear:
        """From a fitted `StandardScaler` and binary `LogisticRegression`."""
        return cls(
            np.asarray(scaler.mean_, dtype=np.float64),
            np.asarray(scaler.scale_, dtype=np.float64),
            np.asarray(model.coef_[0], dtype=np.float64),
            float(model.intercept_[0]),
        )

    def to_arrays(self, prefix: str) -> dict[str, np.ndarray]:
        return {
            f"{prefix}.mean": self.mean,
            f"{prefix}.scale": self.scale,
            f"{prefix}.coef": self.coef,
            f"{prefix}.intercept": np.asarray([self.intercept]),
        }

    @classmethod
    def from_arrays(cls, arrays: Any, prefix: str) -> Linear:
        return cls(
            arrays[f"{prefix}.mean"],
            arrays[f"{prefix}.scale"],
            arrays[f"{prefix}.coef"],
            float(arrays[f"{prefix}.intercept"][0]),
        )
