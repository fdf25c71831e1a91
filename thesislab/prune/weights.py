"""Weights under pruning: per-channel statistics of each prunable layer, and the copy of the kept
channels' weights into a thinner network.

Every weight axis of a convolution, depthwise convolution, dense or batch-normalisation layer
belongs to the channel class of the layer's input or output (see `structure`); keeping channels
``kept[g]`` of prunable layer ``g`` keeps those indices along every axis of its class.
"""

from __future__ import annotations

from collections.abc import Sequence

import keras
import numpy as np

from thesislab.errors import ThesislabError
from thesislab.models.registry import build_model, resolve
from thesislab.models.spec import ArchSpec
from thesislab.models.structure import Kind, LayerInfo, Structure
from thesislab.train.network import zoo_network

Kept = Sequence[np.ndarray]
"""Per prunable layer, the (sorted) indices of the channels that stay."""


def weight_classes(
    layer: LayerInfo, shapes: Sequence[tuple[int, ...]]
) -> list[tuple[int | None, ...]]:
    """For each weight of the layer, the channel class of each axis (None: not a channel axis)."""
    source = layer.inputs[0] if layer.inputs else None
    classes: list[tuple[int | None, ...]] = []
    for position, shape in enumerate(shapes):
        if layer.kind == "conv" and position == 0:
            classes.append((None, None, source, layer.output))
        elif layer.kind == "depthwise" and position == 0:
            classes.append((None, None, layer.output, None))
        elif layer.kind == "dense" and position == 0:
            classes.append((source, layer.output))
        elif layer.kind in ("conv", "depthwise", "dense", "norm"):
            classes.append((layer.output,))
        else:
            classes.append((None,) * len(shape))
    return classes


def _check_supported(structure: Structure, layer: LayerInfo, has_weights: bool) -> None:
    touches = any(c in structure.group_of_class for c in (*layer.inputs, layer.output))
    if touches and has_weights and (layer.kind == "other" or layer.groups > 1):
        raise ThesislabError(
            f"layer {layer.name}: pruning its channels needs a plain, depthwise or dense "
            f"convolution or a batch normalisation, received a {layer.kind} layer "
            f"with {layer.groups} groups"
        )


def sliced_weights(structure: Structure, layer: keras.layers.Layer, kept: Kept) -> list[np.ndarray]:
    """The layer's weights with only the kept channels along every prunable axis."""
    info = structure.by_name[layer.name]
    weights = [np.asarray(weight) for weight in layer.get_weights()]
    _check_supported(structure, info, bool(weights))
    sliced = []
    axes = weight_classes(info, [weight.shape for weight in weights])
    for weight, classes in zip(weights, axes, strict=True):
        for axis, channel_class in enumerate(classes):
            if channel_class in structure.group_of_class:
                weight = np.take(weight, kept[structure.group_of_class[channel_class]], axis=axis)
        sliced.append(weight)
    return sliced


def thin_network(
    network: keras.Model, structure: Structure, spec: ArchSpec, kept: Kept
) -> tuple[ArchSpec, keras.Model]:
    """The network of `spec` (the same family) with only the kept channels, and its spec.

    `kept[g]` indexes the channels of prunable layer g in `network`; the result has
    ``len(kept[g])`` of them. Layers a width of 0 removes are left out.
    """
    widths = [len(indices) for indices in kept]
    thinner = resolve(spec.model_copy(update={"widths": widths}))
    zoo = zoo_network(network)
    new_zoo = build_model(thinner)
    for layer in new_zoo.layers:
        if layer.weights and layer.name in structure.by_name:
            layer.set_weights(sliced_weights(structure, zoo.get_layer(layer.name), kept))
    rebuilt = keras.models.clone_model(
        network, clone_function=lambda layer: new_zoo if layer is zoo else layer
    )
    return thinner, rebuilt


def sliced_variables(
    network: keras.Model, structure: Structure, group: int
) -> list[keras.Variable]:
    """The trainable weights a removal of prunable layer `group`'s channels slices: those with
    the group's channels along one of their axes (the layers the thesis rebuilt to remove a
    channel: those producing it, its batch normalisations, and those it enters)."""
    found = []
    for layer in zoo_network(network).layers:
        info = structure.by_name.get(layer.name)
        if info is None or not layer.weights:
            continue
        axes = weight_classes(info, [tuple(weight.shape) for weight in layer.weights])
        for weight, classes in zip(layer.weights, axes, strict=True):
            if weight.trainable and any(
                structure.group_of_class.get(channel_class) == group
                for channel_class in classes
                if channel_class is not None
            ):
                found.append(weight)
    return found


def _weight_of(layer: keras.layers.Layer, suffix: str) -> keras.Variable | None:
    return next((w for w in layer.weights if w.path.endswith(f"/{suffix}")), None)


def channel_norms(
    network: keras.Model, structure: Structure, group: int, leave_out: frozenset[str] = frozenset()
) -> np.ndarray:
    """L2 norm of each channel's filters, averaged over the layers producing the group's
    channels (tied layers, as the thesis's NetAdapt scored them), but those named in
    `leave_out`."""
    zoo = zoo_network(network)
    norms = []
    for layer in zoo.layers:
        info = structure.by_name.get(layer.name)
        if info is None or info.kind not in ("conv", "dense") or layer.name in leave_out:
            continue
        if structure.group_of_class.get(info.output) == group:
            kernel = np.asarray(layer.get_weights()[0])
            flat = kernel.reshape(-1, kernel.shape[-1])
            norms.append(np.sqrt(np.sum(flat.astype(np.float64) ** 2, axis=0)))
    if not norms:
        raise ThesislabError(
            f"prunable layer {structure.groups[group].name}: expected a convolution producing "
            "its channels, found none"
        )
    return np.asarray(np.mean(norms, axis=0))


def _group_weights(
    network: keras.Model, structure: Structure, group: int, kind: Kind, weight: str
) -> list[keras.Variable]:
    """The `weight` variables of the layers of `kind` whose outputs are the group's channels."""
    found = []
    for layer in zoo_network(network).layers:
        info = structure.by_name.get(layer.name)
        if info is None or info.kind != kind:
            continue
        if structure.group_of_class.get(info.output) == group:
            variable = _weight_of(layer, weight)
            if variable is not None:
                found.append(variable)
    return found


def scale_variables(network: keras.Model, structure: Structure, group: int) -> list[keras.Variable]:
    """The batch-normalisation scales (gamma) of the group's channels."""
    return _group_weights(network, structure, group, "norm", "gamma")


def channel_scales(network: keras.Model, structure: Structure, group: int) -> np.ndarray:
    """max |gamma| over the batch normalisations of each channel of the group (MorphNet's
    grouping of tied layers by their largest scale)."""
    scales = scale_variables(network, structure, group)
    if not scales:
        raise ThesislabError(
            f"prunable layer {structure.groups[group].name}: expected a batch normalisation "
            "with a scale on its channels, found none"
        )
    return np.asarray(np.max(np.abs(np.stack([np.asarray(scale) for scale in scales])), axis=0))


def kernel_variables(
    network: keras.Model, structure: Structure, group: int
) -> list[keras.Variable]:
    """The kernels of the convolutions producing the group's channels."""
    return _group_weights(network, structure, group, "conv", "kernel")


def channel_rms(network: keras.Model, structure: Structure, group: int) -> np.ndarray:
    """max over the convolutions producing each channel of the group of the root mean square
    of its filter (MorphNet's group lasso norm, tied layers grouped by the largest)."""
    kernels = kernel_variables(network, structure, group)
    if not kernels:
        raise ThesislabError(
            f"prunable layer {structure.groups[group].name}: expected a convolution producing "
            "its channels, found none"
        )
    norms = []
    for kernel in kernels:
        values = np.asarray(kernel, dtype=np.float64)
        norms.append(np.sqrt(np.mean(values.reshape(-1, values.shape[-1]) ** 2, axis=0)))
    return np.asarray(np.max(norms, axis=0))


def top_channels(scores: np.ndarray, count: int) -> np.ndarray:
    """Indices of the `count` highest scores, sorted (ties: the lower index)."""
    order = np.argsort(-scores, kind="stable")
    return np.sort(order[:count])
