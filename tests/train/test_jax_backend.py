"""Training under JAX (in a subprocess); its saved network converts to TFLite under TensorFlow."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.train.conftest import TINY_MOBILENET, run_train
from thesislab.data import load_data
from thesislab.records import ModelRecord
from thesislab.store import Store
from thesislab.train.network import load_network

pytestmark = pytest.mark.slow


def test_jax_training_converts_under_tensorflow(tmp_path: Path, small_data: Path) -> None:
    import tensorflow as tf
    from ai_edge_litert.interpreter import Interpreter

    run_train(
        TINY_MOBILENET,
        *("--data", str(small_data), "--results", str(tmp_path)),
        *("--epochs", "1", "--batch-size", "32"),
        backend="jax",
    )

    (record,) = Store(tmp_path).of_kind(ModelRecord).values()
    assert record.environment is not None and record.environment.backend == "jax"
    test = load_data(small_data).test
    model = load_network(tmp_path / str(record.weights_path))
    images = test.images.astype(np.float32)
    logits = model.predict(images, batch_size=100, verbose=0)
    accuracy = float(np.mean(np.argmax(logits, axis=-1) == test.labels))
    assert accuracy == pytest.approx(record.accuracy, abs=1e-9)

    interpreter = Interpreter(
        model_content=tf.lite.TFLiteConverter.from_keras_model(model).convert()
    )
    interpreter.allocate_tensors()
    (source,), (target,) = interpreter.get_input_details(), interpreter.get_output_details()
    interpreter.set_tensor(source["index"], images[:1])
    interpreter.invoke()
    np.testing.assert_allclose(interpreter.get_tensor(target["index"]), logits[:1], atol=1e-4)
