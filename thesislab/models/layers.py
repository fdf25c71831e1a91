"""The model zoo in Keras: `KerasNet`, which makes the layers the family builders ask for, and the
zoo's custom channel layers.

Everything here is written with `keras.layers` and `keras.ops` only, so the networks run unchanged
under the TensorFlow and JAX backends and convert to TFLite. Importing this module registers the
custom layers for loading saved `.keras` files.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import keras
import numpy as np
from keras import layers, ops

from thesislab.models.net import Activation, Initializer, Kernel, Net, Padding

Tensor = Any
"""A symbolic Keras tensor (`keras.KerasTensor`) flowing through a functional model."""

BN_MOMENTUM = 0.9
"""Moving-statistics momentum of batch normalisation: PyTorch's default (0.1 in its convention),
which the thesis trained with. Keras's 0.99 leaves the statistics far from the data after a short
training run, so a briefly trained network evaluates at chance level."""


def _initializer(kind: Initializer) -> str | keras.initializers.Initializer:
    if kind == "he_fan_out":  # the He (fan-out) initialisation of the original WRN code
        return keras.initializers.VarianceScaling(scale=2.0, mode="fan_out")
    return kind


class KerasNet(Net[Tensor]):
    """Makes each layer a family builder asks for as a Keras layer, applied to symbolic tensors."""

    def input(self, shape: tuple[int, int, int], *, name: str) -> Tensor:
        return keras.Input(shape, name=name)

    def channels(self, x: Tensor) -> int:
        return int(x.shape[-1])

    def conv(
        self,
        x: Tensor,
        filters: int,
        kernel_size: Kernel,
        *,
        name: str,
        strides: Kernel = 1,
        groups: int = 1,
        padding: Padding = "same",
        activation: Literal["relu", "sigmoid"] | None = None,
        initializer: Initializer = "glorot_uniform",
    ) -> Tensor:
        return layers.Conv2D(
            filters,
            kernel_size,
            strides=strides,
            padding=padding,
            groups=groups,
            activation=activation,
            use_bias=False,
            kernel_initializer=_initializer(initializer),
            name=name,
        )(x)

    def depthwise(
        self, x: Tensor, kernel_size: Kernel, *, name: str, strides: Kernel = 1
    ) -> Tensor:
        return layers.DepthwiseConv2D(
            kernel_size, strides=strides, padding="same", use_bias=False, name=name
        )(x)

    def separable(
        self, x: Tensor, filters: int, kernel_size: Kernel, *, name: str, strides: Kernel = 1
    ) -> Tensor:
        return layers.SeparableConv2D(
            filters, kernel_size, strides=strides, padding="same", use_bias=False, name=name
        )(x)

    def batch_norm(self, x: Tensor, *, name: str) -> Tensor:
        return layers.BatchNormalization(momentum=BN_MOMENTUM, name=name)(x)

    def activation(self, x: Tensor, kind: Activation, *, name: str) -> Tensor:
        if kind == "relu6":
            return layers.ReLU(max_value=6.0, name=name)(x)
        if kind == "leaky_relu":
            return layers.LeakyReLU(negative_slope=0.3, name=name)(x)
        return layers.ReLU(name=name)(x)

    def pool(
        self,
        x: Tensor,
        kind: Literal["average", "max"],
        size: Kernel,
        *,
        name: str,
        strides: Kernel | None = None,
        padding: Padding = "valid",
    ) -> Tensor:
        pooling = layers.AveragePooling2D if kind == "average" else layers.MaxPooling2D
        return pooling(size, strides=strides, padding=padding, name=name)(x)

    def global_pool(self, x: Tensor, *, name: str, keepdims: bool = False) -> Tensor:
        return layers.GlobalAveragePooling2D(keepdims=keepdims, name=name)(x)

    def add(self, inputs: Sequence[Tensor], *, name: str) -> Tensor:
        return layers.Add(name=name)(list(inputs))

    def multiply(self, inputs: Sequence[Tensor], *, name: str) -> Tensor:
        return layers.Multiply(name=name)(list(inputs))

    def concat(self, inputs: Sequence[Tensor], *, name: str) -> Tensor:
        return layers.Concatenate(name=name)(list(inputs))

    def dropout(self, x: Tensor, rate: float, *, name: str) -> Tensor:
        return layers.Dropout(rate, name=name)(x)

    def flatten(self, x: Tensor, *, name: str) -> Tensor:
        return layers.Flatten(name=name)(x)

    def dense(self, x: Tensor, units: int, *, name: str) -> Tensor:
        return layers.Dense(units, name=name)(x)

    def pad(
        self, x: Tensor, padding: tuple[tuple[int, int], tuple[int, int]], *, name: str
    ) -> Tensor:
        return layers.ZeroPadding2D(padding, name=name)(x)

    def crop(
        self, x: Tensor, cropping: tuple[tuple[int, int], tuple[int, int]], *, name: str
    ) -> Tensor:
        return layers.Cropping2D(cropping, name=name)(x)

    def shuffle(self, x: Tensor, groups: int, *, name: str) -> Tensor:
        return ChannelShuffle(groups, name=name)(x)

    def slice(self, x: Tensor, start: int, stop: int, *, name: str) -> Tensor:
        return ChannelSlice(start, stop, name=name)(x)

    def gather(self, x: Tensor, size: int, *, name: str) -> Tensor:
        return ChannelGather(size, name=name)(x)


@keras.saving.register_keras_serializable(package="thesislab")
class ChannelShuffle(layers.Layer):  # type: ignore[misc]
    """Interleave the channels of `groups` equal groups (ShuffleNet, CondenseNet).

    Channel c of group g moves to position c * groups + g. Written with 4-D tensors only, because
    TFLite has no 5-D transpose.
    """

    def __init__(self, groups: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.groups = groups

    def call(self, inputs: Tensor) -> Tensor:
        height, width, channels = inputs.shape[1:]
        x = ops.reshape(inputs, (-1, height * width, self.groups, channels // self.groups))
        x = ops.transpose(x, (0, 1, 3, 2))
        return ops.reshape(x, (-1, height, width, channels))

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "groups": self.groups}


@keras.saving.register_keras_serializable(package="thesislab")
class ChannelSlice(layers.Layer):  # type: ignore[misc]
    """Channels `start` (inclusive) to `stop` (exclusive) of a channels-last tensor."""

    def __init__(self, start: int, stop: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.start = start
        self.stop = stop

    def call(self, inputs: Tensor) -> Tensor:
        return inputs[..., self.start : self.stop]

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "start": self.start, "stop": self.stop}


@keras.saving.register_keras_serializable(package="thesislab")
class ChannelGather(layers.Layer):  # type: ignore[misc]
    """Pick `size` channels by index, in any order, possibly repeated (CondenseNet's index select).

    The indices are a non-trainable int32 weight, initialised to 0, 1, ..., size - 1, so a condensed
    network's learned selection travels with its other weights.
    """

    def __init__(self, size: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.size = size

    def build(self, input_shape: tuple[int | None, ...]) -> None:
        self.index = self.add_weight(
            shape=(self.size,),
            dtype="int32",
            trainable=False,
            initializer=keras.initializers.Constant(np.arange(self.size)),
            name="index",
        )

    def call(self, inputs: Tensor) -> Tensor:
        return ops.take(inputs, self.index, axis=-1)

    def compute_output_shape(self, input_shape: tuple[int | None, ...]) -> tuple[int | None, ...]:
        return (*input_shape[:-1], self.size)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "size": self.size}
