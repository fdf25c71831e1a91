"""Exact parameter and multiply-accumulate (MAC) counts of a built model, from its layer shapes.

Counts come from each layer's configuration and its symbolic input/output shapes, never from a
backend profiler, so they are the same under TensorFlow and JAX. Conventions (those under which
the counts agree with the TensorFlow profiler, FLOPs = 2 x MACs):

- parameters: every floating-point weight, batch-normalisation moving statistics included (what
  `model.count_params()` reports); integer weights (CondenseNet's channel indices) are not
  parameters;
- MACs, for one image: convolutions (grouped, depthwise, separable) and dense layers only; bias
  additions, normalisation, activations, pooling and element-wise operations count zero.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import keras


@dataclass(frozen=True)
class LayerCount:
    """One layer's type, output shape (without the batch axis), parameters and MACs."""

    name: str
    kind: str
    output_shape: tuple[int, ...]
    params: int
    macs: int


@dataclass(frozen=True)
class ModelCount:
    """Per-layer and total counts of a model."""

    layers: tuple[LayerCount, ...]

    @property
    def params(self) -> int:
        """Total parameters."""
        return sum(layer.params for layer in self.layers)

    @property
    def macs(self) -> int:
        """Total multiply-accumulates for one image."""
        return sum(layer.macs for layer in self.layers)


def _shape(tensor: Any) -> tuple[int, ...]:
    return tuple(int(size) for size in tensor.shape[1:])


def layer_params(layer: keras.layers.Layer) -> int:
    """Floating-point weights of `layer`, trainable or not."""
    return sum(math.prod(weight.shape) for weight in layer.weights if "float" in str(weight.dtype))


def layer_macs(layer: keras.layers.Layer) -> int:
    """Multiply-accumulates of `layer` for one input image (0 for non-arithmetic layers)."""
    if not isinstance(
        layer,
        keras.layers.Conv2D
        | keras.layers.DepthwiseConv2D
        | keras.layers.SeparableConv2D
        | keras.layers.Dense,
    ):
        return 0
    inputs, outputs = _shape(layer.input), _shape(layer.output)
    if isinstance(layer, keras.layers.Dense):
        return int(math.prod(outputs) * inputs[-1])
    kernel_area = int(math.prod(layer.kernel_size))
    positions = math.prod(outputs[:-1])
    if isinstance(layer, keras.layers.DepthwiseConv2D):
        return positions * outputs[-1] * kernel_area
    if isinstance(layer, keras.layers.SeparableConv2D):
        depthwise_channels = inputs[-1] * int(layer.depth_multiplier)
        return positions * depthwise_channels * (kernel_area + outputs[-1])
    return positions * outputs[-1] * kernel_area * inputs[-1] // int(layer.groups)


def count(model: keras.Model) -> ModelCount:
    """Parameters and MACs of every layer of a functional model (nested models not expanded)."""
    return ModelCount(
        tuple(
            LayerCount(
                name=layer.name,
                kind=type(layer).__name__,
                output_shape=_shape(layer.output),
                params=layer_params(layer),
                macs=layer_macs(layer),
            )
            for layer in model.layers
            if not isinstance(layer, keras.layers.InputLayer)
        )
    )
