"""Every family converts to TFLite, fp32 and full int8, with its weights frozen in, and runs with
LiteRT."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from tests.models.zoo_cases import TINY, images, randomize, tiny_spec
from tests.tflite_files import assert_weights_frozen, outputs
from thesislab.deploy.convert import Variant, convert
from thesislab.models.registry import build_model


@pytest.mark.slow
@pytest.mark.parametrize("family", sorted(TINY))
def test_tflite_fp32_agrees_with_keras_and_int8_runs(family):
    keras.utils.set_random_seed(0)  # fixed kernels: the int8 graph is the same on every run
    model = build_model(tiny_spec(family))
    randomize(model)
    batch = images(3)
    expected = model.predict(batch, verbose=0)

    fp32 = convert(model, Variant("fp32"))
    assert_weights_frozen(fp32, model, 4)
    np.testing.assert_allclose(outputs(fp32, batch), expected, rtol=1e-4, atol=1e-4)

    int8 = convert(model, Variant("int8", "int8"), images(8, seed=1))
    assert_weights_frozen(int8, model, 1)
    found = outputs(int8, batch)
    assert found.shape == expected.shape
    assert np.isfinite(found).all()
