"""A pruning-time view of a trained network: the same layers (and weights), with a channel mask
multiplied in wherever a prunable layer's channels enter a layer that mixes channels.

The view takes the images and one mask input per prunable layer, shaped (batch, channels): a
channel whose mask is 0 contributes nothing downstream, so the view computes exactly what the
network without that channel computes (the masked channel's values can live on in residual sums
and batch normalisations, but never reach a convolution or the classifier). The gradient of the
loss with respect to a mask entry is, for one image, the sum over positions of activation times
gradient at every place the channel enters: the signal of Fisher pruning (Theis et al., 2018).
With `per_place`, each of those places has a mask input of its own instead (the same channels, one
signal per place), for a saliency averaged over the layers a channel group ties.

The network itself is left untouched; the view shares its layers, so training the view trains the
network.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import keras
from keras import ops

from thesislab.errors import ThesislabError
from thesislab.models.structure import Structure, flatten, layer_graph
from thesislab.train.network import zoo_network


class ChannelMask(keras.layers.Layer):  # type: ignore[misc]
    """Multiply a channels-last tensor by per-image channel weights of shape (batch, channels)."""

    def call(self, inputs: Any, mask: Any) -> Any:
        shape = (-1, *([1] * (len(inputs.shape) - 2)), inputs.shape[-1])
        return inputs * ops.reshape(ops.cast(mask, inputs.dtype), shape)


def mask_points(zoo: keras.Model, structure: Structure) -> dict[str, int]:
    """Layers of `zoo` whose output carries a prunable layer's channels into a layer of another
    channel class (a convolution, the classifier): layer name -> prunable layer index."""
    classes = {name: info.output for name, info in structure.by_name.items()}
    points: dict[str, int] = {}
    for layer, sources in layer_graph(zoo):
        if layer.name not in classes:
            continue
        for source in sources:
            source_class = classes.get(source)
            group = structure.group_of_class.get(source_class) if source_class is not None else None
            if group is not None and source_class != classes[layer.name]:
                points[source] = group
    return points


@dataclass(frozen=True)
class MaskedNetwork:
    """The view: a Keras model of inputs [images, mask_0, ...], and the prunable layer of each
    mask input (several inputs may share one with `per_place`)."""

    model: keras.Model
    groups: tuple[int, ...]
    widths: tuple[int, ...]
    """Channels of each mask input."""


Call = Callable[[Any], Any]


def _run(model: keras.Model, inputs: Sequence[Any], calls: dict[str, Call]) -> Any:
    """Call `model`'s layers on `inputs` in graph order, each through `calls[name]` if given."""
    tensors = {id(tensor): new for tensor, new in zip(model.inputs, inputs, strict=True)}
    pending = [layer for layer in model.layers if not isinstance(layer, keras.layers.InputLayer)]
    while pending:
        waiting = []
        for layer in pending:
            if not all(id(source) in tensors for source in flatten(layer.input)):
                waiting.append(layer)
                continue
            arguments = keras.tree.map_structure(lambda source: tensors[id(source)], layer.input)
            tensors[id(layer.output)] = calls.get(layer.name, layer)(arguments)
        if len(waiting) == len(pending):
            raise ThesislabError(f"{model.name}: expected a connected functional network")
        pending = waiting
    return tensors[id(model.outputs[0])]


def _masked_call(layer: keras.layers.Layer, mask: Any) -> Call:
    masking = ChannelMask(name=f"{layer.name}_mask")
    return lambda arguments: masking(layer(arguments), mask)


def _mask_inputs(
    points: dict[str, int], structure: Structure, per_place: bool
) -> list[tuple[int, str, list[str]]]:
    """(prunable layer, input name, the places it masks) of every mask input."""
    if per_place:
        return [(points[name], name, [name]) for name in sorted(points, key=points.__getitem__)]
    return [
        (group, structure.groups[group].name, [n for n, g in points.items() if g == group])
        for group in sorted(set(points.values()))
    ]


def masked_network(
    network: keras.Model, structure: Structure, widths: Sequence[int], per_place: bool = False
) -> MaskedNetwork:
    """The masked view of `network`, whose prunable layers have `widths`: one mask input per
    prunable layer, or with `per_place` one per place its channels enter a mixing layer."""
    zoo = zoo_network(network)
    entries = _mask_inputs(mask_points(zoo, structure), structure, per_place)
    images = keras.Input(network.input_shape[1:], name="pixels")
    masks = [keras.Input((widths[group],), name=f"mask_{name}") for group, name, _ in entries]
    inner = {
        place: _masked_call(zoo.get_layer(place), mask)
        for (_, _, places), mask in zip(entries, masks, strict=True)
        for place in places
    }
    logits = images
    for layer in network.layers[1:]:  # a trained network is a chain: normalisation, zoo network
        logits = _run(zoo, [logits], inner) if layer is zoo else layer(logits)
    model = keras.Model([images, *masks], logits, name=f"{network.name}_masked")
    groups = tuple(group for group, _, _ in entries)
    return MaskedNetwork(model, groups, tuple(widths[group] for group in groups))
