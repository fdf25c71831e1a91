"""Exact parameter and multiply-accumulate (MAC) counts, of a spec or of a built model.

`count_spec(spec)` counts from the family's plan alone, without a framework: `CountingNet` runs the
family's builder on shapes. `count(model)` counts a built Keras model from each layer's
configuration and symbolic input/output shapes, never from a backend profiler, so it is the same
under TensorFlow and JAX. The two agree layer by layer (the model-zoo tests check it for every
family). Conventions (those under which the counts agree with the TensorFlow profiler,
FLOPs = 2 x MACs):

- parameters: every floating-point weight, batch-normalisation moving statistics included (what
  `model.count_params()` reports); integer weights (CondenseNet's channel indices) are not
  parameters;
- MACs, for one image: convolutions (grouped, depthwise, separable) and dense layers only; bias
  additions, normalisation, activations, pooling and element-wise operations count zero.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from thesislab.models.net import Activation, Initializer, Kernel, Net, Padding
from thesislab.models.registry import realise
from thesislab.models.spec import ArchSpec

if TYPE_CHECKING:
    import keras

Shape = tuple[int, ...]
"""A tensor's shape without the batch axis: (height, width, channels), or (features,)."""


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
    import keras

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
    import keras

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


def _pair(value: Kernel) -> tuple[int, int]:
    return (value, value) if isinstance(value, int) else value


def _spatial(shape: Shape, kernel: Kernel, strides: Kernel, padding: Padding) -> tuple[int, int]:
    """Output height and width of a sliding window over `shape`."""
    sizes = []
    for size, window, stride in zip(shape[:2], _pair(kernel), _pair(strides), strict=True):
        sizes.append(-(-size // stride) if padding == "same" else (size - window) // stride + 1)
    return sizes[0], sizes[1]


class CountingNet(Net[Shape]):
    """Follows the shapes through the layers a builder asks for and counts each layer (with the
    Keras class name as its kind), framework-free."""

    def __init__(self) -> None:
        self.layers: list[LayerCount] = []

    def _layer(self, name: str, kind: str, shape: Shape, params: int = 0, macs: int = 0) -> Shape:
        self.layers.append(LayerCount(name, kind, shape, params, macs))
        return shape

    def input(self, shape: tuple[int, int, int], *, name: str) -> Shape:
        return shape

    def channels(self, x: Shape) -> int:
        return x[-1]

    def conv(
        self,
        x: Shape,
        filters: int,
        kernel_size: Kernel,
        *,
        name: str,
        strides: Kernel = 1,
        groups: int = 1,
        padding: Padding = "same",
        activation: Literal["relu", "sigmoid"] | None = None,
        initializer: Initializer = "glorot_uniform",
    ) -> Shape:
        height, width = _spatial(x, kernel_size, strides, padding)
        weights = math.prod(_pair(kernel_size)) * (x[-1] // groups) * filters
        return self._layer(
            name, "Conv2D", (height, width, filters), weights, height * width * weights
        )

    def depthwise(self, x: Shape, kernel_size: Kernel, *, name: str, strides: Kernel = 1) -> Shape:
        height, width = _spatial(x, kernel_size, strides, "same")
        weights = math.prod(_pair(kernel_size)) * x[-1]
        return self._layer(
            name, "DepthwiseConv2D", (height, width, x[-1]), weights, height * width * weights
        )

    def separable(
        self, x: Shape, filters: int, kernel_size: Kernel, *, name: str, strides: Kernel = 1
    ) -> Shape:
        height, width = _spatial(x, kernel_size, strides, "same")
        weights = x[-1] * (math.prod(_pair(kernel_size)) + filters)
        return self._layer(
            name, "SeparableConv2D", (height, width, filters), weights, height * width * weights
        )

    def batch_norm(self, x: Shape, *, name: str) -> Shape:
        return self._layer(name, "BatchNormalization", x, params=4 * x[-1])

    def activation(self, x: Shape, kind: Activation, *, name: str) -> Shape:
        return self._layer(name, "LeakyReLU" if kind == "leaky_relu" else "ReLU", x)

    def pool(
        self,
        x: Shape,
        kind: Literal["average", "max"],
        size: Kernel,
        *,
        name: str,
        strides: Kernel | None = None,
        padding: Padding = "valid",
    ) -> Shape:
        height, width = _spatial(x, size, size if strides is None else strides, padding)
        kind_name = "AveragePooling2D" if kind == "average" else "MaxPooling2D"
        return self._layer(name, kind_name, (height, width, x[-1]))

    def global_pool(self, x: Shape, *, name: str, keepdims: bool = False) -> Shape:
        return self._layer(name, "GlobalAveragePooling2D", (1, 1, x[-1]) if keepdims else x[-1:])

    def add(self, inputs: Sequence[Shape], *, name: str) -> Shape:
        return self._layer(name, "Add", inputs[0])

    def multiply(self, inputs: Sequence[Shape], *, name: str) -> Shape:
        return self._layer(name, "Multiply", max(inputs, key=math.prod))

    def concat(self, inputs: Sequence[Shape], *, name: str) -> Shape:
        channels = sum(shape[-1] for shape in inputs)
        return self._layer(name, "Concatenate", (*inputs[0][:-1], channels))

    def dropout(self, x: Shape, rate: float, *, name: str) -> Shape:
        return self._layer(name, "Dropout", x)

    def flatten(self, x: Shape, *, name: str) -> Shape:
        return self._layer(name, "Flatten", (math.prod(x),))

    def dense(self, x: Shape, units: int, *, name: str) -> Shape:
        return self._layer(name, "Dense", (units,), x[-1] * units + units, x[-1] * units)

    def pad(
        self, x: Shape, padding: tuple[tuple[int, int], tuple[int, int]], *, name: str
    ) -> Shape:
        (top, bottom), (left, right) = padding
        return self._layer(name, "ZeroPadding2D", (x[0] + top + bottom, x[1] + left + right, x[2]))

    def crop(
        self, x: Shape, cropping: tuple[tuple[int, int], tuple[int, int]], *, name: str
    ) -> Shape:
        (top, bottom), (left, right) = cropping
        return self._layer(name, "Cropping2D", (x[0] - top - bottom, x[1] - left - right, x[2]))

    def shuffle(self, x: Shape, groups: int, *, name: str) -> Shape:
        return self._layer(name, "ChannelShuffle", x)

    def slice(self, x: Shape, start: int, stop: int, *, name: str) -> Shape:
        return self._layer(name, "ChannelSlice", (*x[:-1], stop - start))

    def gather(self, x: Shape, size: int, *, name: str) -> Shape:
        return self._layer(name, "ChannelGather", (*x[:-1], size))  # integer indices: no params


def count_spec(spec: ArchSpec) -> ModelCount:
    """Parameters and MACs of every layer of the spec's network, from its plan, without building it.

    The same figures as `count(build_model(spec))`, with the layers in the order the builder makes
    them."""
    net = CountingNet()
    realise(spec, net)
    return ModelCount(tuple(net.layers))
