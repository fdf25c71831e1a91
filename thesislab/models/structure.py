"""The channel structure of a network family, as pruning sees it.

Pruning narrows the family's prunable layers (`registry.prunable_layers`): groups of channels that
shrink together. This module finds, in built networks, which layer outputs carry each group's
channels and how every weighted layer's cost depends on the widths:

- channel classes: a layer that keeps channel identity (normalisation, activations, element-wise
  sums and products, pooling, dropout, a depthwise convolution) puts its output in the class of
  its inputs; a convolution, a dense layer or any other layer starts a new class. A union-find over
  the graph of the unpruned network gives the classes;
- labels: a second build, with every prunable layer at a distinct width, tells which class is
  which prunable layer's; every other class must keep the same count in both builds (a channel
  count that follows another layer's width, as in an SE block's reduction, is refused);
- removal: for each removable layer, a build with its width at 0 tells which layers go with it.

From this, `Structure` gives the parameters and MACs of any widths without building the network
(the same conventions as `models.counting`), and the class of every layer's input and output, from
which the other modules find where a channel enters a layer that mixes channels and which weight
axis belongs to which prunable layer.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Literal

from thesislab.errors import ThesislabError
from thesislab.models.names import format_name
from thesislab.models.plan import PrunableLayer
from thesislab.models.registry import build_model, prunable_layers, resolve
from thesislab.models.spec import ArchSpec

if TYPE_CHECKING:
    import keras
    import numpy as np

Kind = Literal["conv", "depthwise", "dense", "norm", "other"]


@dataclass(frozen=True)
class LayerInfo:
    """One layer of the unpruned network: its kind, channel classes and shape facts."""

    name: str
    kind: Kind
    inputs: tuple[int, ...]
    """Channel class of each input tensor."""
    output: int
    kernel: tuple[int, int] = (1, 1)
    strides: tuple[int, int] = (1, 1)
    input_hw: tuple[int, int] = (1, 1)
    output_hw: tuple[int, int] = (1, 1)
    groups: int = 1
    bias: bool = False
    vectors: int = 0
    """Normalisation layers: per-channel weight vectors (4: scale, offset, mean, variance)."""
    fixed_params: int = 0
    """Other layers: their (width-independent) parameter count."""
    removed_by: int | None = None
    """Index of the removable prunable layer whose width 0 removes this layer."""


@dataclass(frozen=True, eq=False)
class Structure:
    """Prunable layers, channel classes and layers of one family and parameter set."""

    spec: ArchSpec
    """The unpruned network: every parameter and the default widths explicit."""
    groups: tuple[PrunableLayer, ...]
    layers: tuple[LayerInfo, ...]
    group_of_class: dict[int, int]
    fixed: dict[int, int]
    """Channel count of each class that belongs to no prunable layer."""
    by_name: dict[str, LayerInfo] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_name", {layer.name: layer for layer in self.layers})

    @property
    def default_widths(self) -> list[int]:
        """The unpruned widths, one per prunable layer."""
        return [group.default for group in self.groups]

    def group_index(self, name: str) -> int:
        """Index of the prunable layer called `name`."""
        for index, group in enumerate(self.groups):
            if group.name == name:
                return index
        known = ", ".join(group.name for group in self.groups)
        raise ThesislabError(f"unknown prunable layer {name!r}: expected one of {known}")

    def counts(self, widths: Sequence[int]) -> dict[int, int]:
        """The channel count of every class under `widths`."""
        counts = dict(self.fixed)
        for channel_class, group in self.group_of_class.items():
            counts[channel_class] = widths[group]
        return counts

    def present(self, widths: Sequence[int]) -> list[LayerInfo]:
        """The layers a network with `widths` has (removable layers at 0 take theirs away)."""
        return [
            layer
            for layer in self.layers
            if layer.removed_by is None or widths[layer.removed_by] > 0
        ]

    def params(self, widths: Sequence[int]) -> int:
        """Parameters of the network with `widths` (as `models.counting` counts them)."""
        counts = self.counts(widths)
        return sum(_params(layer, counts) for layer in self.present(widths))

    def macs(self, widths: Sequence[int]) -> int:
        """Multiply-accumulates of one image through the network with `widths`."""
        counts = self.counts(widths)
        return sum(_macs(layer, counts) for layer in self.present(widths))

    def random_widths(self, rng: np.random.Generator) -> list[int]:
        """Each prunable channel group at a uniformly random width in [1, full width]."""
        return [int(rng.integers(1, group.default + 1)) for group in self.groups]

    def check(self, spec: ArchSpec) -> list[int]:
        """The widths of `spec`, which must be this structure's family and parameters."""
        resolved = resolve(spec)
        if (resolved.family, resolved.params) != (self.spec.family, self.spec.params):
            raise ThesislabError(
                f"expected a {format_name(self.spec)} network (any widths), "
                f"received {format_name(resolved)}"
            )
        return list(resolved.widths or [])


def _params(layer: LayerInfo, counts: dict[int, int]) -> int:
    out = counts[layer.output]
    bias = out if layer.bias else 0
    area = layer.kernel[0] * layer.kernel[1]
    if layer.kind == "conv":
        return area * counts[layer.inputs[0]] * out // layer.groups + bias
    if layer.kind == "depthwise":
        return area * out + bias
    if layer.kind == "dense":
        return counts[layer.inputs[0]] * out + bias
    if layer.kind == "norm":
        return layer.vectors * out
    return layer.fixed_params


def _macs(layer: LayerInfo, counts: dict[int, int]) -> int:
    out = counts[layer.output]
    positions = layer.output_hw[0] * layer.output_hw[1] * layer.kernel[0] * layer.kernel[1]
    if layer.kind == "conv":
        return positions * out * counts[layer.inputs[0]] // layer.groups
    if layer.kind == "depthwise":
        return positions * out
    if layer.kind == "dense":
        return counts[layer.inputs[0]] * out
    return 0


def flatten(value: object) -> list[object]:
    """The tensors of a (possibly nested) list of tensors, in order."""
    if isinstance(value, list | tuple):
        return [item for part in value for item in flatten(part)]
    return [value]


def _channels_kept(layer: keras.layers.Layer) -> bool:
    """Whether the layer's output channel k is a function of its inputs' channel k only."""
    from keras import layers

    if isinstance(layer, layers.DepthwiseConv2D):
        return int(layer.depth_multiplier) == 1
    return isinstance(
        layer,
        layers.BatchNormalization
        | layers.ReLU
        | layers.Activation
        | layers.LeakyReLU
        | layers.Dropout
        | layers.Add
        | layers.Multiply
        | layers.Subtract
        | layers.Average
        | layers.Maximum
        | layers.Minimum
        | layers.GlobalAveragePooling2D
        | layers.GlobalMaxPooling2D
        | layers.AveragePooling2D
        | layers.MaxPooling2D
        | layers.ZeroPadding2D
        | layers.Identity,
    )


def _hw(tensor: object) -> tuple[int, int]:
    shape = tuple(getattr(tensor, "shape", ()))
    return (int(shape[1]), int(shape[2])) if len(shape) == 4 else (1, 1)


def _describe(layer: keras.layers.Layer, inputs: tuple[int, ...], output: int) -> LayerInfo:
    """The kind and shape facts of one layer."""
    from keras import layers

    from thesislab.models.counting import layer_params

    base = LayerInfo(
        name=layer.name,
        kind="other",
        inputs=inputs,
        output=output,
        input_hw=_hw(flatten(layer.input)[0]),
        output_hw=_hw(layer.output),
    )
    if isinstance(layer, layers.DepthwiseConv2D | layers.Conv2D) and (
        _channels_kept(layer) or isinstance(layer, layers.Conv2D)
    ):
        return replace(
            base,
            kind="conv" if isinstance(layer, layers.Conv2D) else "depthwise",
            kernel=(int(layer.kernel_size[0]), int(layer.kernel_size[1])),
            strides=(int(layer.strides[0]), int(layer.strides[1])),
            groups=int(getattr(layer, "groups", 1)),
            bias=bool(layer.use_bias),
        )
    if isinstance(layer, layers.Dense):
        return replace(base, kind="dense", bias=bool(layer.use_bias))
    if isinstance(layer, layers.BatchNormalization):
        return replace(base, kind="norm", vectors=len(layer.weights))
    return replace(base, fixed_params=layer_params(layer))


class _Classes:
    """Union-find of channel classes over layer names."""

    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def add(self, name: str) -> None:
        self.parent.setdefault(name, name)

    def find(self, name: str) -> str:
        while self.parent[name] != name:
            self.parent[name] = self.parent[self.parent[name]]
            name = self.parent[name]
        return name

    def union(self, first: str, second: str) -> None:
        self.parent[self.find(first)] = self.find(second)


def layer_graph(model: keras.Model) -> list[tuple[keras.layers.Layer, list[str]]]:
    """Every layer of a functional model with the names of the layers its inputs come from."""
    from keras import layers

    producers = {id(layer.output): layer.name for layer in model.layers}
    graph: list[tuple[keras.layers.Layer, list[str]]] = []
    for layer in model.layers:
        if isinstance(layer, layers.InputLayer):
            graph.append((layer, []))
            continue
        try:
            graph.append((layer, [producers[id(tensor)] for tensor in flatten(layer.input)]))
        except (KeyError, AttributeError, ValueError):
            raise ThesislabError(
                f"{model.name}: layer {layer.name} is not a plain functional layer called once: "
                "expected a network built by the model zoo"
            ) from None
    return graph


def _channel_counts(spec: ArchSpec) -> dict[str, int]:
    """Output channels of every layer of `spec`'s network, by layer name."""
    return {layer.name: int(layer.output.shape[-1]) for layer in build_model(spec).layers}


def _probe_widths(groups: Sequence[PrunableLayer], taken: set[int]) -> list[int]:
    """A distinct width per prunable layer, a multiple of its `multiple_of`, none in `taken`."""
    widths: list[int] = []
    for group in groups:
        width = group.multiple_of
        while width in taken or width in widths:
            width += group.multiple_of
        widths.append(width)
    return widths


def _label(
    spec: ArchSpec,
    groups: Sequence[PrunableLayer],
    members: dict[str, list[str]],
    real: dict[str, int],
) -> tuple[dict[str, int], dict[str, int]]:
    """(class -> prunable layer index, class -> fixed count) from a build at distinct widths."""
    widths = _probe_widths(groups, set(real.values()))
    probe = _channel_counts(spec.model_copy(update={"widths": widths}))
    labels: dict[str, int] = {}
    fixed: dict[str, int] = {}
    for root, names in members.items():
        probed = {probe[name] for name in names}
        count = real[names[0]]
        if len(probed) == 1 and probe[names[0]] in widths:
            index = widths.index(probe[names[0]])
            if groups[index].default == count:
                labels[root] = index
                continue
        if any(probe[name] != count for name in names):
            raise ThesislabError(
                f"{format_name(spec)}: the channels of layer {names[0]} follow another layer's "
                "width (an SE reduction or a concatenation): pruning supports networks whose "
                "channel counts are each a prunable width or fixed"
            )
        fixed[root] = count
    found = sorted(labels.values())
    if found != list(range(len(groups))):
        missing = [group.name for index, group in enumerate(groups) if found.count(index) != 1]
        raise ThesislabError(
            f"{format_name(spec)}: expected one channel class per prunable layer, could not place "
            f"{', '.join(missing)}"
        )
    return labels, fixed


def _removals(spec: ArchSpec, groups: Sequence[PrunableLayer], names: set[str]) -> dict[str, int]:
    """For each layer that a removable prunable layer at width 0 takes away: that layer's index."""
    removed: dict[str, int] = {}
    defaults = [group.default for group in groups]
    for index, group in enumerate(groups):
        if group.removable:
            widths = [0 if position == index else width for position, width in enumerate(defaults)]
            removal = build_model(spec.model_copy(update={"widths": widths}))
            remaining = {layer.name for layer in removal.layers}
            for name in sorted(names - remaining):
                removed.setdefault(name, index)
    return removed


@functools.cache
def _analyse(spec_json: str) -> Structure:
    spec = ArchSpec.model_validate_json(spec_json)
    groups = prunable_layers(spec)
    model = build_model(spec)
    graph = layer_graph(model)
    classes = _Classes()
    for layer, sources in graph:
        classes.add(layer.name)
        if sources and _channels_kept(layer):
            for source in sources:
                classes.union(layer.name, source)
    members: dict[str, list[str]] = {}
    for layer, _ in graph:
        members.setdefault(classes.find(layer.name), []).append(layer.name)
    real = {layer.name: int(layer.output.shape[-1]) for layer, _ in graph}
    labels, fixed = _label(spec, groups, members, real)
    number = {root: position for position, root in enumerate(members)}
    removed = _removals(spec, groups, set(real))
    infos = []
    for layer, sources in graph:
        if not sources:
            continue
        info = _describe(
            layer,
            tuple(number[classes.find(source)] for source in sources),
            number[classes.find(layer.name)],
        )
        infos.append(replace(info, removed_by=removed.get(layer.name)))
    return Structure(
        spec=spec,
        groups=tuple(groups),
        layers=tuple(infos),
        group_of_class={number[root]: index for root, index in labels.items()},
        fixed={number[root]: count for root, count in fixed.items()},
    )


def structure_of(spec: ArchSpec) -> Structure:
    """The structure of `spec`'s family and parameters (its widths do not matter); cached."""
    resolved = resolve(spec.model_copy(update={"widths": None}))
    return _analyse(resolved.model_dump_json())
