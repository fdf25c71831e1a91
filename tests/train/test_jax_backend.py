"""Training under JAX (`thesislab train` in the suite's process on JAX); its saved network converts
to TFLite under TensorFlow."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from tests.jax_process import JaxProcess
from tests.tflite_files import outputs
from tests.train.conftest import TINY_MOBILENET
from thesislab.cli import app
from thesislab.data import load_data
from thesislab.deploy.convert import Variant, convert
from thesislab.records import ModelRecord
from thesislab.store import Store
from thesislab.train.network import load_network

pytestmark = pytest.mark.slow


def train(arguments: list[str]) -> None:
    """`thesislab train ARGUMENTS`, run where this is called."""
    result = CliRunner().invoke(app, ["train", *arguments])
    assert result.exit_code == 0, result.output


def test_jax_training_converts_under_tensorflow(
    tmp_path: Path, small_data: Path, on_jax: JaxProcess
) -> None:
    arguments = [TINY_MOBILENET, "--data", str(small_data), "--results", str(tmp_path)]
    on_jax.call(train, [*arguments, "--epochs", "1", "--batch-size", "32"])

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
