"""Tiny configurations of every family and helpers shared by the model-zoo tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from thesislab.models.registry import prunable_layers, resolve
from thesislab.models.spec import ArchSpec

REPO_ROOT = Path(__file__).resolve().parents[2]

# Two small sizes per family; together they cover SE, dropout, groups, WideResNet's all-prunable
# variant and the cases where a residual sum ties the stem to the first stage (mobilenetv2 w16,
# shufflenetv1 w24, shufflenetv2 w16, nasnet d9 w16).
TINY: dict[str, tuple[dict, dict]] = {
    "wideresnet": (
        {"depth": 10, "width": 8, "se_ratio": 2},
        {"depth": 16, "width": 16, "dropout": 0.2, "all_prunable": True},
    ),
    "mobilenetv1": (
        {"depth": 3, "width": 8, "se_ratio": 2, "dropout": 0.2},
        {"depth": 6, "width": 16},
    ),
    "mobilenetv2": (
        {"depth": 3, "width": 8, "expansion": 2, "se_ratio": 2},
        {"depth": 6, "width": 16},
    ),
    "mnasnet": ({"depth": 3, "width": 8, "expansion": 2}, {"depth": 6, "width": 16, "se_ratio": 2}),
    "shufflenetv1": ({"depth": 3, "width": 8, "groups": 2}, {"depth": 6, "width": 24, "groups": 3}),
    "shufflenetv2": ({"depth": 3, "width": 8}, {"depth": 6, "width": 16, "se_ratio": 2}),
    "effnet": ({"depth": 3, "width": 8, "expansion": 2}, {"depth": 6, "width": 16}),
    "squeezenext": ({"depth": 3, "width": 8}, {"depth": 6, "width": 16}),
    "condensenet": (
        {"depth": 3, "width": 4, "expansion": 2, "groups": 2},
        {"depth": 6, "width": 8},
    ),
    "nasnet": ({"depth": 3, "width": 8}, {"depth": 9, "width": 16}),
}


def tiny_spec(family: str, size: int = 0) -> ArchSpec:
    """The family's `size`-th tiny configuration (0: smallest)."""
    return ArchSpec(family=family, params=TINY[family][size])


def pruned(spec: ArchSpec) -> ArchSpec:
    """The spec with every prunable layer narrowed to about half (a removable block removed)."""
    layers = prunable_layers(spec)
    defaults = resolve(spec).widths or []
    widths = []
    for layer, width in zip(layers, defaults, strict=True):
        half = max(width // 2 // layer.multiple_of, 1) * layer.multiple_of
        widths.append(half)
    removable = [i for i, layer in enumerate(layers) if layer.removable]
    if removable:
        widths[removable[-1]] = 0
    return spec.model_copy(update={"widths": widths})


def randomize(model: object, seed: int = 0) -> None:
    """Random normalisation statistics, biases and channel indices (kernels keep their init).

    A freshly built network normalises with mean 0 and variance 1; random statistics make the
    backends and converters show any disagreement in how they fold or apply them.
    """
    rng = np.random.default_rng(seed)
    for weight in model.weights:  # type: ignore[attr-defined]
        shape = tuple(weight.shape)
        name = weight.path.rsplit("/", 1)[-1]
        if "int" in str(weight.dtype):
            weight.assign(rng.permutation(shape[0]).astype("int32"))
        elif name in ("gamma", "moving_variance"):
            weight.assign(rng.uniform(0.5, 1.5, shape).astype("float32"))
        elif name in ("beta", "moving_mean", "bias"):
            weight.assign(rng.normal(0.0, 0.1, shape).astype("float32"))


def images(count: int = 4, seed: int = 0) -> np.ndarray:
    """Random 32x32x3 float32 images in [0, 1)."""
    return np.random.default_rng(seed).random((count, 32, 32, 3), dtype=np.float32)
