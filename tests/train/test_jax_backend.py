"""Training under JAX (in a subprocess); its saved network converts to TFLite under TensorFlow."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.tflite_files import outputs
from tests.train.conftest import TINY_MOBILENET, run_train
from thesislab.data import load_data
from thesislab.deploy.convert import Variant, convert
from thesislab.records import ModelRecord
from thesislab.store import Store
from thesislab.train.network import load_network

pytestmark = pytest.mark.slow


def test_jax_training_converts_under_tensorflow(tmp_path: Path, small_data: Path) -> None:
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

    found = outputs(convert(model, Variant("fp32")), images[:1])
    np.testing.assert_allclose(found, logits[:1], atol=1e-4)
