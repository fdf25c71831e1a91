"""ShuffleNetV1's thesis variant: grouped 1x1 convolutions as channel slices, one Conv2D each."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from tests.models.zoo_cases import images, randomize
from tests.tflite_files import operators, outputs
from thesislab.deploy.convert import Variant, convert
from thesislab.errors import ThesislabError
from thesislab.models.registry import build_model, plan_of, resolve
from thesislab.models.spec import ArchSpec

PARAMS = {"depth": 3, "width": 24, "groups": 3}


def _spec(**params: object) -> ArchSpec:
    return ArchSpec(family="shufflenetv1", params={**PARAMS, **params})


def _copy_grouped_weights(grouped: keras.Model, sliced: keras.Model, groups: int) -> None:
    """Give `sliced` the weights of `grouped`: group k's kernel columns go to slice k's conv."""
    layers = {layer.name: layer for layer in grouped.layers}
    for layer in sliced.layers:
        if not layer.weights:
            continue
        if layer.name in layers:
            layer.set_weights(layers[layer.name].get_weights())
            continue
        base, _, index = layer.name.rpartition("_conv")
        [kernel] = layers[f"{base}_conv"].get_weights()
        step = kernel.shape[-1] // groups
        layer.set_weights([kernel[..., int(index) * step : (int(index) + 1) * step]])


def _conv_ops(content: bytes) -> int:
    return operators(content).count("CONV_2D")


def test_default_is_one_grouped_convolution_and_other_values_are_refused():
    assert resolve(_spec()).params["grouped_conv"] == "groups"
    with pytest.raises(ThesislabError, match=r"'grouped_conv' must be one of groups, slices"):
        plan_of(_spec(grouped_conv="split"))


@pytest.mark.slow
def test_sliced_variant_has_g_convolutions_per_layer_and_the_same_logits():
    keras.utils.set_random_seed(0)
    grouped = build_model(_spec())
    randomize(grouped)
    sliced = build_model(_spec(grouped_conv="slices"))
    _copy_grouped_weights(grouped, sliced, PARAMS["groups"])
    batch = images(3)
    expected = grouped.predict(batch, verbose=0)
    np.testing.assert_allclose(sliced.predict(batch, verbose=0), expected, rtol=1e-4, atol=1e-4)

    units = len(plan_of(_spec()).blocks)
    sliced_tflite = convert(sliced, Variant("fp32"))
    grouped_tflite = convert(grouped, Variant("fp32"))
    # The stem, then per unit a compress and an expand layer of `groups` convolutions each.
    assert _conv_ops(sliced_tflite) == 1 + 2 * units * PARAMS["groups"]
    assert _conv_ops(grouped_tflite) == 1 + 2 * units
    np.testing.assert_allclose(outputs(sliced_tflite, batch), expected, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(outputs(grouped_tflite, batch), expected, rtol=1e-4, atol=1e-4)
