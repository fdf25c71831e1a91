"""Every family converts to TFLite, fp32 and full int8, and runs with LiteRT."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf
from ai_edge_litert.interpreter import Interpreter

from tests.models.zoo_cases import TINY, images, randomize, tiny_spec
from thesislab.models.registry import build_model


def _run(content: bytes, batch: np.ndarray) -> np.ndarray:
    """Logits of each image, one inference per image, dequantized for an int8 model."""
    interpreter = Interpreter(model_content=content, num_threads=1)
    interpreter.allocate_tensors()
    source = interpreter.get_input_details()[0]
    target = interpreter.get_output_details()[0]
    outputs = []
    for image in batch:
        value = image[None]
        if source["dtype"] == np.int8:
            scale, zero = source["quantization"]
            value = np.clip(np.round(value / scale + zero), -128, 127).astype(np.int8)
        interpreter.set_tensor(source["index"], value)
        interpreter.invoke()
        output = interpreter.get_tensor(target["index"])[0]
        if target["dtype"] == np.int8:
            scale, zero = target["quantization"]
            output = (output.astype(np.float32) - zero) * scale
        outputs.append(output)
    return np.stack(outputs)


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore:Statistics for quantized inputs were expected")
@pytest.mark.parametrize("family", sorted(TINY))
def test_tflite_fp32_agrees_with_keras_and_int8_runs(family):
    keras.utils.set_random_seed(0)  # fixed kernels: the int8 graph is the same on every run
    model = build_model(tiny_spec(family))
    randomize(model)
    batch = images(3)
    expected = model.predict(batch, verbose=0)

    fp32 = tf.lite.TFLiteConverter.from_keras_model(model).convert()
    np.testing.assert_allclose(_run(fp32, batch), expected, rtol=1e-4, atol=1e-4)

    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = lambda: ([image[None]] for image in images(8, seed=1))
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    converter.inference_input_type = tf.int8
    converter.inference_output_type = tf.int8
    int8 = _run(converter.convert(), batch)
    assert int8.shape == expected.shape
    assert np.isfinite(int8).all()
