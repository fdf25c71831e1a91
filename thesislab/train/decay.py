"""Which trainable variables weight decay applies to, and at what rate, by the recipe's scope.

- ``kernels``: every variable of rank two or more (convolution and dense kernels), nothing else.
- ``thesis2019``: the layers the thesis's Keras code gave an ``l2`` regulariser that Keras
  applied: convolution kernels, dense kernels and biases, batch-norm γ and β; not depthwise or
  separable kernels (Keras ignored the ``kernel_regularizer`` it was given there).
- ``all``: every trainable variable (PyTorch's ``weight_decay``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import keras

from thesislab.training_recipe import Recipe


def _leaf_layers(layer: keras.layers.Layer) -> Iterator[keras.layers.Layer]:
    inner = getattr(layer, "layers", None)
    if inner is None:
        yield layer
        return
    for child in inner:
        yield from _leaf_layers(child)


def _thesis2019_variables(layer: keras.layers.Layer) -> list[Any]:
    """The variables of `layer` that the thesis's Keras code decayed."""
    if isinstance(layer, keras.layers.Conv2D):  # not DepthwiseConv2D or SeparableConv2D
        return [layer.kernel]
    if isinstance(layer, keras.layers.Dense):
        return [layer.kernel, *([layer.bias] if layer.use_bias else [])]
    if isinstance(layer, keras.layers.BatchNormalization):
        return [weight for weight in (layer.gamma, layer.beta) if weight is not None]
    return []


def decay_rates(model: keras.Model, recipe: Recipe) -> list[float]:
    """The decay rate of each of `model.trainable_variables`, in their order."""
    rate = recipe.weight_decay
    variables = model.trainable_variables
    if recipe.weight_decay_scope == "all":
        return [rate for _ in variables]
    if recipe.weight_decay_scope == "kernels":
        return [rate if len(variable.shape) >= 2 else 0.0 for variable in variables]
    decayed = {
        id(variable) for layer in _leaf_layers(model) for variable in _thesis2019_variables(layer)
    }
    return [rate if id(variable) in decayed else 0.0 for variable in variables]
