"""Building blocks shared by the model families: conv-BN-activation stacks, SE, heads, channel ops.

Everything here is written with `keras.layers` and `keras.ops` only, so the networks built from it
run unchanged under the TensorFlow and JAX backends and convert to TFLite. Every layer gets an
explicit name derived from the `name` prefix it is given, so two builds of the same spec have the
same layer names (weights saved from one load into the other, whatever the backend).
"""

from __future__ import annotations

from typing import Any, Literal

import keras
import numpy as np
from keras import layers, ops

INPUT_SHAPE = (32, 32, 3)
"""CIFAR-10 images, channels last."""

NUM_CLASSES = 10

Activation = Literal["relu", "relu6", "leaky_relu"] | None
Tensor = Any
"""A symbolic Keras tensor (`keras.KerasTensor`) flowing through a functional model."""


def activation(x: Tensor, kind: Activation, name: str) -> Tensor:
    """Apply `kind` (ReLU, ReLU6, leaky ReLU with slope 0.3, or nothing) to `x`."""
    if kind == "relu":
        return layers.ReLU(name=name)(x)
    if kind == "relu6":
        return layers.ReLU(max_value=6.0, name=name)(x)
    if kind == "leaky_relu":
        return layers.LeakyReLU(negative_slope=0.3, name=name)(x)
    return x


def conv(
    x: Tensor,
    filters: int,
    kernel_size: int | tuple[int, int],
    *,
    name: str,
    strides: int | tuple[int, int] = 1,
    groups: int = 1,
    kernel_initializer: str | keras.initializers.Initializer = "glorot_uniform",
) -> Tensor:
    """A bias-free, `same`-padded convolution named `name`."""
    return layers.Conv2D(
        filters,
        kernel_size,
        strides=strides,
        padding="same",
        groups=groups,
        use_bias=False,
        kernel_initializer=kernel_initializer,
        name=name,
    )(x)


BN_MOMENTUM = 0.9
"""Moving-statistics momentum of batch normalisation: PyTorch's default (0.1 in its convention),
which the thesis trained with. Keras's 0.99 leaves the statistics far from the data after a short
training run, so a briefly trained network evaluates at chance level."""


def batch_norm(name: str) -> layers.BatchNormalization:
    """A batch normalisation layer with the thesis's momentum."""
    return layers.BatchNormalization(momentum=BN_MOMENTUM, name=name)


def conv_bn(
    x: Tensor,
    filters: int,
    kernel_size: int | tuple[int, int],
    *,
    name: str,
    strides: int | tuple[int, int] = 1,
    groups: int = 1,
    act: Activation = "relu",
) -> Tensor:
    """Convolution, batch normalisation, then `act`: layers `{name}_conv`, `_bn`, `_act`."""
    x = conv(x, filters, kernel_size, name=f"{name}_conv", strides=strides, groups=groups)
    x = batch_norm(f"{name}_bn")(x)
    return activation(x, act, f"{name}_act")


def depthwise_bn(
    x: Tensor,
    kernel_size: int | tuple[int, int],
    *,
    name: str,
    strides: int | tuple[int, int] = 1,
    act: Activation = None,
) -> Tensor:
    """Depthwise convolution (multiplier 1), batch normalisation, then `act`."""
    x = layers.DepthwiseConv2D(
        kernel_size, strides=strides, padding="same", use_bias=False, name=f"{name}_dwconv"
    )(x)
    x = batch_norm(f"{name}_bn")(x)
    return activation(x, act, f"{name}_act")


def bn_relu(x: Tensor, *, name: str) -> Tensor:
    """Batch normalisation then ReLU: the pre-activation of a pre-activation network."""
    x = batch_norm(f"{name}_bn")(x)
    return layers.ReLU(name=f"{name}_relu")(x)


def squeeze_excite(x: Tensor, ratio: int, *, name: str) -> Tensor:
    """Squeeze-and-excitation gate: x * sigmoid(W2 relu(W1 mean(x))), W1 reducing `ratio`-fold.

    As in the thesis, W1 and W2 have no bias. They are written as 1x1 convolutions on the pooled
    1x1 map (the same weights as dense layers) so that TFLite gets plain static-shape ops.
    """
    channels = int(x.shape[-1])
    gate = layers.GlobalAveragePooling2D(keepdims=True, name=f"{name}_squeeze")(x)
    gate = layers.Conv2D(
        max(channels // ratio, 1), 1, activation="relu", use_bias=False, name=f"{name}_reduce"
    )(gate)
    gate = layers.Conv2D(channels, 1, activation="sigmoid", use_bias=False, name=f"{name}_expand")(
        gate
    )
    return layers.Multiply(name=f"{name}_scale")([x, gate])


def inverted_residual(
    x: Tensor,
    *,
    expanded: int,
    out: int,
    kernel_size: int,
    strides: int,
    se_ratio: int,
    residual: bool,
    name: str,
) -> Tensor:
    """MobileNetV2 block: 1x1 expand (ReLU6), depthwise (ReLU6), linear 1x1 projection.

    An SE gate follows the projection in blocks without stride; the input is added back when
    `residual` is set.
    """
    shortcut = x
    x = conv_bn(x, expanded, 1, name=f"{name}_expand", act="relu6")
    x = depthwise_bn(x, kernel_size, name=f"{name}_depthwise", strides=strides, act="relu6")
    x = conv_bn(x, out, 1, name=f"{name}_project", act=None)
    if se_ratio and strides == 1:
        x = squeeze_excite(x, se_ratio, name=f"{name}_se")
    if residual:
        x = layers.Add(name=f"{name}_add")([x, shortcut])
    return x


def classifier(x: Tensor, *, dropout: float, pool: bool = True) -> Tensor:
    """Head: global average pooling (or flattening), optional dropout, dense logits."""
    if pool:
        x = layers.GlobalAveragePooling2D(name="head_pool")(x)
    else:
        x = layers.Flatten(name="head_flatten")(x)
    if dropout:
        x = layers.Dropout(dropout, name="head_dropout")(x)
    return layers.Dense(NUM_CLASSES, name="head_logits")(x)


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
