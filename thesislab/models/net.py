"""The layers a family's builder writes its network with, independent of any framework.

A builder calls the methods of a `Net` (`net.conv(x, 32, 3, name=...)`, `net.add([x, y], ...)`)
and never imports Keras. Two nets implement them: `layers.KerasNet` makes the Keras layers (the
network that trains, converts and runs), `counting.CountingNet` follows channel counts and spatial
sizes and counts each layer's parameters and MACs. One builder therefore gives both the network
and its counts, and `thesislab models show --json` needs no TensorFlow.

Every layer gets the explicit name it is given, so two builds of a spec have the same layer names
(weights saved from one load into the other, whatever the backend).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Generic, Literal, TypeVar

Tensor = TypeVar("Tensor")
"""What flows between layers: a symbolic Keras tensor, or a shape when counting."""

Kernel = int | tuple[int, int]
Padding = Literal["same", "valid"]
Activation = Literal["relu", "relu6", "leaky_relu"]
"""ReLU, ReLU capped at 6, leaky ReLU with slope 0.3."""
Initializer = Literal["glorot_uniform", "he_fan_out"]
"""Kernel initialisation: Glorot uniform (the Keras default), or He normal over the fan-out."""

INPUT_SHAPE = (32, 32, 3)
"""CIFAR-10 images, channels last."""

NUM_CLASSES = 10


class Net(ABC, Generic[Tensor]):
    """The layer vocabulary of the model zoo; every method makes one layer named `name`."""

    @abstractmethod
    def input(self, shape: tuple[int, int, int], *, name: str) -> Tensor:
        """The network's input (not a layer that counts)."""

    @abstractmethod
    def channels(self, x: Tensor) -> int:
        """The channel count of `x`."""

    @abstractmethod
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
        """A bias-free convolution, optionally grouped, with an optional fused activation."""

    @abstractmethod
    def depthwise(
        self, x: Tensor, kernel_size: Kernel, *, name: str, strides: Kernel = 1
    ) -> Tensor:
        """A bias-free, `same`-padded depthwise convolution (multiplier 1)."""

    @abstractmethod
    def separable(
        self, x: Tensor, filters: int, kernel_size: Kernel, *, name: str, strides: Kernel = 1
    ) -> Tensor:
        """A bias-free, `same`-padded depthwise-separable convolution."""

    @abstractmethod
    def batch_norm(self, x: Tensor, *, name: str) -> Tensor:
        """Batch normalisation with the thesis's momentum."""

    @abstractmethod
    def activation(self, x: Tensor, kind: Activation, *, name: str) -> Tensor:
        """An activation layer."""

    @abstractmethod
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
        """Average or max pooling; `strides` default to the pool size."""

    @abstractmethod
    def global_pool(self, x: Tensor, *, name: str, keepdims: bool = False) -> Tensor:
        """Global average pooling."""

    @abstractmethod
    def add(self, inputs: Sequence[Tensor], *, name: str) -> Tensor:
        """Element-wise sum."""

    @abstractmethod
    def multiply(self, inputs: Sequence[Tensor], *, name: str) -> Tensor:
        """Element-wise product (broadcasting a 1x1 map over the others)."""

    @abstractmethod
    def concat(self, inputs: Sequence[Tensor], *, name: str) -> Tensor:
        """Concatenation along the channels."""

    @abstractmethod
    def dropout(self, x: Tensor, rate: float, *, name: str) -> Tensor:
        """Dropout at `rate` (during training only)."""

    @abstractmethod
    def flatten(self, x: Tensor, *, name: str) -> Tensor:
        """Flatten to one axis."""

    @abstractmethod
    def dense(self, x: Tensor, units: int, *, name: str) -> Tensor:
        """A fully connected layer with bias."""

    @abstractmethod
    def pad(
        self, x: Tensor, padding: tuple[tuple[int, int], tuple[int, int]], *, name: str
    ) -> Tensor:
        """Zero padding: ((top, bottom), (left, right))."""

    @abstractmethod
    def crop(
        self, x: Tensor, cropping: tuple[tuple[int, int], tuple[int, int]], *, name: str
    ) -> Tensor:
        """Cropping: ((top, bottom), (left, right))."""

    @abstractmethod
    def shuffle(self, x: Tensor, groups: int, *, name: str) -> Tensor:
        """Channel shuffle of `groups` equal groups (`layers.ChannelShuffle`)."""

    @abstractmethod
    def slice(self, x: Tensor, start: int, stop: int, *, name: str) -> Tensor:
        """Channels `start` to `stop` (`layers.ChannelSlice`)."""

    @abstractmethod
    def gather(self, x: Tensor, size: int, *, name: str) -> Tensor:
        """`size` channels picked by a learned index (`layers.ChannelGather`)."""
