"""The trained network: a model-zoo network behind the recipe's input normalisation.

Networks are trained, saved and deployed as one Keras model that takes pixel values in [0, 255]
(float, 32x32x3, channels last) and returns logits: the first layer subtracts the recipe's channel
means and divides by its standard deviations. Whoever loads the saved `.keras` file (a teacher, a
TFLite converter under another backend) therefore needs neither the recipe nor any thesislab layer
beyond the zoo's.
"""

from __future__ import annotations

from pathlib import Path

import keras

from thesislab.errors import ThesislabError
from thesislab.models.counting import ModelCount, count
from thesislab.models.registry import build_model, resolve
from thesislab.models.spec import ArchSpec
from thesislab.train.recipe import Recipe


def architecture(spec: ArchSpec, recipe: Recipe) -> ArchSpec:
    """The spec with every parameter explicit, and the recipe's dropout where it sets one."""
    if recipe.dropout is not None:
        spec = spec.model_copy(update={"params": {**spec.params, "dropout": recipe.dropout}})
    return resolve(spec)


def build_network(spec: ArchSpec, recipe: Recipe, mixed_precision: bool) -> keras.Model:
    """Build `spec` with the recipe's normalisation in front and its seed's initialisation."""
    keras.utils.set_random_seed(recipe.seed)
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy("mixed_bfloat16" if mixed_precision else "float32")
    try:
        net = build_model(spec)
        inputs = keras.Input(net.input_shape[1:], name="pixels")
        variance = [deviation**2 for deviation in recipe.std]
        normalize = keras.layers.Normalization(
            mean=recipe.mean, variance=variance, dtype="float32", name="normalize"
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
