"""The trained network: a model-zoo network behind the recipe's input normalisation.

Networks are trained and saved as one Keras model that takes pixel values in [0, 255] (float,
32x32x3, channels last) and returns logits: the first layer subtracts the recipe's channel means
and divides by its standard deviations. Whoever loads the saved `.keras` file (a teacher, a TFLite
converter under another backend) therefore needs neither the recipe nor any thesislab layer beyond
the zoo's; deployment converts the model-zoo network alone and normalises outside it with
`input_statistics`.
"""

from __future__ import annotations

import math
from pathlib import Path

import keras
import numpy as np

from thesislab.errors import ThesislabError
from thesislab.models.counting import ModelCount, count
from thesislab.models.registry import build_model
from thesislab.models.spec import ArchSpec
from thesislab.training_recipe import Recipe

NORMALIZE = "normalize"
"""The name of a trained network's input normalisation layer."""


def _set_batch_norm(net: keras.Model, recipe: Recipe) -> None:
    """Give every batch normalisation of `net` the recipe's momentum and epsilon, where it sets
    them (before the model is first run, so its steps and saved configuration use them)."""
    changes = {
        key: value
        for key, value in {"momentum": recipe.bn_momentum, "epsilon": recipe.bn_epsilon}.items()
        if value is not None
    }
    for layer in net.layers if changes else ():
        if isinstance(layer, keras.layers.BatchNormalization):
            for key, value in changes.items():
                setattr(layer, key, value)


def build_network(spec: ArchSpec, recipe: Recipe, mixed_precision: bool) -> keras.Model:
    """Build `spec` with the recipe's normalisation in front, its batch-norm settings and its
    seed's initialisation."""
    keras.utils.set_random_seed(recipe.seed)
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy("mixed_bfloat16" if mixed_precision else "float32")
    try:
        net = build_model(spec)
        _set_batch_norm(net, recipe)
        inputs = keras.Input(net.input_shape[1:], name="pixels")
        variance = [deviation**2 for deviation in recipe.std]
        normalize = keras.layers.Normalization(
            mean=recipe.mean, variance=variance, dtype="float32", name=NORMALIZE
        )
        normalized = normalize(inputs)
        return keras.Model(inputs, net(normalized), name=net.name)
    finally:
        keras.config.set_dtype_policy(previous)


def zoo_network(network: keras.Model) -> keras.Model:
    """The model-zoo network inside a trained network (behind its input normalisation)."""
    inner = [layer for layer in network.layers if isinstance(layer, keras.Model)]
    if len(inner) != 1:
        raise ThesislabError(
            f"{network.name}: expected a trained network holding one model-zoo network, "
            f"found {len(inner)}"
        )
    return inner[0]


def input_statistics(network: keras.Model) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """The per-channel mean and standard deviation (pixel values) a trained network's input
    normalisation applies."""
    layer = next((layer for layer in network.layers if layer.name == NORMALIZE), None)
    if not isinstance(layer, keras.layers.Normalization):
        raise ThesislabError(
            f"{network.name}: expected a trained network with a Normalization layer "
            f"{NORMALIZE!r}, found {type(layer).__name__ if layer else 'none'}"
        )
    config = layer.get_config()
    mean = np.ravel(np.asarray(config["mean"], dtype=np.float64))
    variance = np.ravel(np.asarray(config["variance"], dtype=np.float64))
    return tuple(float(value) for value in mean), tuple(math.sqrt(value) for value in variance)


def network_count(network: keras.Model) -> ModelCount:
    """Parameters and MACs of a trained network: those of its model-zoo network (what every
    model record holds; the input normalisation's statistics are not counted)."""
    return count(zoo_network(network))


def save_network(model: keras.Model, path: Path) -> None:
    """Save the whole model as a `.keras` file, atomically (a killed save leaves no file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.stem}.partial.keras")
    model.save(temporary)
    temporary.replace(path)


def load_network(path: Path) -> keras.Model:
    """Load a network saved by `save_network`, under any backend."""
    import thesislab.models.layers  # noqa: F401  (registers the zoo's custom layers)

    return keras.saving.load_model(path, compile=False)
